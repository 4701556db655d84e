"""kombu's filesystem transport, made safe for several processes on one machine.

kombu writes a message file in place and its consumers take files by moving them, so a consumer can
take a file that is still empty or half written: it fails on `JSONDecodeError` and the message is
lost (our reliability tests caught it). Here a message is written under a name no consumer looks
at and renamed into the queue folder in one step, and a consumer claims a file by an atomic rename
within the folder before reading it, so exactly one consumer reads each complete message.

Consumers take messages in the order of their names: the message's priority (0 to 9, lowest first,
as Redis does), then when it was published.
"""

from __future__ import annotations

import os
import uuid
from queue import Empty
from time import monotonic_ns

from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        priority = self._get_message_priority(payload, reverse=False)
        # nanoseconds, fixed width: names sort as published (milliseconds tied a batch of trials)
        name = f"{priority}_{monotonic_ns():020d}_{uuid.uuid4()}.{queue}.msg"
        partial = os.path.join(self.data_folder_out, f".{name}.partial")
        with open(partial, "wb") as f:
            f.write(str_to_bytes(dumps(payload)))
        os.replace(partial, os.path.join(self.data_folder_out, name))

    def _get(self, queue):
        wanted = f"{queue}.msg"
        for name in sorted(os.listdir(self.data_folder_in)):
            if name.startswith(".") or name.partition(".")[2] != wanted:
                continue
            claimed = os.path.join(self.data_folder_in, f".{name}.{os.getpid()}.claimed")
            try:
                os.rename(os.path.join(self.data_folder_in, name), claimed)
            except FileNotFoundError:  # another consumer took it first
                continue
            with open(claimed, "rb") as f:
                payload = f.read()
            os.remove(claimed)
            return loads(bytes_to_str(payload))
        raise Empty()


class Transport(filesystem.Transport):
    Channel = Channel

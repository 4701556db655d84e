"""The embedded broker under concurrent publishers and consumers: every message delivered exactly once."""

from __future__ import annotations

import multiprocessing
import queue

from kombu import Connection


def _connection(folder: str) -> Connection:
    options = {"data_folder_in": folder, "data_folder_out": folder, "processed_folder": folder}
    return Connection("filesystem://", transport="hpoweb.broker:Transport", transport_options=options)


def _publish(folder: str, first: int, count: int) -> None:
    with _connection(folder) as conn:
        q = conn.SimpleQueue("race")
        for i in range(first, first + count):
            q.put({"n": i})


def _consume(folder: str, out, expected: int) -> None:
    got = []
    with _connection(folder) as conn:
        q = conn.SimpleQueue("race")
        idle = 0
        while idle < 40:
            try:
                message = q.get(timeout=0.05)
            except queue.Empty:
                idle += 1
                continue
            idle = 0
            got.append(message.payload["n"])
            message.ack()
    out.put(got)


def test_concurrent_publishers_and_consumers_deliver_every_message_once(tmp_path):
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    n, per = 2, 400
    consumers = [ctx.Process(target=_consume, args=(str(tmp_path), out, n * per)) for _ in range(3)]
    publishers = [ctx.Process(target=_publish, args=(str(tmp_path), i * per, per)) for i in range(n)]
    for p in consumers + publishers:
        p.start()
    received = [n for _ in consumers for n in out.get(timeout=120)]
    for p in consumers + publishers:
        p.join(timeout=30)
        assert p.exitcode == 0
    assert sorted(received) == list(range(n * per))

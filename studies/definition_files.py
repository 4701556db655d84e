"""A study's definition as a YAML or JSON file: the same fields as `POST /api/studies/`, written from any
study ("Download definition") and read back for the API, the "New study from a file" page and the CLI.

Reading only parses; `studies.definition.check_definition` checks what was read, as for every other
way a definition arrives. YAML is read with a safe loader that refuses aliases (a few bytes of
aliases can expand to gigabytes) and reads `1e-4` as the number a person meant, not a string.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import yaml

from studies.definition import DefinitionError, definition_of
from studies.models import Study

MAX_FILE = 1024 * 1024  # bytes: a definition is a few kilobytes, whatever its space
CONTENT_TYPES = {"yaml": "application/yaml", "json": "application/json"}
_FLOAT = re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)$")


def unique_keys(pairs: list[tuple]) -> dict:
    """An object's pairs as a dict, refusing a key given twice (a parameter named twice), which JSON
    and YAML allow and their readers settle silently by keeping the last (a json `object_pairs_hook`)."""
    out = dict(pairs)
    if len(out) < len(pairs):
        raise ValueError(_given_twice(key for key, _value in pairs))
    return out


def _given_twice(keys) -> str:
    seen: set = set()
    twice = next(key for key in keys if key in seen or seen.add(key))
    return f"key {twice!r} appears more than once in an object"


class _Loader(yaml.SafeLoader):
    """YAML 1.2's numbers (`1e-4` is a float), no aliases and no key given twice."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep)
        if len(mapping) < len(node.value):
            keys = (self.construct_object(key, deep=deep) for key, _value in node.value)
            raise yaml.constructor.ConstructorError(None, None, _given_twice(keys), node.start_mark)
        return mapping

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.constructor.ConstructorError(
                None, None, "aliases (*name) are not accepted in a definition", event.start_mark
            )
        return super().compose_node(parent, index)


_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


def document_of(study: Study) -> dict:
    """The study's definition, ready to write to a file (the project by its name)."""
    definition = definition_of(study)
    definition["project"] = study.project.name
    return definition


def render(study: Study, kind: str) -> str:
    """The definition file's text; `kind` is "yaml" or "json"."""
    document = document_of(study)
    if kind == "json":
        return json.dumps(document, indent=2) + "\n"
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def read_definition(raw: bytes | str) -> dict:
    """The definition a YAML or JSON file holds (JSON is YAML); DefinitionError under `file` if none."""
    if len(raw) > MAX_FILE:
        raise _unreadable(f"larger than {MAX_FILE // 1024} KiB")
    try:
        document = yaml.load(raw, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as error:
        raise _unreadable(f"not YAML or JSON: {str(error)[:500]}") from None
    if not isinstance(document, dict):
        raise _unreadable("the file must hold a mapping of the definition's fields")
    if not is_text(document):
        raise _unreadable(LONE_SURROGATE)
    return document


LONE_SURROGATE = "a string holds half of a UTF-16 surrogate pair (\\ud800-\\udfff), which is not text"


def strings(document) -> Iterator[str]:
    """Every key and string of a parsed JSON or YAML document, walked without recursion (a document
    may be nested nearly as deep as the parser allows)."""
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack += [*item, *item.values()]
        elif isinstance(item, list):
            stack += item


def is_text(document) -> bool:
    """Whether every string of a parsed document is text: JSON and YAML may escape half of a UTF-16
    surrogate pair, which neither a database nor a page can encode (a 500 after the study is stored)."""
    try:
        for text in strings(document):
            text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _unreadable(message: str) -> DefinitionError:
    return DefinitionError({"file": [message]})

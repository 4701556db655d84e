"""Request parsers: DRF's, with JSON nested too deeply to read, or holding a string that is not text,
answered as a 400 like any bad JSON."""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from studies.definition import DefinitionError
from studies.definition_files import LONE_SURROGATE, is_text, read_definition


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
        if not is_text(data):
            raise ParseError(f"JSON parse error - {LONE_SURROGATE}")
        return data


class YAMLParser(parsers.BaseParser):
    """A study definition in YAML (`application/yaml`), read as `studies.definition_files` reads files."""

    media_type = "application/yaml"

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return read_definition(stream.read())
        except DefinitionError as error:
            raise ParseError(error.errors["file"][0]) from None

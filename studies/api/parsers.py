"""Request parsers: DRF's, with JSON nested too deeply to read, naming a key twice or holding a string
that is not text answered as a 400 like any bad JSON."""

from __future__ import annotations

import codecs

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

from studies.definition import DefinitionError
from studies.definition_files import LONE_SURROGATE, MAX_FILE, is_text, read_definition, unique_keys
from studies.run_imports import MAX_CSV


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        """DRF's parse (NaN and Infinity refused), with a key given twice refused too."""
        try:
            reader = codecs.getreader(parsers.get_encoding(parser_context or {}))(stream)
            data = json.load(reader, parse_constant=json.strict_constant, object_pairs_hook=unique_keys)
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from None
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
        if not is_text(data):
            raise ParseError(f"JSON parse error - {LONE_SURROGATE}")
        return data


class YAMLParser(parsers.BaseParser):
    """A study definition in YAML (`application/yaml`), read as `studies.definition_files` reads files."""

    media_type = "application/yaml"

    def parse(self, stream, media_type=None, parser_context=None):
        try:  # one byte over the limit is enough to refuse it: the rest of a huge body is never read
            return read_definition(stream.read(MAX_FILE + 1))
        except DefinitionError as error:
            raise ParseError(error.errors["file"][0]) from None


class CSVParser(parsers.BaseParser):
    """A CSV file as its bytes (`text/csv`), read up to one byte over the import's limit: the rest of a
    huge body is never read, and `studies.run_imports` refuses it."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read(MAX_CSV + 1) if stream else b""

"""The leaderboard's filter expression, parsed without eval into an ORM filter.

    lr < 0.01 and layers >= 3 and state == "complete"
    (optimizer == "adam" or optimizer == "sgd") and not value > 0.5

Names are the study's parameters, `value` (or the study's metric name), `state`, `number` and, in a
study defined with objectives, each objective and constraint metric and `feasible`; a name may hold
`/` and `.` (`val/loss < 0.3`), and any other name is written between backticks (`` `top-1 acc` ``),
which also keeps a metric called `and` from being read as the word; operators
`< <= > >= == !=`; literals are numbers, quoted strings, `true` and `false`; `and`, `or`, `not` and
parentheses combine comparisons. Every name is checked against the study and every literal
against the name's type, so the query only ever holds known JSON keys and bound parameters; a bad
expression raises `FilterError` with a message for the person who typed it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from django.db.models import Q

from studies.models import ParameterRecord, Study, Trial
from studies.objectives import metric_names

MAX_LENGTH = 500
MAX_DEPTH = 20
MAX_INTEGER = 2**63 - 1  # what a database's integer holds: a literal is bound as it was typed
_TOKEN = re.compile(
    r"""\s*(?:
    (?P<number>-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<string>"[^"\\]*"|'[^'\\]*')
  | (?P<op><=|>=|==|!=|<|>)
  | (?P<paren>[()])
  | (?P<word>[A-Za-z_][A-Za-z0-9_./]*)
  | `(?P<quoted>[^`]+)`
  )""",
    re.VERBOSE,
)
_LOOKUPS = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
_KEYWORDS = {"and", "or", "not", "true", "false"}


class FilterError(ValueError):
    """A filter expression that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Token:
    kind: str  # number, string, op, paren, word, quoted (a name between backticks), end
    text: str
    at: int  # character offset, for the message


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise FilterError(f"The filter is too long ({len(text)} characters, at most {MAX_LENGTH}).")
    tokens, at = [], 0
    while text[at:].strip():
        match = _TOKEN.match(text, at)
        if not match:
            start = len(text) - len(text[at:].lstrip())
            raise FilterError(f"Unexpected {text[start : start + 10]!r} at character {start + 1}.")
        kind = match.lastgroup
        tokens.append(Token(kind, match.group(kind), match.start(kind)))
        at = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


@dataclass(frozen=True)
class Field:
    """What a name in the expression stands for: a column or a parameter, and the literals it takes."""

    lookup: str  # ORM path
    kind: str  # "number", "choice" or "bool"
    choices: tuple = ()


def fields_of(study: Study) -> dict[str, Field]:
    fields = {
        "value": Field("value", "number"),
        "number": Field("number", "number"),
        "state": Field("state", "choice", tuple(Trial.State.values)),
    }
    fields.setdefault(study.metric, fields["value"])
    for name in metric_names(study) if study.objectives else []:
        fields.setdefault(name, Field(f"values__{name}", "number"))
    if study.constraints:
        fields["feasible"] = Field("feasible", "bool")
    for parameter in study.space.parameters.all():
        lookup = f"params__{parameter.name}"
        if parameter.kind == ParameterRecord.Kind.CATEGORICAL and not _numbers(parameter.choices):
            fields[parameter.name] = Field(lookup, "choice", tuple(parameter.choices))
        else:
            fields[parameter.name] = Field(lookup, "number")
    return fields


def _written(name: str) -> str:
    """A name as the expression must spell it: between backticks unless it reads as one word."""
    match = _TOKEN.fullmatch(name)
    return name if match and match.lastgroup == "word" and name.lower() not in _KEYWORDS else f"`{name}`"


def _numbers(values) -> bool:
    """Whether every choice is a number (then `batch_size >= 64` makes sense)."""
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


class _Parser:
    """Recursive descent: or_expr := and_expr ("or" and_expr)*; and_expr := not_expr ("and" not_expr)*;
    not_expr := "not" not_expr | "(" or_expr ")" | comparison."""

    def __init__(self, tokens: list[Token], fields: dict[str, Field]):
        self.tokens, self.fields, self.i, self.depth = tokens, fields, 0, 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def is_word(self, word: str) -> bool:
        token = self.peek()
        return token.kind == "word" and token.text.lower() == word

    def parse(self) -> Q:
        q = self.or_expr()
        if self.peek().kind != "end":
            raise self.error("Expected 'and', 'or' or the end")
        return q

    def or_expr(self) -> Q:
        q = self.and_expr()
        while self.is_word("or"):
            self.take()
            q = q | self.and_expr()
        return q

    def and_expr(self) -> Q:
        q = self.not_expr()
        while self.is_word("and"):
            self.take()
            q = q & self.not_expr()
        return q

    def not_expr(self) -> Q:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"Nested more than {MAX_DEPTH} deep")
        if self.is_word("not"):
            self.take()
            q = ~self.not_expr()
        elif self.peek().text == "(":
            self.take()
            q = self.or_expr()
            if self.take().text != ")":
                raise self.error("Expected ')'", back=1)
        else:
            q = self.comparison()
        self.depth -= 1
        return q

    def comparison(self) -> Q:
        name = self.take()
        if name.kind != "quoted" and (name.kind != "word" or name.text.lower() in _KEYWORDS):
            raise self.error("Expected a name such as value, state or a parameter", back=1)
        field = self.fields.get(name.text)
        if field is None:
            known = ", ".join(_written(known) for known in sorted(self.fields))
            raise FilterError(f"Unknown name {name.text!r} at character {name.at + 1}; known: {known}.")
        op = self.take()
        if op.kind != "op":
            raise self.error(f"Expected an operator (< <= > >= == !=) after {name.text!r}", back=1)
        literal = self.literal(name.text, field, op.text)
        if op.text == "==":
            return Q(**{field.lookup: literal})
        if op.text == "!=":
            return ~Q(**{field.lookup: literal})
        return Q(**{f"{field.lookup}__{_LOOKUPS[op.text]}": literal})

    def literal(self, name: str, field: Field, op: str):
        token = self.take()
        if token.kind == "number":
            value = float(token.text) if any(c in token.text for c in ".eE") else int(token.text)
            if not (math.isfinite(value) if isinstance(value, float) else abs(value) <= MAX_INTEGER):
                raise self.error(f"{token.text[:20]} is too large a number to compare {name} with", back=1)
        elif token.kind == "string":
            value = token.text[1:-1]
        elif token.kind == "word" and token.text.lower() in ("true", "false"):
            value = token.text.lower() == "true"
        else:
            raise self.error(f"Expected a number or a quoted string after {name} {op}", back=1)
        return self.checked(name, field, op, value, token)

    def checked(self, name: str, field: Field, op: str, value, token: Token):
        where = f"at character {token.at + 1}"
        if field.kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise FilterError(f"{name} is a number: compare it with a number ({where}).")
        if field.kind == "bool" and (op not in ("==", "!=") or not isinstance(value, bool)):
            raise FilterError(f"{name} is true or false: compare it with == true or == false ({where}).")
        if field.kind == "choice":
            if op not in ("==", "!="):
                raise FilterError(f"{name} takes == or != only ({where}).")
            if not any(value == c and type(value) is type(c) for c in field.choices):
                options = ", ".join(repr(c) for c in field.choices)
                raise FilterError(f"{name} is one of {options}; not {value!r} ({where}).")
        return value

    def error(self, message: str, back: int = 0) -> FilterError:
        token = self.tokens[self.i - back]
        found = "the end" if token.kind == "end" else repr(token.text)
        return FilterError(f"{message} at character {token.at + 1}, found {found}.")


def parse(text: str, study: Study) -> Q:
    """The expression as a filter over `study.trials`; an empty expression keeps every trial."""
    if not text.strip():
        return Q()
    return _Parser(tokenize(text), fields_of(study)).parse()

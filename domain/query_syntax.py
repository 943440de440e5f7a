"""A recruiter's boolean search syntax, parsed into a small tree.

    senior python AND (kafka OR pulsar) NOT php
    skill:python title:"staff engineer" -contractor
    "machine learning" OR ml

Words next to each other must all match (an implied AND). `AND`, `OR` and `NOT` are
operators only in capitals, so a search for "design and build" still finds words;
`-word` is `NOT word`. `OR` binds looser than `AND`, and parentheses group. `java*`
matches the words that start with `java` (at least `MIN_PREFIX` characters before the
star). A quoted
phrase matches its words in order. `field:value` searches one field (the fields are
named by the caller, say `skill`, `title`, `city`). A malformed query raises
`QuerySyntaxError` naming the character where it breaks.

A query is text from anyone, so its size is bounded before it reaches the index: at most
`MAX_DEPTH` operators inside one another (each NOT or `-`, each parenthesis, each AND or
OR that joins what is inside another counts one), at most `MAX_TERMS` terms and
`MAX_LENGTH` characters. A tree
within those bounds always turns into a search request; a query past them is refused
with where it goes too far, never taken down with a recursion error.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

MAX_LENGTH = 1000
MAX_DEPTH = 20
MAX_TERMS = 100
# Values one list filter of a search may name (`skills`, `tags`, `status`...): each is a
# clause of its own in the request, so a list is bounded like the terms of `q`.
MAX_FILTER_VALUES = 20
MAX_FILTER_VALUE_LENGTH = 100


class QuerySyntaxError(ValueError):
    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at character {position + 1}")
        self.message = message
        self.position = position


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    field: str | None = None
    phrase: bool = False
    # `java*`: words that start with the text (Java, JavaScript); `text` is without the *.
    prefix: bool = False


# A prefix shorter than this (`j*`, a bare `*`) would expand to a large part of the
# index's words, so it is refused rather than searched.
MIN_PREFIX = 2


class PrefixTooShort(QuerySyntaxError):
    """A `word*` with fewer than MIN_PREFIX letters before the star: a query that parses
    but asks for too much, so the gateway answers 422 rather than 400."""


@dataclass(frozen=True, slots=True)
class And:
    parts: tuple[Node, ...]
    # Written with `AND` (or `&&`) rather than by putting words side by side: the
    # recruiter asked for every part. Not part of equality: the meaning is the same AND.
    explicit: bool = field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class Or:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    part: Node


Node = Term | And | Or | Not


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # word, phrase, and, or, not, lparen, rparen
    text: str
    position: int
    field: str | None = None


_SPECIAL = '()"'


def _tokens(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c.isspace():
            i += 1
        elif c in "()":
            tokens.append(_Token("lparen" if c == "(" else "rparen", c, i))
            i += 1
        elif c == "-" and i + 1 < n and not query[i + 1].isspace():
            tokens.append(_Token("not", "-", i))
            i += 1
        elif c == '"':
            tokens.append(_phrase(query, i, None))
            i = query.index('"', i + 1) + 1
        else:
            start = i
            while i < n and not query[i].isspace() and query[i] not in _SPECIAL:
                i += 1
            word = query[start:i]
            field, sep, value = word.partition(":")
            if sep and field and not value:
                # `title:"staff engineer"`: the field's value is the phrase that follows.
                if i < n and query[i] == '"':
                    phrase = _phrase(query, i, field.lower())
                    tokens.append(phrase)
                    i = query.index('"', i + 1) + 1
                    continue
                raise QuerySyntaxError(f"'{field}:' needs a value", i)
            if sep and field and value:
                tokens.append(_Token("word", value, start, field.lower()))
            elif word in ("AND", "&&"):
                tokens.append(_Token("and", word, start))
            elif word in ("OR", "||"):
                tokens.append(_Token("or", word, start))
            elif word == "NOT":
                tokens.append(_Token("not", word, start))
            elif word not in ("+", "-"):
                tokens.append(_Token("word", word, start))
    return tokens


def _phrase(query: str, start: int, field: str | None) -> _Token:
    end = query.find('"', start + 1)
    if end == -1:
        raise QuerySyntaxError("a quote is not closed", start)
    text = " ".join(query[start + 1 : end].split())
    if not text:
        raise QuerySyntaxError("an empty phrase", start)
    return _Token("phrase", text, start, field)


class _Parser:
    """Recursive descent; each rule returns its node and how deep its operators nest.

    The depth is checked twice with the same bound: on the way down (every NOT and
    parenthesis still open), so a chain of thousands of `-` never recurses past the
    bound, and on the way up (the finished node, AND and OR included), so the tree handed
    on is never deeper than `MAX_DEPTH`.
    """

    def __init__(self, tokens: list[_Token], fields: Collection[str] | None, end: int) -> None:
        self.tokens = tokens
        self.fields = fields
        self.end = end
        self.i = 0
        self.open = 0
        self.terms = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self) -> Node:
        node, _ = self.or_expr()
        extra = self.peek()
        if extra is not None:
            raise QuerySyntaxError(f"unexpected '{extra.text}'", extra.position)
        return node

    @staticmethod
    def bounded(depth: int, position: int) -> int:
        if depth > MAX_DEPTH:
            raise QuerySyntaxError(
                f"operators nest too deep (more than {MAX_DEPTH} NOT, -, AND, OR or "
                "parentheses inside one another)",
                position,
            )
        return depth

    def or_expr(self) -> tuple[Node, int]:
        parts = [self.and_expr()]
        position = -1
        while (t := self.peek()) is not None and t.kind == "or":
            self.take()
            if position < 0:
                position = t.position  # a refusal points at the first OR
            parts.append(self.and_expr())
        if len(parts) == 1:
            return parts[0]
        depth = self.bounded(1 + max(d for _, d in parts), position)
        return Or(tuple(n for n, _ in parts)), depth

    def and_expr(self) -> tuple[Node, int]:
        parts = [self.unary()]
        position = -1
        explicit = False
        while (t := self.peek()) is not None and t.kind not in ("or", "rparen"):
            if position < 0:
                position = t.position
            if t.kind == "and":
                self.take()
                explicit = True
            parts.append(self.unary())
        if len(parts) == 1:
            return parts[0]
        depth = self.bounded(1 + max(d for _, d in parts), position)
        return And(tuple(n for n, _ in parts), explicit), depth

    def unary(self) -> tuple[Node, int]:
        token = self.peek()
        if token is None:
            previous = self.tokens[self.i - 1] if self.i else None
            what = f"after '{previous.text}'" if previous else "in an empty query"
            raise QuerySyntaxError(f"a search term is missing {what}", self.end)
        if token.kind == "not":
            self.take()
            self.open = self.bounded(self.open + 1, token.position)
            part, depth = self.unary()
            self.open -= 1
            return Not(part), self.bounded(depth + 1, token.position)
        if token.kind == "lparen":
            self.take()
            self.open = self.bounded(self.open + 1, token.position)
            inner, depth = self.or_expr()
            close = self.peek()
            if close is None or close.kind != "rparen":
                raise QuerySyntaxError("a parenthesis is not closed", token.position)
            self.take()
            self.open -= 1
            return inner, self.bounded(depth + 1, token.position)
        if token.kind in ("word", "phrase"):
            self.take()
            self.terms += 1
            if self.terms > MAX_TERMS:
                raise QuerySyntaxError(f"more than {MAX_TERMS} terms", token.position)
            field, fields = token.field, self.fields
            if field is not None and fields is not None and field not in fields:
                known = ", ".join(sorted(fields))
                raise QuerySyntaxError(f"unknown field '{field}' (fields: {known})", token.position)
            if token.kind == "word" and token.text.endswith("*"):
                stem = token.text.rstrip("*")
                if len(stem) < MIN_PREFIX:
                    raise PrefixTooShort(
                        f"'{token.text}': a prefix search needs at least {MIN_PREFIX} "
                        "characters before the *",
                        token.position,
                    )
                return Term(stem, token.field, prefix=True), 0
            return Term(token.text, token.field, token.kind == "phrase"), 0
        raise QuerySyntaxError(f"unexpected '{token.text}'", token.position)


def parse_query(query: str, fields: Collection[str] | None = None) -> Node | None:
    """The query's tree, or None for a blank query (everything matches).

    `fields` are the names `field:value` may use; None allows any.
    """
    if len(query) > MAX_LENGTH:
        raise QuerySyntaxError(f"the query is longer than {MAX_LENGTH} characters", MAX_LENGTH)
    tokens = _tokens(query)
    if not tokens:
        return None
    return _Parser(tokens, fields, len(query)).parse()

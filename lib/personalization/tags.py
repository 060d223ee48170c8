"""Personalization tags, written `{{name}}` as the platform writes them (`{{ name }}` allowed).

A template is parsed once into literal text and tag slots; rendering joins them. The same
function renders the console's preview and the sandbox's outbox, so they cannot differ.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from lib import i18n

_TOKEN = re.compile(r"\{\{|\}\}")
_NAME = re.compile(r"^[^\s{}][^{}]*$")


class TagError(StrEnum):
    NESTED = "nested"
    NEVER_OPENED = "never_opened"
    EMPTY = "empty"
    BRACE_IN_NAME = "brace_in_name"
    NEVER_CLOSED = "never_closed"


TAG_ERRORS = i18n.family("personalization.tag_error", TagError)


class TemplateSyntaxError(ValueError):
    """A malformed tag. `position` is the 1-based character where it starts; str() says what is wrong and
    where, in the reader's language."""

    def __init__(self, code: TagError, position: int, **params: str):
        braces = {"opening": "'{{'", "closing": "'}}'", "empty": "{{}}"}  # a catalog holds no double braces
        problem = i18n.Msg(f"{TAG_ERRORS}.{code.value}", **braces, **params)
        super().__init__(i18n.Msg("personalization.tag_error_at", problem=problem, position=str(position)))
        self.code = code
        self.position = position


@dataclass(frozen=True)
class ParsedTemplate:
    # Alternating literal text and tag names: parts[0] text, parts[1] tag, parts[2] text, ...
    parts: tuple[str, ...]

    @property
    def tags(self) -> tuple[str, ...]:
        """Distinct tag names in order of first use."""
        return tuple(dict.fromkeys(self.parts[1::2]))

    def render(self, values: Mapping[str, str], *, escape_html: bool = False) -> str:
        """Fill every tag from `values`. Raises KeyError for a tag with no value: callers
        apply defaults first, because the console never sends a message with a hole in it."""
        out: list[str] = []
        for index, part in enumerate(self.parts):
            if index % 2 == 0:
                out.append(part)
            else:
                value = str(values[part])
                out.append(html.escape(value, quote=True) if escape_html else value)
        return "".join(out)


@functools.lru_cache(maxsize=256)
def parse_template(text: str) -> ParsedTemplate:
    """Split `text` into literals and tags, or raise TemplateSyntaxError naming the position."""
    parts: list[str] = []
    literal_start = 0
    open_at: int | None = None
    for match in _TOKEN.finditer(text):
        if match.group() == "{{":
            if open_at is not None:
                raise TemplateSyntaxError(TagError.NESTED, match.start() + 1)
            open_at = match.start()
        else:
            if open_at is None:
                raise TemplateSyntaxError(TagError.NEVER_OPENED, match.start() + 1)
            name = text[open_at + 2 : match.start()].strip()
            if not name:
                raise TemplateSyntaxError(TagError.EMPTY, open_at + 1)
            if not _NAME.match(name):
                raise TemplateSyntaxError(TagError.BRACE_IN_NAME, open_at + 1, tag="{{" + name + "}}")
            parts.append(text[literal_start:open_at])
            parts.append(name)
            literal_start = match.end()
            open_at = None
    if open_at is not None:
        raise TemplateSyntaxError(TagError.NEVER_CLOSED, open_at + 1)
    parts.append(text[literal_start:])
    return ParsedTemplate(tuple(parts))

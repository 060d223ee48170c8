"""The sandbox's own `{{tag}}` substitution, written apart from lib.personalization on purpose.

The real platform fills tags with its own code, not ours. If the sandbox borrowed the console's
renderer, "the outbox equals the preview" would compare a function with itself and could never fail.
So this is a second, independent reading of the same rule (the platform's documented behaviour):

- `{{name}}` or `{{ name }}` is replaced by the recipient's payload value for `name`;
- a tag with no value in the payload is delivered as the literal `{{name}}`;
- in an email's HTML body values are HTML-escaped (`&`, `<`, `>`, `"`, `'`); SMS text and subjects are not;
- substituted values are never scanned again, and text that is not a well-formed tag stays as written.

It never raises: whatever template and payload a dispatch carries, the outbox gets a message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_TAG = re.compile(r"\{\{([^{}]*)\}\}")
_HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def fill_tags(text: str, payload: Mapping[str, str], *, escape_html: bool = False) -> str:
    """`text` with every well-formed tag replaced from `payload`."""

    def value_for(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if not name:
            return match.group(0)
        if name not in payload:
            return "{{" + name + "}}"
        value = str(payload[name])
        return value.translate(_HTML_ESCAPES) if escape_html else value

    return _TAG.sub(value_for, text)

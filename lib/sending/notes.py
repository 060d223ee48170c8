"""A chunk's note (why it was refused, why it may have gone out, who marked it sent), stored as a code.

The sender (the worker process) writes notes that people read later, in their own language, so the
store keeps the catalog key and its parameters (chunks.error_code, chunks.error_params as JSON) and
the words are chosen when the note is read (`note_text`). The platform's own error text is one of the
parameters, kept exactly as the platform wrote it. chunks.error_message keeps the English sentence
too, for rows written before notes had codes and for anyone reading the database by hand.

`note_text(error_message, error_code, error_params)` is what any reader of a chunk row uses (the
engine's results, the Dispatches queries).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from lib import i18n

log = logging.getLogger(__name__)


def stored(note: i18n.Msg | str | None) -> dict[str, str | None]:
    """The chunk columns for `note`: error_message (English), error_code and error_params."""
    if note is None:
        return {"error_message": None, "error_code": None, "error_params": None}
    if not isinstance(note, i18n.Msg):
        return {"error_message": str(note), "error_code": None, "error_params": None}
    with i18n.language("en"):
        english = str(note)
    params = json.dumps(_encode(note.params), ensure_ascii=False, sort_keys=True) if note.params else None
    return {"error_message": english, "error_code": note.key, "error_params": params}


def note(error_message: str | None, error_code: str | None, error_params: str | None) -> i18n.Msg | str | None:
    """The stored note as a Msg (rendered by the reader), or its text when it has no code."""
    if not error_code:
        return error_message
    try:
        params = _decode(json.loads(error_params)) if error_params else {}
    except (ValueError, TypeError, KeyError) as exc:  # a damaged row still shows its English words
        log.warning("chunk note %s has unreadable parameters (%s)", error_code, exc)
        return error_message
    return i18n.Msg(error_code, **params)


def note_text(error_message: str | None, error_code: str | None, error_params: str | None) -> str | None:
    """The stored note in the reader's language (None when there is none)."""
    found = note(error_message, error_code, error_params)
    return None if found is None else str(found)


def chunk_note(chunk: Any) -> str | None:
    """`note_text` of a ChunkRecord (or any object with the three columns as attributes)."""
    return note_text(chunk.error_message, getattr(chunk, "error_code", None), getattr(chunk, "error_params", None))


class Joined:
    """Several sentences as one parameter (the platform's figures that do not add up), joined in the
    reader's language; stored as a list."""

    def __init__(self, items: Any):
        self.items = tuple(items)

    def __str__(self) -> str:
        return i18n.t("messaging.figures.separator").join(str(item) for item in self.items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Joined) and self.items == other.items

    __hash__ = None  # type: ignore[assignment]


def _encode(value: Any) -> Any:
    if isinstance(value, Joined):
        return [_encode(v) for v in value.items]
    if isinstance(value, i18n.Msg):
        return {"$msg": value.key, "params": _encode(value.params)}
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "$msg" in value:
            return i18n.Msg(value["$msg"], **_decode(value.get("params") or {}))
        if "$datetime" in value:
            return datetime.fromisoformat(value["$datetime"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return Joined(_decode(v) for v in value)
    return value

"""What each person chose for themselves: the language they read the console in (lib.i18n)."""

from __future__ import annotations

from sqlalchemy import select

from lib.history import schema as s
from lib.history.store import HistoryStore, utcnow
from lib.i18n import LANGUAGES


def preferred_language(store: HistoryStore, person: str) -> str | None:
    """The language `person` (the audit trail's name for them) last chose, if any."""
    p = s.preferences
    with store.read() as conn:
        found = conn.execute(select(p.c.language).where(p.c.person == person)).scalar()
    return found if found in LANGUAGES else None


def remember_language(store: HistoryStore, person: str, language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"{language!r} is not one of the console's languages")
    p = s.preferences
    with store.write() as conn:
        updated = conn.execute(p.update().where(p.c.person == person).values(language=language, updated_at=utcnow()))
        if not updated.rowcount:
            conn.execute(p.insert().values(person=person, language=language, updated_at=utcnow()))

"""The do-not-contact list: people who must never get a message, per channel (sms, email or both).

An entry is a mobile (E.164), an address (lower-cased normal form) or a customer id, with why, where
it came from, who added it and when. Removing one records who, when and why; nothing is deleted.
Import reads a CSV/XLSX with the recipient lists' own reader, column detection and normalisation,
reports bad cells by row and column as they do, and adds the good rows in ONE transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import pandas as pd
from sqlalchemy import func, insert, or_, select, update

from lib import audit, exports, i18n
from lib.audit import AuditAction
from lib.history import schema as s
from lib.history.store import utcnow
from lib.ledger.keys import normalise_destination, uid_text
from lib.ledger.ledger import Ledger
from lib.recipients import detect_mapping, emails, mobiles
from lib.recipients.reading import read_table

CHANNELS = ("sms", "email", "both")
CHANNEL_WORDS = i18n.family("rules.optout.channel", CHANNELS)  # the Channel column of the export and the list
_KEYS = ("key", "match1", "match2")  # columns of keys, never part of an entry as shown
KINDS = ("mobile", "email", "customer")
KIND_WORDS = i18n.family("rules.optout.kind", KINDS)  # the Kind column of the export
_REASON_HEADERS = ("reason", "αιτία", "λόγος")
_CHANNEL_HEADERS = ("channel", "κανάλι")


class Source(StrEnum):
    """Where an entry came from, stored as its code; an import is stored `import:<file name>`."""

    CONSOLE = "console"  # lib called without saying (tests, scripts)
    PAGE = "page"
    COMMAND_LINE = "command_line"
    IMPORT = "import"


SOURCE_WORDS = i18n.family("rules.optout.source", Source)
_OLD_SOURCES = {"Do not contact page": Source.PAGE, "command line": Source.COMMAND_LINE}  # rows stored as words


def imported_from(filename: str) -> str:
    return f"{Source.IMPORT}:{filename}"


def source_words(source: str) -> str:
    """Where an entry came from, in the reader's language; rows written before sources were codes hold
    English words ("command line", "import: list.csv"), read the same way; any other text is shown as is."""
    code, _, filename = str(_OLD_SOURCES.get(source, source)).partition(":")
    if code == Source.IMPORT:
        return i18n.coded(SOURCE_WORDS, code, file=filename.removeprefix(" "))
    return i18n.coded(SOURCE_WORDS, code) if code in set(Source) and not filename else source


def _keyed_text(kind: str, value: str) -> str | None:
    """The text an entry is keyed by (HMAC and match keys): a customer id as the lists key theirs."""
    return uid_text(value) if kind == "customer" else value


class OptOutError(ValueError):
    """Something that cannot go on the list (or come off it); str() is one sentence."""


@dataclass(frozen=True)
class OptOutEntry:
    id: int
    channel: str
    kind: str
    value: str
    reason: str
    source: str
    added_by: str
    added_at: datetime
    removed_at: datetime | None = None
    removed_by: str | None = None
    removed_reason: str | None = None


@dataclass(frozen=True)
class ImportReport:
    added: int
    already_listed: int
    problems: list[tuple[int, str, str]]  # (row, column, message), spreadsheet numbering

    def sentences(self) -> list[str]:
        if self.already_listed:
            lines = [i18n.t("rules.optout.added_and_listed", n=self.added, listed=self.already_listed)]
        else:
            lines = [i18n.t("rules.optout.added", n=self.added)]
        if self.problems:
            lines.append(i18n.t("rules.optout.rows_not_added", n=len({p[0] for p in self.problems})))
            lines += [i18n.t("rules.optout.row_problem", row=str(row), column=column, problem=message)
                      for row, column, message in self.problems]
        return lines


def _channel(channel: str) -> str:
    value = str(channel or "").strip().lower()
    if value not in CHANNELS:
        raise OptOutError(i18n.t("rules.optout.bad_channel", channel=repr(channel)))
    return value


class OptOutList:
    def __init__(self, ledger: Ledger):
        self.ledger = ledger
        self.store = ledger.store
        self.settings = ledger.settings

    # ---- one at a time ---------------------------------------------------------------------

    def parse(self, raw: str, *, customer_id: bool = False) -> tuple[str, str]:
        """(kind, normalised value) for what a person typed, or OptOutError with the reason."""
        if customer_id:
            text = (raw or "").strip()
            if not text:
                raise OptOutError(i18n.t("rules.optout.enter_id"))
            return "customer", text
        try:
            return normalise_destination(raw, self.settings.region, self.settings.allowed_countries)
        except ValueError as exc:
            raise OptOutError(i18n.t("rules.optout.not_destination", problem=str(exc))) from None

    def add(self, raw: str, *, channel: str = "both", reason: str = "", source: Source = Source.CONSOLE,
            added_by: str, customer_id: bool = False, now: datetime | None = None) -> OptOutEntry:
        kind, value = self.parse(raw, customer_id=customer_id)
        rows = self._new_rows([(kind, value, _channel(channel), reason)], str(source), added_by, now or utcnow())
        with self.store.write() as conn:
            listed = self._listed(conn)
            fresh = [row for row in rows if (row["key"], row["channel"]) not in listed]
            if fresh:
                ids = [conn.execute(insert(s.do_not_contact).values(row)).inserted_primary_key[0] for row in fresh]
                # The trail names the entry and where it came from, never the number or address itself.
                audit.record(conn, added_by, AuditAction.OPTOUT_ADD, ("do_not_contact", ids[0]),
                             {"entries": len(ids), "channel": rows[0]["channel"], "kind": kind, "source": str(source)})
        entry = self.find(value)
        return entry[0]

    def remove(self, raw: str, *, reason: str, removed_by: str, customer_id: bool = False,
               now: datetime | None = None) -> int:
        """Take an entry off the list, recording who, when and why. Returns how many entries."""
        if not (reason or "").strip():
            raise OptOutError(i18n.t("rules.optout.say_why"))
        kind, value = self.parse(raw, customer_id=customer_id)
        key = self._key(kind, value)
        d = s.do_not_contact
        with self.store.write() as conn:
            ids = [int(i) for i in conn.execute(select(d.c.id).where(d.c.key == key, d.c.removed_at.is_(None))).scalars()]
            done = conn.execute(update(d).where(d.c.key == key, d.c.removed_at.is_(None)).values(
                removed_at=now or utcnow(), removed_by=removed_by, removed_reason=reason.strip()))
            if done.rowcount:
                audit.record(conn, removed_by, AuditAction.OPTOUT_REMOVE, ("do_not_contact", ids[0]),
                             {"entries": int(done.rowcount), "entry_ids": ids, "kind": kind})
        if not done.rowcount:
            raise OptOutError(i18n.t("rules.optout.not_listed", value=value))
        return int(done.rowcount)

    # ---- reading ---------------------------------------------------------------------------

    def entries(self, search: str = "", *, include_removed: bool = False, limit: int | None = None) -> list[OptOutEntry]:
        d = s.do_not_contact
        query = select(d).order_by(d.c.added_at.desc(), d.c.id.desc())
        if not include_removed:
            query = query.where(d.c.removed_at.is_(None))
        text = (search or "").strip()
        if text:
            pattern = f"%{text.lower()}%"
            query = query.where(or_(func.lower(d.c.value).like(pattern), func.lower(d.c.reason).like(pattern)))
        if limit is not None:
            query = query.limit(limit)
        with self.store.read() as conn:
            rows = conn.execute(query).mappings().all()
        return [OptOutEntry(**{k: v for k, v in row.items() if k not in _KEYS}) for row in rows]

    def find(self, value: str) -> list[OptOutEntry]:
        d = s.do_not_contact
        with self.store.read() as conn:
            rows = conn.execute(select(d).where(d.c.value == value).order_by(d.c.id.desc())).mappings().all()
        return [OptOutEntry(**{k: v for k, v in row.items() if k not in _KEYS}) for row in rows]

    def count(self) -> int:
        d = s.do_not_contact
        with self.store.read() as conn:
            return int(conn.execute(select(func.count()).select_from(d).where(d.c.removed_at.is_(None))).scalar())

    def export_csv(self) -> bytes:
        """Every entry on the list, as CSV for Excel (lib.exports: UTF-8 with BOM, formula-safe cells)."""
        headers = [i18n.t("rules.optout.column.channel"), i18n.t("rules.optout.column.kind"),
                   i18n.t("rules.optout.column.value"), i18n.t("rules.optout.column.reason"),
                   i18n.t("rules.optout.column.source"), i18n.t("rules.optout.column.added_by"),
                   i18n.t("rules.optout.column.added_at")]
        rows = [[i18n.coded(CHANNEL_WORDS, e.channel), i18n.coded(KIND_WORDS, e.kind), e.value, e.reason,
                 source_words(e.source), e.added_by,
                 e.added_at.isoformat(timespec="minutes")] for e in self.entries()]
        return exports.to_csv_bytes(pd.DataFrame(rows, columns=headers, dtype=object))

    # ---- import ----------------------------------------------------------------------------

    def import_file(self, data: bytes, filename: str, *, channel: str = "both", reason: str = "",
                    added_by: str, now: datetime | None = None) -> ImportReport:
        """Add every readable row of a CSV/XLSX file; report the others by row and column."""
        default_channel = _channel(channel)
        table = read_table(data, filename, max_rows=self.settings.max_rows)
        mapping = detect_mapping(table.headers)
        if not (mapping.mobile_phone or mapping.email or mapping.unique_id):
            raise OptOutError(i18n.t("rules.optout.file_needs_column"))
        frame = table.data
        problems: list[tuple[int, str, str]] = []
        entries: list[tuple[int, str, str]] = []  # (row, kind, value)
        rows = frame.index.to_numpy()
        if mapping.mobile_phone:
            verdicts = mobiles.check_many(frame[mapping.mobile_phone], self.settings.region, self.settings.allowed_countries)
            entries += self._column_entries(rows, "mobile", frame[mapping.mobile_phone], verdicts, mapping.mobile_phone, problems)
        if mapping.email:
            verdicts = emails.check_many(frame[mapping.email])
            entries += self._column_entries(rows, "email", frame[mapping.email], verdicts, mapping.email, problems)
        if mapping.unique_id:
            ids = frame[mapping.unique_id].str.strip()
            entries += [(int(r), "customer", v) for r, v in zip(rows, ids, strict=True) if v]
        reasons = self._optional_column(frame, table.headers, _REASON_HEADERS, reason)
        channels = self._optional_column(frame, table.headers, _CHANNEL_HEADERS, default_channel)
        channel_header = next((h for h in table.headers if h.strip().lower() in _CHANNEL_HEADERS), "channel")
        bad_rows = {p[0] for p in problems}
        wanted = []
        for row, kind, value in entries:
            chosen = str(channels.get(row, default_channel) or default_channel).strip().lower()
            if chosen not in CHANNELS:
                problems.append((row, channel_header, i18n.t("rules.optout.bad_channel", channel=repr(chosen))))
                bad_rows.add(row)
                continue
            wanted.append((row, kind, value, chosen, str(reasons.get(row, reason) or reason)))
        wanted = [w for w in wanted if w[0] not in bad_rows]  # a row with any bad cell is not half-added
        new_rows = self._new_rows([w[1:] for w in wanted], imported_from(filename), added_by, now or utcnow())
        with self.store.write() as conn:  # ONE transaction: all the good rows, or nothing
            listed = self._listed(conn)
            fresh, seen = [], set()
            for row in new_rows:
                marker = (row["key"], row["channel"])
                if marker not in listed and marker not in seen:
                    seen.add(marker)
                    fresh.append(row)
            if fresh:
                conn.execute(insert(s.do_not_contact), fresh)
            audit.record(conn, added_by, AuditAction.OPTOUT_ADD, ("do_not_contact_import", filename), {
                "entries": len(fresh), "already_listed": len(new_rows) - len(fresh), "rows_with_problems":
                len({p[0] for p in problems}), "source": imported_from(filename)})
        problems.sort(key=lambda p: p[0])
        return ImportReport(len(fresh), len(new_rows) - len(fresh), problems)

    # ---- internals -------------------------------------------------------------------------

    @staticmethod
    def _column_entries(rows, kind, raw: pd.Series, verdicts, header: str, problems: list) -> list[tuple[int, str, str]]:
        values = verdicts.value.to_numpy(dtype=object)
        messages = verdicts.message.to_numpy(dtype=object)
        blank = raw.str.strip().eq("").to_numpy()
        out = []
        for row, value, text, empty in zip(rows, values, messages, blank, strict=True):
            if empty:
                continue
            if value is None or pd.isna(value):
                problems.append((int(row), header, str(text or i18n.t("rules.optout.not_readable"))))
            else:
                out.append((int(row), kind, value.lower() if kind == "email" else value))
        return out

    @staticmethod
    def _optional_column(frame: pd.DataFrame, headers: list[str], names: tuple[str, ...], default) -> dict[int, str]:
        header = next((h for h in headers if h.strip().lower() in names), None)
        if header is None:
            return {}
        column = frame[header].str.strip()
        return {int(r): (v if v else default) for r, v in column.items()}

    def _key(self, kind: str, value: str) -> int:
        return self.ledger.keys.key(_keyed_text(kind, value))

    def _new_rows(self, items, source: str, added_by: str, now: datetime) -> list[dict]:
        items = list(items)
        first, second = self.ledger.keys.match.keys([_keyed_text(kind, value) for kind, value, _, _ in items])
        return [
            {"channel": channel, "kind": kind, "value": value, "key": self._key(kind, value),
             "match1": int(m1), "match2": int(m2),
             "reason": (reason or "").strip(), "source": source, "added_by": added_by, "added_at": now}
            for (kind, value, channel, reason), m1, m2 in zip(items, first.tolist(), second.tolist(), strict=True)
        ]

    @staticmethod
    def _listed(conn) -> set[tuple[int, str]]:
        d = s.do_not_contact
        return {(int(k), c) for k, c in conn.execute(select(d.c.key, d.c.channel).where(d.c.removed_at.is_(None)))}

"""The recipient ledger: who was sent what, kept as keyed hashes, and the rules checked against it.

Writing: `Ledger.install()` registers a writer the history store calls inside `create_send`'s own
transaction, so every send (test sends too: their send is marked, and never counts) records every
recipient's keys per chunk (packed arrays, `ledger_chunks`), the rows the rules left out at
validation with their rule (staged by `stage()` just before the send is submitted), the template's
kind, and the marketer's decision to include people who already received it. The gate records the
members it leaves out right before a POST (`ledger_left_out`).

Reading: the do-not-contact list in one query; the recent sends, their chunk statuses and the gate's
left-outs in three small queries; the recent sends' keys once per process (they never change), and
the last window's entries grouped by key once until a send, a status or a gate left-out changes it.
All joins with the list's keys are whole-column numpy/pandas operations. Nothing queries per row.

Two ways in, one join (decision, for the speed targets of issue 9): a whole list (`people()`,
`check_list()`) is keyed by its match keys (lib.ledger.keys.MatchKeys) and joined against the
window's entries grouped and sorted; the gate's chunk (`member_keys()`, a thousand people) finds its
people's entries in each send's keys sorted once per process, and the same join runs on those
few. Frequency-cap counts are per column (destination against destinations, customer id against
customer ids). Ledger entries from before revision 0012 have HMAC keys only and are joined on them
with the same code.

HMAC keys, the ledger's record (decision): recording a send from a check writes the match keys the
check made (all the rules need) and HMAC keys only for the rows the rules left out; the members'
HMAC keys are made afterwards from the chunk's recipients (`complete_keys`: the worker when idle,
a send posted without a worker when done, every start before the purge, which keeps a chunk's
recipients until then). HMAC costs about a microsecond a value in Python, so a million recipients'
keys would add seconds to the send itself.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import Connection, func, select, update

from lib.history import schema as s
from lib.history.store import HistoryStore, NewRecipient, utcnow
from lib.ledger import rules as r
from lib.ledger.keys import NO_KEY, LedgerKeys, destination_texts, uid_text, uid_texts
from lib.ledger.rules import Rule, RuleContext

INCLUDE_ALREADY_RECEIVED = "include_already_received"
MATCH_COLUMNS = ["dest_m1", "dest_m2", "uid_m1", "uid_m2"]  # a list's match keys (Ledger.people)
KEY_COLUMNS = ["dest_key", "uid_key", *MATCH_COLUMNS]  # what the ledger keeps of each member
_POSITIONS = 1 << 24  # chunk_id * _POSITIONS + position: one integer per chunk member
_FEW_PEOPLE = 5_000  # up to this many people (a chunk), look them up instead of scanning the window
_KEY_CACHE_ROWS = 20_000_000  # keys kept in memory at most (~0.7 GB); beyond, read again


def is_marketing_kind(kind: str | None) -> bool:
    """Templates are marketing unless marked as service (the template kind of issue 9)."""
    return str(kind or "marketing") != "service"


def template_kind(template) -> str:
    return str(getattr(template, "kind", None) or "marketing")


@dataclass(frozen=True)
class Staged:
    """What the check decided about a list, waiting for its send to be recorded."""

    left_out: pd.DataFrame  # index row; rule, the HMAC and match keys (KEY_COLUMNS)
    include_already_received: int | None  # people included on purpose, or None
    marketing: bool
    people: pd.DataFrame | None = None  # the checked rows' keys (index row): the send need not hash again


@dataclass(frozen=True)
class LedgerCheck:
    """The rules' verdict on a list: every row any rule would leave out, before the marketer's choice."""

    left_out: pd.DataFrame  # index row; rule, send_id, at, count (lib.ledger.rules)
    cap_days: int | None

    def applied(self, include_already_received: bool) -> pd.DataFrame:
        """The rows actually left out once the marketer's override is applied."""
        if not include_already_received:
            return self.left_out
        return self.left_out[~self.left_out["rule"].isin([x.value for x in r.OVERRIDABLE])]

    @property
    def already_received(self) -> int:
        return int((self.left_out["rule"] == Rule.ALREADY_RECEIVED.value).sum())

    def counts(self, include_already_received: bool) -> dict[str, int]:
        return {str(k): int(v) for k, v in self.applied(include_already_received)["rule"].value_counts().items()}


class Ledger:
    def __init__(self, store: HistoryStore, settings, kind_of: Callable[[int], str | None] | None = None):
        self.store = store
        self.settings = settings
        self.keys = LedgerKeys.for_store(store)
        self.kind_of = kind_of or (lambda _template_id: None)
        self._staged: dict[str, Staged] = {}
        self._send_matches: dict[int, dict] = {}  # send id -> its match keys (and HMAC keys of older chunks)
        self._grouped: dict[tuple, tuple] = {}  # the last window read -> its entries grouped (`_Grouped`)
        self._lock = threading.Lock()
        self._reading_ahead: threading.Thread | None = None

    def install(self) -> Ledger:
        """Record every send from now on (idempotent: one writer per store)."""
        self.store.send_writers["ledger"] = self._write_send
        return self

    def read_ahead(self, template_id: int, channel: str, marketing: bool) -> None:
        """Start reading and grouping the ledger entries a check of this template joins against, on a
        thread, while the caller reads and validates the list: that work runs on one core and leaves
        the other idle, and these entries do not depend on the list. The check then finds them
        grouped (`_window` keys its grouping by the window's state, so a send or status change in
        between is read again, never missed). A failure here is left to the check, which reads again
        and reports it."""
        if not self._threads_may_read():
            return
        ctx = self.context(template_id, channel, marketing)

        def read() -> None:
            with contextlib.suppress(Exception):  # the check reads again and says what is wrong
                self._window(ctx, ctx.frequency_cap if ctx.marketing else None)

        self._reading_ahead = threading.Thread(target=read, name="ledger-read-ahead", daemon=True)
        self._reading_ahead.start()

    def _wait_for_read_ahead(self) -> None:
        """Let a read ahead finish before the check reads: two reads of the same entries would compete."""
        if self._reading_ahead is not None:
            self._reading_ahead.join()
            self._reading_ahead = None

    # ---- keys ------------------------------------------------------------------------------

    def people(self, frame: pd.DataFrame, channel: str, destination_column: str) -> pd.DataFrame:
        """The match keys of each row of a validated frame (index kept): MATCH_COLUMNS, and the texts
        their HMAC keys are made of when the send is recorded (`with_hmac`), not before: a check
        that is never sent never pays for them."""
        return self._people(frame, channel, destination_column)[0]

    def _people(self, frame: pd.DataFrame, channel: str, destination_column: str, meanwhile=None):
        dest = destination_texts(channel, frame[destination_column])
        keys, result = self.keys.match.people(dest, frame["uniqueId"], meanwhile)
        people = pd.DataFrame(keys, index=frame.index)
        people["dest_text"] = dest  # the same index: kept as they are, no copy per value
        people["unique_id"] = frame["uniqueId"]
        return people, result

    def check_list(self, frame: pd.DataFrame, channel: str, destination_column: str, ctx: RuleContext,
                   extra: Sequence[pd.DataFrame] = ()) -> tuple[pd.DataFrame, LedgerCheck]:
        """`people()` and `check()` in one: the do-not-contact list and the ledger's entries are read
        while the list is hashed, each on its own thread (the same answer as the two calls, sooner:
        the two columns hash in a fraction of the reading's time, which then has both cores)."""
        cap = ctx.frequency_cap if ctx.marketing else None

        def read() -> tuple:
            return self.opt_out_matches(ctx.channel), self._window(ctx, cap)

        def read_both() -> tuple:
            with ThreadPoolExecutor(1) as pool:
                listed = pool.submit(self.opt_out_matches, ctx.channel)
                self._wait_for_read_ahead()
                window = self._window(ctx, cap)
                return listed.result(), window

        if not self._threads_may_read():
            people = self.people(frame, channel, destination_column)
            return people, self._check_matched(people, ctx, extra, Rule.OPTED_OUT, read())
        people, done = self._people(frame, channel, destination_column, read_both)
        return people, self._check_matched(people, ctx, extra, Rule.OPTED_OUT, done)

    def _threads_may_read(self) -> bool:
        """Whether another thread may read the store at the same time: each gets its own connection
        (not so for one shared connection, or an in-memory SQLite database, one per thread)."""
        from sqlalchemy.pool import SingletonThreadPool, StaticPool

        return not isinstance(self.store.engine.pool, SingletonThreadPool | StaticPool)

    def with_hmac(self, people: pd.DataFrame) -> pd.DataFrame:
        """`people` with their HMAC keys (dest_key, uid_key) too: a new frame, `people` is left as it is."""
        if "dest_key" in people.columns:
            return people
        texts = people["dest_text"].tolist() + uid_texts(people["unique_id"]).tolist()
        both = self.keys.keys(texts)  # both columns in one call: a large list is split once between two processes
        return people.assign(dest_key=both[:len(people)], uid_key=both[len(people):])

    def member_keys(self, channel: str, members: Sequence) -> pd.DataFrame:
        """HMAC and match keys (KEY_COLUMNS) of stored or new recipients (anything with destination and
        unique_id): the gate's chunk, a send recorded without a check."""
        dest_texts = destination_texts(channel, pd.Series([m.destination for m in members], dtype="object"))
        uid = uid_texts(pd.Series([m.unique_id for m in members], dtype="object"))
        keys = pd.DataFrame({"dest_key": self.keys.keys(dest_texts), "uid_key": self.keys.keys(uid)})
        for prefix, texts in (("dest", dest_texts), ("uid", uid)):
            keys[f"{prefix}_m1"], keys[f"{prefix}_m2"] = self.keys.match.keys(texts)
        return keys[KEY_COLUMNS]

    # ---- the rules ---------------------------------------------------------------------------

    def context(self, template_id: int, channel: str, marketing: bool, now: datetime | None = None,
                exclude_send_id: int | None = None) -> RuleContext:
        return RuleContext(
            template_id=int(template_id), channel=str(channel), marketing=marketing, now=now or utcnow(),
            repeat_days=self.settings.repeat_days, frequency_cap=self.settings.frequency_cap,
            exclude_send_id=exclude_send_id,
        )

    def check(self, people: pd.DataFrame, ctx: RuleContext, extra: Sequence[pd.DataFrame] = (),
              opt_out_rule: Rule = Rule.OPTED_OUT) -> LedgerCheck:
        """Every rule against `people` (index row; match keys from `people()`, or all KEY_COLUMNS from
        `member_keys()`: the gate's few, looked up instead of joined against the whole window).
        `extra`: results of rules computed elsewhere (consent), in the same shape (lib.ledger.rules)."""
        return self._check_matched(people, ctx, extra, opt_out_rule)

    # ---- the rules on a whole list: joins on match keys ----------------------------------------

    def opted_out(self, people: pd.DataFrame, channel: str, rule: Rule = Rule.OPTED_OUT) -> pd.DataFrame:
        """The do-not-contact rule alone (`check` without a template)."""
        listed = self.opt_out_matches(channel)
        return r.rule_result(people.index.to_numpy()[_listed_rows(people, listed)], rule)

    def _check_matched(self, people: pd.DataFrame, ctx: RuleContext, extra: Sequence[pd.DataFrame],
                       opt_out_rule: Rule, read: tuple | None = None) -> LedgerCheck:
        """The rules for a list keyed by `people()`: whole-column joins on the match keys (sorted keys,
        no hash table per row). The do-not-contact list and the ledger are read at the same time, and
        the destination and customer-id columns joined at the same time (two threads: numpy's sorts
        and look-ups run without the GIL). Entries recorded before match keys existed (revision 0012)
        are joined on their HMAC keys, for which the list's HMAC keys are then computed: slower, never
        wrong."""
        rows = people.index.to_numpy()
        cap = ctx.frequency_cap if ctx.marketing else None
        with ThreadPoolExecutor(2) as pool:
            if read is None and _few(people):  # the gate's chunk: its people's entries only
                read = (self.opt_out_matches(ctx.channel, people), self._window(ctx, cap, people))
            elif read is None and self._threads_may_read():  # (check_list read them already)
                reading = pool.submit(self.opt_out_matches, ctx.channel)
                self._wait_for_read_ahead()
                window = self._window(ctx, cap)
                read = (reading.result(), window)
            elif read is None:
                read = (self.opt_out_matches(ctx.channel), self._window(ctx, cap))
            listed, (matched, legacy, times) = read
            optouts = _Table(np.ascontiguousarray(listed[:, 0]), np.ascontiguousarray(listed[:, 1]))

            def join(column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
                probes = _Probes(people[f"{column}_m1"].to_numpy(dtype=np.int64),
                                 people[f"{column}_m2"].to_numpy(dtype=np.int64))
                on = _on_list(optouts, probes)
                if matched is None:
                    return on, np.full(len(people), -1, dtype=np.int64), np.zeros(len(people), dtype=np.int64)
                return (on, *_per_row(matched[column], probes))

            (dest_on, dest_latest, dest_counts), (uid_on, uid_latest, uid_counts) = pool.map(join, ("dest", "uid"))
        present = people["dest_m1"].to_numpy() != NO_KEY
        parts = [r.rule_result(rows[(dest_on | uid_on) & present], opt_out_rule), *extra]
        latest = np.maximum(dest_latest, uid_latest)
        counts = np.maximum(dest_counts, uid_counts)
        if legacy is not None:  # entries from before match keys: HMAC keys (one 64-bit value; second 0 on both sides)
            keyed = self.with_hmac(people)
            zeros = np.zeros(len(people), dtype=np.int64)
            column_counts = []
            for column in ("dest", "uid"):
                got, n = _per_row(legacy[column], _Probes(keyed[f"{column}_key"].to_numpy(dtype=np.int64), zeros))
                latest = np.maximum(latest, got)
                column_counts.append(n)
            counts += np.maximum(*column_counts)
        if cap is not None:
            at_cap = counts >= cap.messages
            parts.append(r.rule_result(rows[at_cap], Rule.FREQUENCY_CAP, count=counts[at_cap]))
        received = latest >= 0
        if received.any():
            at = times.reindex(latest[received]).dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
            parts.append(r.rule_result(rows[received], Rule.ALREADY_RECEIVED, latest[received], at))
        return LedgerCheck(r.combine(parts), cap.days if cap is not None else None)

    def _window(self, ctx: RuleContext, cap, people: pd.DataFrame | None = None) -> tuple[dict | None, dict | None, pd.Series]:
        """The ledger entries that count against a list: members of this channel's real sends (not
        the excluded one) in chunks that went out or may have, not left out by the gate, of this
        template within the repeat window (`receipt`) or, with a cap, of a marketing template within
        the cap's window (`counted`). Only those sends' keys are read. Returns (entries with match
        keys, entries without them: their HMAC keys as `*_m1`; each grouped by key per column,
        `_Grouped`, or None when there are none; send id -> created_at in UTC). The grouping of the
        last window is kept: a later check of the same window (nothing sent, no status changed since)
        only looks the list up. With `people` (a few, with all KEY_COLUMNS: the gate's chunk), only
        their entries, found in each send's keys sorted once per process, and nothing kept."""
        sends, c, g, ls = s.sends, s.chunks, s.ledger_left_out, s.ledger_sends
        repeat_since = r.window_start(ctx.now, ctx.repeat_days)
        cap_since = r.window_start(ctx.now, cap.days) if cap is not None else None
        conditions = [sends.c.channel == ctx.channel, sends.c.is_test.is_(False),
                      sends.c.created_at >= min(repeat_since, cap_since or repeat_since)]
        if ctx.exclude_send_id is not None:
            conditions.append(sends.c.id != ctx.exclude_send_id)
        with self.store.read() as conn:
            found = conn.execute(select(sends.c.id, sends.c.template_id, sends.c.created_at).where(*conditions)).all()
            ids = [int(row[0]) for row in found]
            marketing = dict(conn.execute(select(ls.c.send_id, ls.c.is_marketing).where(ls.c.send_id.in_(ids))).all()) \
                if ids and cap is not None else {}
            wanted = {}  # send id -> (counts as a receipt, counts against the cap)
            for send_id, template_id, created_at in found:
                receipt = int(template_id) == ctx.template_id and created_at >= repeat_since
                counted = cap is not None and bool(marketing.get(int(send_id), True)) and created_at >= cap_since
                if receipt or counted:
                    wanted[int(send_id)] = (receipt, counted)
            ids = sorted(wanted)
            statuses = dict(conn.execute(select(c.c.id, c.c.status).where(c.c.send_id.in_(ids))).all()) if ids else {}
            gated = conn.execute(select(g.c.chunk_id, g.c.position).where(g.c.send_id.in_(ids))).all() if ids else []
            self._load_send_matches(conn, [i for i in ids if i not in self._send_matches])
        times = pd.Series(pd.to_datetime([row[2] for row in found], utc=True), index=[int(row[0]) for row in found])
        gated_codes = np.array([cid * _POSITIONS + pos for cid, pos in gated], dtype=np.int64)
        went_out = sorted(cid for cid, status in statuses.items() if status in r.RECEIVED_STATUSES)
        if people is not None:
            blocks = {kind: [self._send_matches[i][kind] for i in ids] for kind in ("match", "hmac")}
            return (*(_grouped(_entries(blocks[kind], ids, wanted, statuses, gated_codes,
                                        [_entries_of(block, people, suffix) for block in blocks[kind]]))
                      for kind, suffix in (("match", "_m1"), ("hmac", "_key"))), times)
        state = (tuple((i, *wanted[i]) for i in ids), tuple(went_out), np.sort(gated_codes).tobytes())
        with self._lock:
            grouped = self._grouped.get(state)
        if grouped is None:
            grouped = tuple(_grouped(_entries([self._send_matches[i][kind] for i in ids], ids, wanted, statuses,
                                              gated_codes)) for kind in ("match", "hmac"))
            with self._lock:
                self._grouped = {state: grouped}
        return (*grouped, times)

    def _load_send_matches(self, conn: Connection, send_ids: list[int]) -> None:
        """The match keys of sends not read yet, in one query (members of chunks only); chunks written
        before match keys existed, their HMAC keys instead (a second query, only for those)."""
        if not send_ids:
            return
        lc = s.ledger_chunks
        query = select(lc.c.send_id, lc.c.chunk_id, lc.c.members, lc.c.dest_match, lc.c.uid_match).where(
            lc.c.send_id.in_(send_ids), lc.c.chunk_id.is_not(None)).order_by(lc.c.send_id, lc.c.chunk_id)
        blocks: dict[int, dict[str, list]] = {i: {"match": [], "hmac": []} for i in send_ids}
        old = []
        for send_id, chunk_id, members, dest, uid in _raw_rows(conn, query):
            if dest is None or uid is None:
                old.append(int(chunk_id))
            else:
                blocks[int(send_id)]["match"].append((int(chunk_id), int(members), bytes(dest), bytes(uid)))
        if old:
            query = select(lc.c.send_id, lc.c.chunk_id, lc.c.members, lc.c.dest_keys, lc.c.uid_keys).where(
                lc.c.send_id.in_(send_ids), lc.c.chunk_id.in_(old)).order_by(lc.c.send_id, lc.c.chunk_id)
            for send_id, chunk_id, members, dest, uid in _raw_rows(conn, query):
                blocks[int(send_id)]["hmac"].append((int(chunk_id), int(members), bytes(dest), bytes(uid)))
        with self._lock:
            if sum(len(k["match"]["dest"]) + len(k["hmac"]["dest"]) for k in self._send_matches.values()) > _KEY_CACHE_ROWS:
                self._send_matches.clear()
            for send_id, parts in blocks.items():
                self._send_matches[send_id] = {"match": _block(parts["match"], 2), "hmac": _block(parts["hmac"], 1)}

    def opt_out_matches(self, channel: str, people: pd.DataFrame | None = None) -> np.ndarray:
        """(n, 2) int64 match keys of the do-not-contact list for this channel; with `people` (a few, with
        their HMAC keys: the gate's chunk), only the entries of those people, found through the key
        index. Entries added before match keys existed get theirs from their kept value here (as `_key`
        normalises it)."""
        d = s.do_not_contact
        on = [d.c.removed_at.is_(None), d.c.channel.in_([str(channel), "both"])]
        if people is not None:
            keys = np.unique(np.concatenate([people["dest_key"].to_numpy(), people["uid_key"].to_numpy()]))
            on.append(d.c.key.in_(keys.tolist()))
        keys = _frame(self.store, select(d.c.match1, d.c.match2).where(*on, d.c.match1.is_not(None)),
                      ["match1", "match2"]).to_numpy()
        with self.store.read() as conn:
            old = conn.execute(select(d.c.kind, d.c.value).where(*on, d.c.match1.is_(None))).all()
        if old:
            texts = [uid_text(value) if kind == "customer" else value for kind, value in old]
            keys = np.vstack([keys, np.column_stack(self.keys.match.keys(texts))])
        return keys

    def send_is_marketing(self, send_id: int) -> bool | None:
        """Whether the send was recorded as marketing (its template's kind when it was made)."""
        ls = s.ledger_sends
        with self.store.read() as conn:
            found = conn.execute(select(ls.c.is_marketing).where(ls.c.send_id == send_id)).scalar()
        return None if found is None else bool(found)

    def include_decision(self, send_id: int) -> int | None:
        """How many people the marketer chose to include again in this send, or None."""
        d = s.send_decisions_ledger
        with self.store.read() as conn:
            return conn.execute(
                select(d.c.people).where(d.c.send_id == send_id, d.c.decision == INCLUDE_ALREADY_RECEIVED)
            ).scalar_one_or_none()

    def state_token(self) -> tuple:
        """Changes whenever a send is recorded or the do-not-contact list changes: a cache key."""
        d = s.do_not_contact
        with self.store.read() as conn:
            last_send = conn.execute(select(func.max(s.sends.c.id))).scalar()
            listed = conn.execute(select(func.max(d.c.id), func.count(d.c.removed_at))).one()
        return (last_send, *listed)

    # ---- recording ---------------------------------------------------------------------------

    def stage(self, manifest_hash: str, left_out: pd.DataFrame, people: pd.DataFrame, *,
              include_already_received: int | None, marketing: bool) -> None:
        """Hold the check's left-out rows (and the override) for the send of this manifest. HMAC keys
        (the ledger's record) are made here only for the rows the rules left out: they never reach a
        chunk, so nothing could key them later. The members' follow once the send is recorded
        (`complete_keys`): the send itself needs only the match keys the check already made."""
        left = self.with_hmac(people.loc[people.index.intersection(left_out.index)])
        keys = left[KEY_COLUMNS].reindex(left_out.index, fill_value=0)  # stays int64: no float detour
        keyed = pd.concat([left_out[["rule"]], keys], axis=1)
        members = people[[c for c in KEY_COLUMNS if c in people.columns]]
        with self._lock:
            self._staged[manifest_hash] = Staged(keyed, include_already_received, marketing, members)

    def _write_send(self, conn: Connection, send: dict, written: list[tuple[int, Sequence[NewRecipient]]]) -> None:
        staged = None if send["is_test"] else self._staged.pop(send["manifest_hash"], None)
        marketing = staged.marketing if staged else is_marketing_kind(self.kind_of(send["template_id"]))
        members = [m for _, chunk in written for m in chunk]
        keys = self._keys_for(send["channel"], members, staged.people if staged else None)
        rows = np.fromiter((m.row_number for m in members), dtype=np.int64, count=len(members))
        arrays, records, start = _arrays(keys), [], 0
        for chunk_id, chunk in written:
            end = start + len(chunk)
            records.append(_packed(send["id"], chunk_id, None, rows[start:end], {k: v[start:end] for k, v in arrays.items()}))
            start = end
        if staged is not None and len(staged.left_out):  # the audit row names the rules' decisions too
            send["left_out_by_rule"] = {str(k): int(v) for k, v in staged.left_out["rule"].value_counts().items()}
        if staged is not None and staged.include_already_received:
            send["include_already_received"] = int(staged.include_already_received)
        if staged is not None and len(staged.left_out):
            for rule, group in staged.left_out.groupby("rule", sort=False):
                records.append(_packed(send["id"], None, str(rule), group.index.to_numpy(dtype=np.int64), _arrays(group)))
        conn.execute(s.ledger_sends.insert().values(send_id=send["id"], is_marketing=marketing))
        if records:
            conn.execute(s.ledger_chunks.insert(), records)
        if staged is not None and staged.include_already_received:
            conn.execute(s.send_decisions_ledger.insert().values(
                send_id=send["id"], decision=INCLUDE_ALREADY_RECEIVED, people=int(staged.include_already_received),
                decided_by=send["created_by"], decided_at=send["created_at"],
            ))

    def _keys_for(self, channel: str, members: Sequence, people: pd.DataFrame | None) -> pd.DataFrame:
        """Members' keys: from the check's own keys by spreadsheet row when it staged them (a row is one
        person in one list; match keys only, unless it had HMAC keys too), hashing only the members it
        did not key; without a check, all KEY_COLUMNS."""
        if people is None or not len(members) or any(c not in people.columns for c in MATCH_COLUMNS):
            return self.member_keys(channel, members)
        columns = [c for c in KEY_COLUMNS if c in people.columns]
        rows = np.fromiter((m.row_number for m in members), dtype=np.int64, count=len(members))
        where = people.index.get_indexer(rows)
        found = where >= 0
        keys = np.zeros((len(members), len(columns)), dtype=np.int64)
        keys[found] = people[columns].to_numpy(dtype=np.int64)[where[found]]
        if not found.all():
            rest = self.member_keys(channel, [m for m, ok in zip(members, found, strict=True) if not ok])
            keys[~found] = rest[columns].to_numpy(dtype=np.int64)
        return pd.DataFrame(keys, columns=columns)

    def complete_keys(self, chunks: int | None = None, sent_before: datetime | None = None) -> int:
        """Make the HMAC keys of chunk members recorded without them (a send recorded from a check: see
        `stage`), from the chunk's recipients, in posting order. The worker calls this when idle, a
        send posted without a worker when it is done, and every start for chunks the purge is about
        to reach (which keeps a chunk's recipients until its keys are made). At most `chunks` chunks;
        with `sent_before`, only chunks of sends made before then. Returns how many were keyed."""
        lc, cr = s.ledger_chunks, s.chunk_recipients
        query = select(lc.c.id, lc.c.chunk_id, lc.c.members, s.sends.c.channel).join(
            s.sends, s.sends.c.id == lc.c.send_id).where(lc.c.dest_keys.is_(None), lc.c.chunk_id.is_not(None))
        if sent_before is not None:
            query = query.where(s.sends.c.created_at < sent_before)
        with self.store.read() as conn:
            pending = conn.execute(query.order_by(lc.c.id).limit(chunks)).all()
            people = _raw_rows(conn, select(cr.c.chunk_id, cr.c.destination, cr.c.unique_id).where(
                cr.c.chunk_id.in_([p.chunk_id for p in pending])).order_by(cr.c.chunk_id, cr.c.position)) \
                if pending else []
        by_chunk = {chunk_id: list(rows) for chunk_id, rows in itertools.groupby(people, key=lambda row: row[0])}
        keyed = {}
        for row_id, chunk_id, members, channel in pending:
            rows = by_chunk.get(chunk_id, [])
            if len(rows) != members:  # nothing to key them from (cannot happen while the purge waits)
                continue
            dest = destination_texts(channel, pd.Series([row[1] for row in rows], dtype="object"))
            uid = uid_texts(pd.Series([row[2] for row in rows], dtype="object"))
            both = self.keys.keys(dest.tolist() + uid.tolist())
            keyed[row_id] = {"dest_keys": both[:members].astype("<i8").tobytes(),
                             "uid_keys": both[members:].astype("<i8").tobytes()}
        if keyed:
            with self.store.write() as conn:
                for row_id, values in keyed.items():
                    conn.execute(update(lc).where(lc.c.id == row_id, lc.c.dest_keys.is_(None)).values(**values))
        return len(keyed)

    def record_left_out(self, send_id: int, chunk_id: int, positions: Sequence[int], rules: Sequence[str]) -> None:
        """The gate's record: these members of a chunk were left out right before its POST."""
        rows = [{"send_id": send_id, "chunk_id": chunk_id, "position": int(p), "rule": str(r)}
                for p, r in zip(positions, rules, strict=True)]
        if not rows:
            return
        g = s.ledger_left_out
        with self.store.write() as conn:
            done = {int(p) for p in conn.execute(select(g.c.position).where(g.c.chunk_id == chunk_id)).scalars()}
            fresh = [row for row in rows if row["position"] not in done]  # a chunk checked again: once each
            if fresh:
                conn.execute(g.insert(), fresh)

    def left_out_counts(self, send_id: int) -> dict[str, int]:
        """The send's record: how many were left out, by rule (at validation and before each POST)."""
        lc, g = s.ledger_chunks, s.ledger_left_out
        counts: dict[str, int] = {}
        with self.store.read() as conn:
            at_check = select(lc.c.left_out, func.sum(lc.c.members)).where(
                lc.c.send_id == send_id, lc.c.left_out.is_not(None)).group_by(lc.c.left_out)
            at_post = select(g.c.rule, func.count()).where(g.c.send_id == send_id).group_by(g.c.rule)
            for rule, n in [*conn.execute(at_check).all(), *conn.execute(at_post).all()]:
                counts[str(rule)] = counts.get(str(rule), 0) + int(n)
        return counts


def _block(chunks: list[tuple[int, int, bytes, bytes]], width: int) -> dict:
    """A send's chunks as arrays: chunk ids and sizes, its members' keys (`width` int64 a member)."""
    def keys(i: int) -> np.ndarray:
        return np.frombuffer(b"".join(c[i] for c in chunks), dtype="<i8").reshape(-1, width).astype(np.int64, copy=False)

    return {"chunks": np.array([c[0] for c in chunks], dtype=np.int64),
            "members": np.array([c[1] for c in chunks], dtype=np.int64), "dest": keys(2), "uid": keys(3)}


def _entries(blocks: list[dict], send_ids: list[int], wanted: dict, statuses: dict, gated_codes: np.ndarray,
             only: list[np.ndarray] | None = None) -> dict:
    """The entries of these sends (ascending ids) that count (chunk went out or may have, not gated),
    concatenated: `{column}_m1`/`_m2` keys and `slot`, the position of the entry's send in `sends`;
    per send, whether its entries are receipts (`receipt`) and/or count against the cap (`counted`).
    `only`: per block, the entries to consider (ascending positions in the block); None: all of them."""
    out: dict[str, list] = {k: [] for k in ("dest_m1", "dest_m2", "uid_m1", "uid_m2", "slot")}
    for slot, block in enumerate(blocks):
        if not len(block["chunks"]):
            continue
        went_out = np.array([statuses.get(int(cid)) in r.RECEIVED_STATUSES for cid in block["chunks"]])
        if only is None:
            considered, chunk_of = None, np.repeat(np.arange(len(block["chunks"])), block["members"])
            keep = went_out[chunk_of]
        else:
            considered = only[slot]
            chunk_of = np.searchsorted(np.cumsum(block["members"]), considered, side="right")
            keep = went_out[chunk_of]
        if len(gated_codes):
            first_entry = np.cumsum(block["members"]) - block["members"]
            entry = np.arange(len(chunk_of)) if considered is None else considered
            positions = entry - first_entry[chunk_of] + 1
            keep &= ~np.isin(block["chunks"][chunk_of] * _POSITIONS + positions, gated_codes)
        picked = (slice(None) if keep.all() else keep) if considered is None else considered[keep]
        n = int(keep.sum())
        for column in ("dest", "uid"):
            keys = block[column][picked]
            out[f"{column}_m1"].append(keys[:, 0])
            out[f"{column}_m2"].append(keys[:, 1] if keys.shape[1] > 1 else np.zeros(n, np.int64))
        out["slot"].append(np.full(n, slot, np.int32))
    entries = {k: (np.concatenate(v) if v else np.zeros(0, np.int32 if k == "slot" else np.int64)) for k, v in out.items()}
    entries["sends"] = np.array(send_ids, dtype=np.int64)
    entries["receipt"] = np.array([wanted[i][0] for i in send_ids], dtype=bool)
    entries["counted"] = np.array([wanted[i][1] for i in send_ids], dtype=np.int64)
    return entries


def _entries_of(block: dict, people: pd.DataFrame, suffix: str) -> np.ndarray:
    """Positions in a send's block of the entries whose first key is one of these people's (`suffix`
    "_m1": match keys; "_key": HMAC keys, for blocks from before match keys), by binary search in the
    block's keys sorted the first time (a thousand look-ups instead of a scan of the whole send)."""
    found = []
    for column in ("dest", "uid"):
        if f"{column}_first" not in block:
            block[f"{column}_first"] = np.ascontiguousarray(block[column][:, 0])
        found.append(_lookup(block, f"{column}_first", people[f"{column}{suffix}"].to_numpy(dtype=np.int64)))
    return np.union1d(*found)


def _few(people: pd.DataFrame) -> bool:
    """A few people with all their keys (the gate's chunk): looked up, not joined against the whole window."""
    return len(people) <= _FEW_PEOPLE and all(c in people.columns for c in KEY_COLUMNS)


def _sorted(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(order, keys[order] read as unsigned, ascending). Keys are uniformly random, so the fast way is
    a plain SIMD sort of each key's high bits with its position packed into the low bits; if two
    different keys share those high bits (rare), the result is checked and a real argsort done."""
    unsigned = keys.view(np.uint64)
    n = len(unsigned)
    bits = max(1, (n - 1).bit_length())
    if n and bits <= 40:
        low = np.uint64((1 << bits) - 1)
        packed = np.sort((unsigned & ~low) | np.arange(n, dtype=np.uint64))
        order = (packed & low).astype(np.intp)
        ordered = unsigned[order]
        if (ordered[1:] >= ordered[:-1]).all():
            return order, ordered
    order = np.argsort(unsigned)
    return order, unsigned[order]


class _Table:
    """Entries grouped by key pair, for whole-column look-ups: sorted by first key (`_sorted`), one group
    per distinct first key. A group holding two different second keys (a 64-bit collision of two
    people's first keys) is marked and its probes are resolved pair by pair, so no collision in one
    64-bit key ever joins two different people."""

    def __init__(self, first: np.ndarray, second: np.ndarray):
        self.order, ordered = _sorted(first)
        new = np.ones(len(ordered), dtype=bool)
        np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
        self.starts = np.flatnonzero(new)
        self.keys = ordered[self.starts]
        self.second = second[self.order]
        self.low = self.second[self.starts]  # the group's second key, unless it is mixed
        self.mixed = np.zeros(len(self.starts), dtype=bool)
        changes = np.flatnonzero((self.second[1:] != self.second[:-1]) & ~new[1:]) + 1
        if len(changes):  # a second key changing inside a group
            self.mixed[np.searchsorted(self.starts, changes, side="right") - 1] = True

    def reduce(self, ufunc, values: np.ndarray) -> np.ndarray:
        """`ufunc` over each group's values (given in the entries' own order)."""
        return ufunc.reduceat(values[self.order], self.starts) if len(self.starts) else values[:0]

    def find(self, probes: _Probes) -> tuple[np.ndarray, np.ndarray]:
        """(group of each probe in the probes' sorted order, -1 for none; probes needing pair by pair)."""
        if not len(self.keys) or not len(probes.first):
            return np.full(len(probes.first), -1, dtype=np.intp), np.zeros(len(probes.first), dtype=bool)
        group = np.searchsorted(self.keys, probes.first)
        group[group == len(self.keys)] = 0
        found = (self.keys[group] == probes.first) & probes.present
        mixed = found & self.mixed[group]
        found &= ~mixed & (self.low[group] == probes.second)
        return np.where(found, group, -1), mixed

    def pairs(self, group: int, second: int) -> np.ndarray:
        """Positions (in the table's sorted order) of the group's entries with this second key."""
        end = self.starts[group + 1] if group + 1 < len(self.starts) else len(self.order)
        members = np.arange(self.starts[group], end)
        return members[self.second[members] == second]


class _Probes:
    """A list's key pairs in one column, sorted once for every table they are looked up in."""

    def __init__(self, first: np.ndarray, second: np.ndarray):
        self.order, self.first = _sorted(first)
        self.second = second[self.order]
        self.present = self.first != np.uint64(NO_KEY)

    def back(self, values: np.ndarray) -> np.ndarray:
        """Values given in sorted order, put back in the list's order."""
        out = np.empty_like(values)
        out[self.order] = values
        return out


@dataclass(frozen=True)
class _Grouped:
    """A window's entries in one column grouped by key pair (`_Table`), with each group's latest send
    it is a receipt of (a slot in `sends`, -1: none) and its count against the cap; per entry, in
    the table's order, the same (for probes resolved pair by pair)."""

    table: _Table
    latest_slot: np.ndarray  # per group
    counts: np.ndarray  # per group
    receipt_slots: np.ndarray  # per entry
    counted: np.ndarray  # per entry
    sends: np.ndarray  # slot -> send id


def _grouped(entries: dict) -> dict[str, _Grouped] | None:
    """The entries grouped per column (None: no entries), the two columns on two threads (numpy's
    sorts and gathers let go of the GIL). Made once per window (`Ledger._window`)."""
    if not len(entries["slot"]):
        return None

    def group(column: str) -> _Grouped:
        table = _Table(entries[f"{column}_m1"], entries[f"{column}_m2"])
        slots = entries["slot"][table.order]  # the entries' sends, in the table's order (ascending send ids)
        receipt_slots = np.where(entries["receipt"][slots], slots, -1)
        counted = entries["counted"][slots]
        return _Grouped(table, np.maximum.reduceat(receipt_slots, table.starts),
                        np.add.reduceat(counted, table.starts), receipt_slots, counted, entries["sends"])

    with ThreadPoolExecutor(1) as pool:
        uid = pool.submit(group, "uid")
        return {"dest": group("dest"), "uid": uid.result()}


def _per_row(grouped: _Grouped, probes: _Probes) -> tuple[np.ndarray, np.ndarray]:
    """For each probe (a list row's key pair in one column): the latest send among the entries that
    are receipts of it (-1: none), and how many entries count against the cap."""
    table = grouped.table
    group, mixed = table.find(probes)
    hit = group >= 0
    latest_slot = np.full(len(group), -1, dtype=np.int64)
    counts = np.zeros(len(group), dtype=np.int64)
    latest_slot[hit] = grouped.latest_slot[group[hit]]
    counts[hit] = grouped.counts[group[hit]]
    for i in np.flatnonzero(mixed):  # a shared first key: these probes' own pairs only
        mine = table.pairs(group_of(table, probes.first[i]), int(probes.second[i]))
        latest_slot[i] = grouped.receipt_slots[mine].max(initial=-1)
        counts[i] = grouped.counted[mine].sum()
    latest = np.where(latest_slot >= 0, grouped.sends[np.maximum(latest_slot, 0)], -1)
    return probes.back(latest), probes.back(counts)


def group_of(table: _Table, key: np.uint64) -> int:
    return int(np.searchsorted(table.keys, key))


def _listed_rows(people: pd.DataFrame, listed: np.ndarray) -> np.ndarray:
    """Rows whose destination or customer id is on the do-not-contact list (listed: (n, 2) match keys)."""
    if not len(listed) or people.empty:
        return np.zeros(len(people), dtype=bool)
    table = _Table(np.ascontiguousarray(listed[:, 0]), np.ascontiguousarray(listed[:, 1]))
    probes = _probes(people)
    on = _on_list(table, probes["dest"]) | _on_list(table, probes["uid"])
    return on & (people["dest_m1"].to_numpy() != NO_KEY)


def _on_list(table: _Table, probes: _Probes) -> np.ndarray:
    """Whether each probe's key pair is in the table (in the list's order)."""
    group, mixed = table.find(probes)
    hit = group >= 0
    for i in np.flatnonzero(mixed):
        hit[i] = len(table.pairs(group_of(table, probes.first[i]), int(probes.second[i]))) > 0
    return probes.back(hit)


def _probes(people: pd.DataFrame, suffix: tuple[str, str] = ("_m1", "_m2")) -> dict[str, _Probes]:
    return {column: _Probes(np.ascontiguousarray(people[column + suffix[0]].to_numpy(dtype=np.int64)),
                            np.ascontiguousarray(people[column + suffix[1]].to_numpy(dtype=np.int64)))
            for column in ("dest", "uid")}


def _lookup(keys: dict, column: str, wanted: np.ndarray) -> np.ndarray:
    """Positions in a send's cached `column` holding any of `wanted`, by binary search in a sorted copy
    made the first time (a thousand look-ups instead of a scan of the whole send)."""
    if f"{column}_sorted" not in keys:  # set last: another thread reading meanwhile finds both or neither
        order = np.argsort(keys[column], kind="stable")
        keys[f"{column}_order"] = order
        keys[f"{column}_sorted"] = keys[column][order]
    ordered = keys[f"{column}_sorted"]
    left, right = np.searchsorted(ordered, wanted, "left"), np.searchsorted(ordered, wanted, "right")
    counts = right - left
    if not counts.any():
        return _EMPTY
    starts = np.repeat(left, counts) + np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return keys[f"{column}_order"][starts]


def _arrays(keys: pd.DataFrame) -> dict[str, np.ndarray]:
    """A frame's keys as the arrays ledger_chunks packs: HMAC keys and match keys as (first, second)
    pairs, each when the frame has them (a little-endian int64 array, sliced per chunk)."""
    out = {column: keys[column].to_numpy(dtype="<i8") for column in ("dest_key", "uid_key") if column in keys.columns}
    for column in ("dest", "uid"):
        if f"{column}_m1" in keys.columns:
            out[f"{column}_match"] = np.column_stack([keys[f"{column}_m1"].to_numpy(dtype="<i8"),
                                                      keys[f"{column}_m2"].to_numpy(dtype="<i8")])
    return out


def _packed(send_id: int, chunk_id: int | None, rule: str | None, rows, keys: dict[str, np.ndarray]) -> dict:
    """One ledger_chunks row (HMAC or match keys NULL when `keys` has none)."""
    def packed(column: str) -> bytes | None:
        return keys[column].tobytes() if column in keys else None

    return {"send_id": send_id, "chunk_id": chunk_id, "left_out": rule, "members": len(rows),
            "row_numbers": np.asarray(rows, dtype="<i8").tobytes(), "dest_keys": packed("dest_key"),
            "uid_keys": packed("uid_key"), "dest_match": packed("dest_match"), "uid_match": packed("uid_match")}


_EMPTY = np.zeros(0, dtype=np.int64)


def _frame(store: HistoryStore, query, columns: list[str]) -> pd.DataFrame:
    """A query of integer columns as an int64 frame, read straight off the driver's cursor: a million
    ledger rows must not become a million SQLAlchemy Row objects."""
    with store.read() as conn:
        rows = _raw_rows(conn, query)
    data = np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64, count=len(rows) * len(columns))
    return pd.DataFrame(data.reshape(-1, len(columns)), columns=columns)


def _raw_rows(conn: Connection, query) -> list[tuple]:
    """The driver's own rows (tuples), without a SQLAlchemy Row object each."""
    result = conn.execute(query)
    return result.cursor.fetchall() if result.cursor is not None else []

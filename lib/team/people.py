"""The team in the store: who may use the console and in which role; every change audited in its transaction.

Removal is soft (`active` false): the person can no longer sign in, the audit trail keeps their name,
and CONSOLE_ADMINS does not bring a removed admin back on the next start. The team never loses its
last active admin: nobody could manage it any more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, func, insert, select, update

from lib import audit, i18n
from lib.audit import AuditAction
from lib.history import schema as s
from lib.history.store import HistoryStore
from lib.team.roles import Action, Person, Role, require

BOOTSTRAP_ACTOR = "CONSOLE_ADMINS"


class TeamError(ValueError):
    """A team change that cannot be made as asked; str() is one plain sentence."""


@dataclass(frozen=True)
class Member:
    email: str
    name: str
    role: Role
    active: bool
    added_by: str
    added_at: datetime

    @property
    def person(self) -> Person:
        return Person(email=self.email, name=self.name, role=self.role, active=self.active)


def normalise_email(raw: str) -> str:
    email = (raw or "").strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or any(c.isspace() for c in email) or email.count("@") != 1:
        raise TeamError(i18n.Msg("team.error.not_an_email", value=raw.strip()) if raw and raw.strip()
                        else i18n.Msg("team.error.no_email"))
    return email


def _role(raw: Role | str) -> Role:
    try:
        return Role(str(raw).strip().lower())
    except ValueError:
        roles = ", ".join(r.value for r in Role)  # the codes the command line takes
        raise TeamError(i18n.Msg("team.error.unknown_role", roles=roles, value=str(raw))) from None


def _member(row) -> Member:
    return Member(row["email"], row["name"], Role(row["role"]), bool(row["active"]), row["added_by"], row["added_at"])


def _get(conn: Connection, email: str) -> Member | None:
    row = conn.execute(select(s.people).where(s.people.c.email == email)).mappings().first()
    return _member(row) if row else None


def _other_active_admins(conn: Connection, email: str) -> int:
    p = s.people
    query = select(func.count()).where(p.c.role == Role.ADMIN.value, p.c.active.is_(True), p.c.email != email)
    return int(conn.execute(query).scalar_one())


def list_members(store: HistoryStore, *, include_removed: bool = True) -> list[Member]:
    query = select(s.people).order_by(s.people.c.active.desc(), s.people.c.name, s.people.c.email)
    if not include_removed:
        query = query.where(s.people.c.active.is_(True))
    with store.read() as conn:
        return [_member(r) for r in conn.execute(query).mappings()]


def find_member(store: HistoryStore, email: str) -> Member | None:
    with store.read() as conn:
        return _get(conn, (email or "").strip().lower())


def team_person(store: HistoryStore, email: str | None) -> Person | None:
    """The active team member with this email, or None: someone not in the team gets nothing."""
    member = find_member(store, email or "")
    return member.person if member is not None and member.active else None


def bootstrap_admins(store: HistoryStore, emails: tuple[str, ...] | list[str]) -> list[str]:
    """Add each CONSOLE_ADMINS email not yet known as an admin; returns those added.

    Someone already in the team (even removed) is left as the team has them: the Team page wins."""
    added = []
    with store.write() as conn:
        for raw in emails:
            email = normalise_email(raw)
            if _get(conn, email) is not None:
                continue
            now = datetime.now(UTC)
            conn.execute(insert(s.people).values(
                email=email, name=email.split("@")[0], role=Role.ADMIN.value, active=True,
                added_by=BOOTSTRAP_ACTOR, added_at=now,
            ))
            audit.record(conn, BOOTSTRAP_ACTOR, AuditAction.TEAM_ADD, ("person", email), {"role": "admin"}, at=now)
            added.append(email)
    return added


def add_member(store: HistoryStore, actor: Person, email: str, name: str, role: Role | str) -> Member:
    """Add someone (or bring back someone removed) with a role."""
    require(actor, Action.MANAGE_TEAM)
    email, role, name = normalise_email(email), _role(role), (name or "").strip()
    if not name:
        raise TeamError(i18n.Msg("team.error.no_name"))
    with store.write() as conn:
        existing = _get(conn, email)
        if existing is not None and existing.active:
            raise TeamError(i18n.Msg("team.error.already_in", name=existing.name, email=email,
                                     role=existing.role.in_sentence))
        now = datetime.now(UTC)
        values = {"name": name, "role": role.value, "active": True, "added_by": actor.actor, "added_at": now}
        if existing is None:
            conn.execute(insert(s.people).values(email=email, **values))
        else:
            conn.execute(update(s.people).where(s.people.c.email == email).values(**values))
        details = {"name": name, "role": role.value, **({"returned": True} if existing else {})}
        audit.record(conn, actor.actor, AuditAction.TEAM_ADD, ("person", email), details, at=now)
        return _get(conn, email)


def _active_member(conn: Connection, email: str) -> Member:
    member = _get(conn, normalise_email(email))
    if member is None or not member.active:
        raise TeamError(i18n.Msg("team.error.not_in_team", email=email.strip()))
    return member


def change_role(store: HistoryStore, actor: Person, email: str, role: Role | str) -> Member:
    require(actor, Action.MANAGE_TEAM)
    role = _role(role)
    with store.write() as conn:
        member = _active_member(conn, email)
        if member.role is role:
            return member
        if member.role is Role.ADMIN and not _other_active_admins(conn, member.email):
            raise TeamError(i18n.Msg("team.error.only_admin", name=member.name))
        conn.execute(update(s.people).where(s.people.c.email == member.email).values(role=role.value))
        audit.record(conn, actor.actor, AuditAction.TEAM_CHANGE, ("person", member.email),
                     {"before": {"role": member.role.value}, "after": {"role": role.value}})
        return _get(conn, member.email)


def remove_member(store: HistoryStore, actor: Person, email: str) -> Member:
    require(actor, Action.MANAGE_TEAM)
    with store.write() as conn:
        member = _active_member(conn, email)
        if member.role is Role.ADMIN and not _other_active_admins(conn, member.email):
            raise TeamError(i18n.Msg("team.error.only_admin", name=member.name))
        conn.execute(update(s.people).where(s.people.c.email == member.email).values(active=False))
        audit.record(conn, actor.actor, AuditAction.TEAM_REMOVE, ("person", member.email),
                     {"name": member.name, "role": member.role.value})
        return _get(conn, member.email)


def adopt_provider_name(store: HistoryStore, email: str, name: str | None) -> None:
    """An admin bootstrapped from CONSOLE_ADMINS is known only by the start of their email until their
    first sign-in; then the team takes the name their sign-in provider gives."""
    name = (name or "").strip()
    email = (email or "").strip().lower()
    if not name:
        return
    p = s.people
    with store.write() as conn:
        conn.execute(update(p).where(p.c.email == email, p.c.added_by == BOOTSTRAP_ACTOR,
                                     p.c.name == email.split("@")[0]).values(name=name))


def record_sign_in(store: HistoryStore, person: Person, issued_at: int | float | None) -> bool:
    """Audit a sign-in once: Streamlit keeps the identity in a cookie, so every new browser session
    of one sign-in shows the same token issue time. Returns whether a new event was written."""
    marker = int(issued_at) if issued_at is not None else None
    with store.write() as conn:
        if marker is not None:
            seen = audit.list_events(conn, actors=[person.actor], actions=[AuditAction.SIGN_IN], limit=50)
            if any(ev.details.get("issued_at") == marker for ev in seen):
                return False
        audit.record(conn, person.actor, AuditAction.SIGN_IN, ("person", person.actor),
                     {"role": person.role.value, "issued_at": marker})
        return True

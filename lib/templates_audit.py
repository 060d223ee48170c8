"""The template catalog as the Templates page changes it: role checked, and every change audited.

With a live platform the catalog lives in the history store, and each change and its audit row are
one transaction. In sandbox mode the catalog is the sandbox's JSON file, which cannot share a
database transaction: the file is written first and the audit row right after, so a failed write
leaves no audit row (a crash between the two would leave a change without its row, in the sandbox only).
"""

from __future__ import annotations

from sqlalchemy import Connection

from lib import audit
from lib.audit import AuditAction
from lib.history.store import HistoryStore
from lib.runtime import StoreCatalog
from lib.team.roles import Action, Person, require
from lib.templates import FileCatalog, Template


def _snapshot(template: Template | None) -> dict | None:
    return None if template is None else template.to_json()


class AuditedCatalog:
    def __init__(self, catalog: FileCatalog | StoreCatalog, store: HistoryStore, person: Person):
        self.catalog = catalog
        self.store = store
        self.person = person
        self.in_store = isinstance(catalog, StoreCatalog)

    def list(self) -> list[Template]:
        return self.catalog.list()

    def _find(self, template_id: int) -> Template | None:
        return next((t for t in self.catalog.list() if t.id == template_id), None)

    def save(self, template: Template) -> None:
        require(self.person, Action.MANAGE_TEMPLATES)
        before = self._find(template.id)
        action = AuditAction.TEMPLATE_CREATE if before is None else AuditAction.TEMPLATE_EDIT
        details = {"name": template.name, "before": _snapshot(before), "after": _snapshot(template)}
        self._change(action, ("template", template.id), details,
                     in_store=lambda conn: self.store.upsert_template(template, conn=conn), in_file=lambda: self.catalog.save(template))

    def delete(self, template_id: int) -> None:
        require(self.person, Action.MANAGE_TEMPLATES)
        before = self._find(template_id)
        details = {"name": before.name if before else None, "before": _snapshot(before), "after": None}
        self._change(AuditAction.TEMPLATE_DELETE, ("template", template_id), details,
                     in_store=lambda conn: self.store.delete_template(template_id, conn=conn), in_file=lambda: self.catalog.delete(template_id))

    def replace_all(self, templates: list[Template]) -> None:
        """An imported catalog: one audit row naming the templates added, changed and removed."""
        require(self.person, Action.MANAGE_TEMPLATES)
        old = {t.id: t for t in self.catalog.list()}
        new = {t.id: t for t in templates}
        details = {
            "added": sorted(new.keys() - old.keys()),
            "changed": sorted(i for i in new.keys() & old.keys() if new[i] != old[i]),
            "removed": sorted(old.keys() - new.keys()),
        }

        def in_store(conn: Connection) -> None:
            for template_id in details["removed"]:
                self.store.delete_template(template_id, conn=conn)
            for template in templates:
                self.store.upsert_template(template, conn=conn)

        self._change(AuditAction.TEMPLATES_IMPORT, ("catalog", None), details,
                     in_store=in_store, in_file=lambda: self.catalog.replace_all(templates))

    def _change(self, action: AuditAction, obj: tuple, details: dict, *, in_store, in_file) -> None:
        if self.in_store:
            with self.store.write() as conn:
                in_store(conn)
                audit.record(conn, self.person.actor, action, obj, details)
            return
        in_file()
        with self.store.write() as conn:
            audit.record(conn, self.person.actor, action, obj, details)


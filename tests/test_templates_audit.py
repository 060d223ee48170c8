"""Template changes from the Templates page: only admins, each audited with before and after, and in the
store's case the change and its audit row commit together or not at all."""

import pytest

from lib import audit, templates_audit
from lib.history.store import open_store
from lib.runtime import StoreCatalog
from lib.team import NotAllowed, Person, Role
from lib.templates import Channel, FileCatalog, Template

ADMIN = Person("ann@example.com", "Ann", Role.ADMIN)
WELCOME = Template(501, "Welcome", Channel.SMS, "Hi {{Firstname}}")


@pytest.fixture(params=["store", "file"])
def catalog(request, tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'c.db'}", shared=False)
    inner = StoreCatalog(store) if request.param == "store" else FileCatalog(tmp_path / "templates.json")
    return templates_audit.AuditedCatalog(inner, store, ADMIN)


def trail(catalog):
    with catalog.store.read() as conn:
        return [(e.action, e.object_id, e.details.get("before"), e.details.get("after"))
                for e in reversed(audit.list_events(conn))]


def test_create_edit_delete_are_audited_with_before_and_after(catalog):
    catalog.save(WELCOME)
    edited = Template(501, "Welcome", Channel.SMS, "Hello {{Firstname}}")
    catalog.save(edited)
    catalog.delete(501)
    assert catalog.list() == []
    assert trail(catalog) == [
        ("template_create", "501", None, WELCOME.to_json()),
        ("template_edit", "501", WELCOME.to_json(), edited.to_json()),
        ("template_delete", "501", edited.to_json(), None),
    ]


def test_an_import_names_what_it_added_changed_and_removed(catalog):
    catalog.save(WELCOME)
    catalog.save(Template(502, "Bye", Channel.SMS, "Bye"))
    catalog.replace_all([Template(501, "Welcome", Channel.SMS, "New"), Template(503, "New", Channel.SMS, "x")])
    with catalog.store.read() as conn:
        last = audit.list_events(conn, limit=1)[0]
    assert (last.action, last.details) == ("templates_import", {"added": [503], "changed": [501], "removed": [502]})
    assert [t.id for t in catalog.list()] == [501, 503]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.SENDER, Role.APPROVER])
def test_only_an_admin_changes_templates(catalog, role):
    catalog.save(WELCOME)
    catalog.person = Person("pat@example.com", "Pat", role)
    for change in (lambda: catalog.save(Template(502, "X", Channel.SMS, "x")), lambda: catalog.delete(501),
                   lambda: catalog.replace_all([])):
        with pytest.raises(NotAllowed, match="may not change the templates"):
            change()
    assert [t.id for t in catalog.list()] == [501]
    assert len(trail(catalog)) == 1


def test_in_the_store_a_failed_change_leaves_neither_template_nor_audit_row(tmp_path, monkeypatch):
    store = open_store(f"sqlite:///{tmp_path / 'c.db'}", shared=False)
    catalog = templates_audit.AuditedCatalog(StoreCatalog(store), store, ADMIN)
    real_upsert = store.upsert_template

    def upsert_then_fail(template, now=None, *, conn=None):
        real_upsert(template, now, conn=conn)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(store, "upsert_template", upsert_then_fail)
    with pytest.raises(RuntimeError):
        catalog.save(WELCOME)
    assert catalog.list() == [] and trail(catalog) == []

    monkeypatch.setattr(store, "upsert_template", real_upsert)
    monkeypatch.setattr(audit, "record", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("audit failed")))
    with pytest.raises(RuntimeError):
        catalog.save(WELCOME)
    assert catalog.list() == []  # no change without its audit row

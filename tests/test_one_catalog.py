"""One template catalog whatever the entry point (issue 12): a template made on the Templates page is
known to `check`, `preview` and `send`; one deleted there is refused by all three."""

from __future__ import annotations

import pytest

from lib.cli import main
from lib.history.store import close_all_stores
from lib.runtime import console_catalog
from lib.settings import get_settings
from lib.templates import Channel, Template, TemplateKind

LIST = "customer id;mobile;name\nC1;6936862208;Maria\n"


@pytest.fixture
def console(tmp_path, monkeypatch):
    monkeypatch.setenv("CONSOLE_SANDBOX_DIR", str(tmp_path / "sandbox"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'console.db'}")
    monkeypatch.delenv("MESSAGING_API_URL", raising=False)
    get_settings.cache_clear()
    (tmp_path / "list.csv").write_text(LIST, encoding="utf-8")
    catalog = console_catalog(get_settings(), None)  # the Templates page's catalog in sandbox mode
    catalog.save(Template(99, "Hello", Channel.SMS, "Hi {{name}}", kind=TemplateKind.SERVICE))
    yield catalog, str(tmp_path / "list.csv")
    get_settings.cache_clear()
    close_all_stores()


def test_a_template_made_on_the_templates_page_is_known_to_every_command(console, capsys):
    _, path = console
    assert main(["check", path, "--channel", "sms", "--template", "99"]) == 0
    assert main(["preview", path, "--template", "99"]) == 0
    assert "Hi Maria" in capsys.readouterr().out


def test_a_template_deleted_there_is_refused_by_every_command(console, capsys):
    catalog, path = console
    catalog.delete(99)
    assert main(["check", path, "--channel", "sms", "--template", "99"]) != 0
    assert main(["preview", path, "--template", "99"]) != 0
    assert main(["send", path, "--template", "99", "--yes"]) == 2
    assert capsys.readouterr().err.count("There is no template 99") == 3

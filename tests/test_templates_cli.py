"""`python -m lib templates …`: the catalog the Templates page edits, from a shell."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import subprocess_env

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def console(tmp_path):
    """Run `python -m lib ARGS` against a sandbox catalog and store of its own."""
    base = subprocess_env("MESSAGING_API_", "CONSOLE_")
    base.update(CONSOLE_SANDBOX_DIR=str(tmp_path / "sandbox"), DATABASE_URL=f"sqlite:///{tmp_path / 'console.db'}")

    def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "lib", *args], cwd=ROOT, env={**base, **(env or {})},
                              capture_output=True, text=True, timeout=60)

    run.sandbox_dir = tmp_path / "sandbox"
    return run


def test_list_show_export_import_round_trip(console, tmp_path):
    listed = console("templates", "list")
    assert listed.returncode == 0, listed.stderr
    assert "    71  SMS" in listed.stdout and "{{voucherCode}}" in listed.stdout
    shown = console("templates", "show", "81")
    assert shown.returncode == 0 and shown.stdout.startswith("Template 81 · ") and "Subject: " in shown.stdout

    exported = tmp_path / "catalog.json"
    assert console("templates", "export", str(exported)).returncode == 0
    catalog = json.loads(exported.read_text(encoding="utf-8"))
    catalog.append({"id": 501, "name": "Black Friday", "channel": "sms", "body": "Hi {{Firstname}}, 30% off"})
    exported.write_text(json.dumps(catalog, ensure_ascii=False), encoding="utf-8")
    imported = console("templates", "import", str(exported))
    assert imported.returncode == 0, imported.stderr
    assert "1 new" in imported.stdout
    # The same catalog the app's Templates page edits in sandbox mode.
    on_disk = json.loads((console.sandbox_dir / "templates.json").read_text(encoding="utf-8"))
    assert 501 in {t["id"] for t in on_disk}
    assert json.loads(console("templates", "show", "501", "--json").stdout)["name"] == "Black Friday"
    # Recorded like an import on the Templates page: who, and which templates it added.
    events = json.loads(console("audit", "--json").stdout)
    [event] = [e for e in events if e["action"] == "templates_import"]
    assert event["details"]["added"] == [501]


def test_import_is_refused_for_someone_the_team_does_not_know(console, tmp_path):
    exported = tmp_path / "catalog.json"
    assert console("templates", "export", str(exported)).returncode == 0
    done = console("templates", "import", str(exported), "--as", "eve@example.com", env={"CONSOLE_AUTH": "on"})
    assert done.returncode == 77 and "eve@example.com" in done.stderr and done.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["templates", "show", "999"], "There is no template 999"),
        (["templates", "import", "/nonexistent.json"], "There is no file /nonexistent.json"),
        (["templates", "frobnicate"], "invalid choice"),
        (["templates"], "required"),
    ],
)
def test_refusals_exit_2_with_one_line(console, args, message):
    done = console(*args)
    assert done.returncode == 2 and message in done.stderr and done.stderr.count("\n") == 1


def test_a_broken_file_is_not_imported(console, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("[{\"id\": 1}", encoding="utf-8")
    before = console("templates", "list").stdout
    done = console("templates", "import", str(broken))
    assert done.returncode == 2 and "not valid JSON" in done.stderr
    assert console("templates", "list").stdout == before


def test_the_command_list_names_templates(console):
    assert "templates" in console("--help").stdout

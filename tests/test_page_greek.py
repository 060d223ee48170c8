"""The pages a marketer uses every day, read in Greek: with CONSOLE_LANGUAGE=el no English word is left in what
the page itself draws (titles, labels, options, buttons, help, captions, table headers, tabs), and Greek is shown.

Sentences that come from lib (a file's problems, the send button's "Send now to 3 people", a template's kind)
are put into words by lib's own catalogs and tested there; the elements that only show them are named below."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.support_app import app_env, page_path  # noqa: F401

FIXTURE = Path(__file__).parent / "fixtures" / "compose" / "promo-with-problems.csv"
APP = str(Path(page_path("home.py")).parents[1] / "app.py")
# Words a marketer would see if a label had been left in English (SMS, email, CSV, Excel, JSON are the same in Greek).
ENGLISH = ["Send", "Sent", "Recipients", "recipient", "Template", "Templates", "Upload", "Compose", "Error", "rows",
           "Row", "people", "person", "Column", "Problem", "Show", "Delete", "Save", "Import", "Export", "Add",
           "Remove", "Search", "Name", "Role", "Status", "Who", "Why", "Sign", "Check", "Connection", "Settings",
           "Platform", "Password", "Preview", "Warnings", "Left out", "Customer", "Home", "Team", "the", "and", "of",
           "to", "is", "for", "your", "with", "Change", "New", "Edit", "View"]
ENGLISH_WORD = re.compile(r"\b(" + "|".join(map(re.escape, ENGLISH)) + r")\b", re.IGNORECASE)
MESSAGES = {"title", "header", "subheader", "markdown", "caption", "info", "warning", "success", "error"}


def walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from walk(child)


def page_words(at: AppTest, *, skip_keys: tuple[str, ...] = (), messages: bool = True,
               skip_kinds: frozenset[str] = frozenset()) -> list[str]:
    """Every piece of text the page draws: labels, options, help, placeholders, tab and expander labels, table
    headers and, with `messages`, titles, markdown, captions and alerts. `skip_keys`: widgets (by key prefix)
    whose words are lib's; `skip_kinds`: element types that only show lib's sentences."""
    words = []
    for node in walk(at._tree):
        key = getattr(node, "key", None) or ""
        if skip_keys and key.startswith(skip_keys):
            continue
        kind = getattr(node, "type", "")
        if kind in skip_kinds:
            continue
        if kind in MESSAGES:
            if messages and not str(node.value).startswith("<style>"):
                words.append(str(node.value))
            continue
        if kind in {"arrow_data_frame", "dataframe"}:
            words.extend(str(c) for c in node.value.columns)
            continue
        for attribute in ("label", "help", "placeholder"):
            value = getattr(node, attribute, None)
            if isinstance(value, str) and value:
                words.append(value)
        if kind in {"radio", "selectbox"} and not key.startswith("view_template") and not key.startswith("edit_"):
            words.extend(str(o) for o in node.options)
    return words


def english_in(words: list[str]) -> list[str]:
    return [w for w in words if ENGLISH_WORD.search(w)]


@pytest.fixture
def greek(app_env, monkeypatch):  # noqa: F811
    monkeypatch.setenv("CONSOLE_LANGUAGE", "el")
    return app_env


def run(page: str) -> AppTest:
    at = AppTest.from_file(page_path(page) if page != "app.py" else APP, default_timeout=60).run()
    assert not at.exception, at.exception
    return at


def test_home_and_its_sidebar_are_in_greek(greek):
    at = run("app.py")
    # The connection check's sentence ("Connected to …") is the messaging client's.
    words = page_words(at, skip_kinds=frozenset({"success", "error"}))
    assert english_in(words) == []
    assert "Κονσόλα καμπανιών" in words and "Ρυθμίσεις σε ισχύ" in words
    links = [link.proto.label for link in at.get("page_link")]
    assert {"Αρχική", "Σύνταξη", "Ιστορικό αποστολών", "Πρότυπα", "Μην επικοινωνείτε", "Ομάδα"} <= set(links)
    settings = next(m.value for m in at.markdown if "Εκτιμώμενη τιμή ανά τμήμα SMS" in m.value)
    assert "0,05\xa0€" in settings  # Greek money: decimal comma, euro after the amount


def test_compose_is_in_greek_before_and_after_a_file_is_uploaded(greek):
    at = run("compose.py")
    assert english_in(page_words(at)) == []
    assert at.title[0].value == "Σύνταξη καμπάνιας"
    at.selectbox(key="compose_template").select_index(0).run()
    at.get("file_uploader")[0].upload("promo.csv", FIXTURE.read_bytes(), "text/csv").run()
    assert not at.exception, at.exception
    # After the upload the page also shows lib's sentences (problems, summary, the send button): only what the
    # page itself draws is checked here.
    words = page_words(at, skip_keys=("compose_send", "compose_include_received", "map-"), messages=False)
    words += [s.value for s in at.subheader] + [at.title[0].value]
    headers = FIXTURE.read_text(encoding="utf-8").splitlines()[0].split(";")  # the file's own (the rows as in it)
    assert english_in([w for w in words if w not in headers]) == []
    assert {"Γραμμές στο αρχείο", "Θα το λάβουν", "Εξαιρούνται", "Προειδοποιήσεις"} <= {m.label for m in at.metric}
    assert list(at.dataframe[0].value.columns) == ["Γραμμή", "Στήλη", "Τι γίνεται", "Πρόβλημα"]
    assert set(at.dataframe[0].value["Τι γίνεται"]) <= {"Εξαιρείται", "Στέλνεται (ελέγξτε τη)"}
    assert any(t.label == "Εξαιρούνται (5)" for t in at.tabs)


def test_templates_is_in_greek(greek):
    at = run("templates.py")
    # The template kind's name is the template catalog's (lib) word.
    words = page_words(at, skip_keys=("template_kind",))
    assert english_in(words) == []
    assert list(at.dataframe[0].value.columns) == ["Κωδικός", "Όνομα", "Κανάλι", "Είδος", "Ετικέτες"]
    assert at.button(key="template_save").label == "Αποθήκευση προτύπου"


def test_do_not_contact_is_in_greek_with_greek_dates(greek):
    at = run("do_not_contact.py")
    at.text_input(key="dnc_value").input("+30 693 111 2233")
    at.text_input(key="dnc_reason").input("απάντησε STOP")
    at.button(key="dnc_add").click().run()
    at.run()
    assert english_in(page_words(at)) == []
    table = at.dataframe[-1].value
    assert list(table.columns) == ["Ποιος", "Για", "Αιτία", "Προστέθηκε από", "Προστέθηκε"]
    assert table["Για"].iloc[0] == "SMS και email"
    assert re.fullmatch(r"\d{1,2} [Α-Ωα-ωάέήίόύώ]{3,4} \d{4}", table["Προστέθηκε"].iloc[0])  # 2 Δεκ 2026
    assert at.metric[0].label == "Στη λίστα" and at.metric[0].value == "1"


def test_team_is_in_greek_with_greek_role_names(greek):
    at = run("team.py")
    at.text_input(key="team_add_email").input("maria@example.gr")
    at.text_input(key="team_add_name").input("Μαρία")
    at.radio(key="team_add_role").set_value("sender")
    at.button(key="team_add_submit").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["Μαρία: μπορεί πλέον να συνδεθεί ως συντάκτης."]
    assert english_in(page_words(at)) == []
    table = at.dataframe[0].value
    assert list(table.columns) == ["Όνομα", "Email", "Ρόλος", "Κατάσταση", "Προστέθηκε"]
    assert list(table["Ρόλος"]) == ["Συντάκτης"]
    assert re.fullmatch(r"\d{1,2} [Α-Ωα-ωάέήίόύώ]{3,4} \d{4} από apptest", table["Προστέθηκε"][0])
    assert "1 άτομο στην ομάδα." in at.caption[0].value


def test_a_refusal_is_in_greek(greek):
    from lib import i18n
    from lib.team import Action, NotAllowed, Person, Role

    sam = Person("sam@example.com", "Sam", Role.SENDER)
    refusal = NotAllowed(sam, Action.MANAGE_TEAM)
    with i18n.language("el"):
        assert str(refusal) == "Sam (συντάκτης) δεν μπορεί να διαχειριστεί την ομάδα: ζητήστε το από έναν διαχειριστή της ομάδας."
    with i18n.language("en"):
        assert str(refusal) == "Sam (sender) may not manage the team: ask an admin of the team."

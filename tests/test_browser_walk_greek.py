"""The everyday pages in Greek in a real browser, at 1024 and 1440 px: the reader picks Ελληνικά in the sidebar,
every page opens without an error and nothing on it is cut off sideways; screenshots walk-el-*.png are saved
under tests/artifacts/ to be looked at."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support_browser import (  # noqa: F401
    browser_page,
    choose,
    console_app,
    screenshot,
    sidebar_link,
    wait_for_app_idle,
)
from tests.test_browser_walk import wait_until_drawn

pytestmark = pytest.mark.browser
FIXTURE = Path(__file__).parent / "fixtures" / "compose" / "promo-with-problems.csv"
PAGES = {"Αρχική": "home", "Σύνταξη": "compose", "Πρότυπα": "templates", "Μην επικοινωνείτε": "do-not-contact",
         "Ομάδα": "team"}
TOP = "document.querySelector('[data-testid=stMain]').scrollTo(0, 0)"
# The main area scrolls sideways only when something is wider than the window.
SIDEWAYS = "(() => { const m = document.querySelector('[data-testid=stMain]'); return m.scrollWidth - m.clientWidth; })()"
# A table whose columns are wider than the page hides some of them behind its own sideways scrollbar.
TABLES_SIDEWAYS = """[...document.querySelectorAll('[data-testid=stDataFrame] .dvn-scroller')]
    .filter(s => s.scrollWidth > s.clientWidth + 1).map(s => s.closest('[data-testid=stDataFrame]').innerText.slice(0, 60))"""


# Words of the English console that must not reach a Greek reader. Data is exempt: the sandbox's template
# names ("Promo code (SMS)") and the uploaded file's own headers are what the platform and the marketer wrote.
ENGLISH = re.compile(
    r"\b(Send|Sent|Sending|Recipients?|Templates?|Dispatch(?:es)?|Queued|Pending|Draft|Error|Warnings?|rows?|"
    r"Upload|Compose|Preview|Left out|Schedule[d]?|Cost|Status|people|person|Home|Team|Audit|Approvals?|"
    r"Download|Search|Sign (?:in|out)|Language|Now|Today|parts?|chunks?|may or may not)\b")
DATA = re.compile(r"Promo code|Birthday greeting|Spring sale|customer id|voucherCode|voucherAmount|expirationDate")


# What a reader reads: the main area and the sidebar, without Material icons (their ligature names, like
# "person", are text in the page but drawn as pictures).
READABLE = """() => ['[data-testid=stMain]', '[data-testid=stSidebar]'].map(sel => {
    document.querySelectorAll(sel + ' *').forEach(e => {
        if (getComputedStyle(e).fontFamily.includes('Material')) e.setAttribute('data-walk-icon', '');
    });
    const copy = document.querySelector(sel).cloneNode(true);
    copy.querySelectorAll('[data-walk-icon]').forEach(i => i.remove());
    document.body.appendChild(copy);
    const text = copy.innerText;
    copy.remove();
    return text;
}).join('\\n')"""


def english_on(page) -> list[str]:
    text = DATA.sub(" ", page.evaluate(READABLE))
    return sorted({text[max(0, m.start() - 40):m.end() + 40] for m in ENGLISH.finditer(text)})


def shoot(page, name: str) -> None:
    found = english_on(page)
    assert found == [], f"English words on {name}: {found}"
    for width in (1024, 1440):
        page.set_viewport_size({"width": width, "height": 900})
        wait_until_drawn(page)
        assert page.evaluate(SIDEWAYS) <= 1, f"{name} scrolls sideways at {width} px"
        assert page.evaluate(TABLES_SIDEWAYS) == [], f"a table on {name} scrolls sideways at {width} px"
        page.evaluate(TOP)
        screenshot(page, f"walk-el-{name}-{width}")
    page.set_viewport_size({"width": 1400, "height": 1000})


def test_the_everyday_pages_in_greek(console_app, browser_page):  # noqa: F811
    page = browser_page
    page.goto(console_app.url)
    wait_until_drawn(page)
    choose(page, "_language_picker", "Ελληνικά")
    wait_until_drawn(page)
    assert page.get_by_test_id("stSidebar").get_by_text("Σύνταξη", exact=True).is_visible()
    for title, name in PAGES.items():
        sidebar_link(page, title).click()
        wait_until_drawn(page)
        assert page.get_by_test_id("stException").count() == 0, f"{title} raised an exception"
        shoot(page, name)

    sidebar_link(page, "Μην επικοινωνείτε").click()
    wait_until_drawn(page)
    page.locator(".st-key-dnc_value input").fill("+30 693 111 2299")
    page.locator(".st-key-dnc_reason input").fill("απάντησε STOP")
    page.locator(".st-key-dnc_add button").click()
    page.get_by_text("Δεν θα γίνεται επικοινωνία με +306931112299").wait_for()
    shoot(page, "do-not-contact-listed")

    sidebar_link(page, "Ομάδα").click()
    wait_until_drawn(page)
    page.locator(".st-key-team_add_email input").fill("maria@example.gr")
    page.locator(".st-key-team_add_name input").fill("Μαρία Παπαδοπούλου")
    page.locator(".st-key-team_add_submit button").click()
    page.get_by_text("Μαρία Παπαδοπούλου: μπορεί πλέον να συνδεθεί").wait_for()
    shoot(page, "team-added")

    sidebar_link(page, "Σύνταξη").click()
    wait_until_drawn(page)
    choose(page, "compose_template", "71 ·")
    page.locator("input[type='file']").set_input_files(str(FIXTURE))
    page.get_by_text("Γραμμές στο αρχείο").wait_for()
    shoot(page, "compose-file")
    page.locator(".st-key-compose_send button").click()
    page.get_by_text("Δεκτοί από την πλατφόρμα").first.wait_for(timeout=30_000)  # the worker posted it
    wait_until_drawn(page)
    assert page.get_by_test_id("stException").count() == 0
    shoot(page, "compose-result")

    for title, name in {"Ιστορικό αποστολών": "dispatches", "Ιστορικό ενεργειών": "audit"}.items():
        sidebar_link(page, title).click()
        wait_until_drawn(page)
        assert page.get_by_test_id("stException").count() == 0, f"{title} raised an exception"
        shoot(page, name)

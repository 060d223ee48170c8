"""The Dispatches page's words in Greek — statuses, roll-ups, charts, refresh banners — and a translation
can never change a colour, a chart series or a filter: those are keyed by the status, not its words."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from lib import charts, i18n
from lib.history import queries as q
from lib.history.refresh import RefreshHealth
from lib.history.vocabulary import DispatchStatus as S
from lib.history.vocabulary import Outcome as O


@pytest.mark.parametrize(
    ("status", "greek"),
    [
        (S.DRAFT, "Πρόχειρο"),
        (S.PENDING, "Σε εκκρεμότητα"),
        (S.QUEUED, "Στην ουρά"),
        (S.ERROR, "Σφάλμα"),
        (S.UNKNOWN, "Αβέβαιο"),
        (S.REJECTED, "Απορρίφθηκε"),
        (S.NOT_SENT, "Δεν στάλθηκε"),
        (S.AWAITING_APPROVAL, "Σε αναμονή έγκρισης"),
        (S.WAITING, "Περιμένει τον αποστολέα"),
    ],
)
def test_status_labels_in_greek(status, greek):
    with i18n.language("el"):
        assert status.label == greek


@pytest.mark.parametrize(
    ("labels", "queued", "said"),
    [
        ({S.QUEUED: 98, S.PENDING: 2}, False, "100 παρτίδες: 2 σε εκκρεμότητα, 98 στην ουρά"),
        ({S.QUEUED: 1}, False, "1 παρτίδα: στην ουρά"),
        ({S.QUEUED: 1_500}, False, "1.500 παρτίδες: στην ουρά"),
        ({S.DRAFT: 3}, False, "3 παρτίδες: πρόχειρες"),
        ({S.ERROR: 1, S.QUEUED: 1_200}, False, "1.201 παρτίδες: 1 με σφάλμα, 1.200 στην ουρά"),
        ({S.QUEUED: 2, S.NOT_SENT: 1}, False, "2 παρτίδες: στην ουρά · 1 μέρος δεν στάλθηκε"),
        ({S.QUEUED: 2, S.NOT_SENT: 3}, True, "2 παρτίδες: στην ουρά · 3 μέρη περιμένουν τον αποστολέα"),
        ({S.UNKNOWN: 1}, False, "1 μέρος αβέβαιο (μπορεί να στάλθηκε ή όχι)"),
        ({}, False, "Δεν στάλθηκε τίποτα"),
    ],
)
def test_a_sends_roll_up_in_greek(labels, queued, said):
    with i18n.language("el"):
        assert q.rollup_text(labels, queued=queued) == said


def test_the_live_panel_roll_up_in_greek():
    send = q.LiveSend(1, "Προσφορά", datetime.now(UTC), "maria", 10, False, None, S.QUEUED, 1, 1,
                      {S.PENDING: 2, S.QUEUED: 1_098})  # fmt: skip
    with i18n.language("el"):
        assert send.rollup == "1.100 παρτίδες: 2 σε εκκρεμότητα, 1.098 στην ουρά"
        assert q.LiveSend(1, "x", datetime.now(UTC), "m", 1, False, None, S.WAITING, 0, 1, {}).rollup == (
            "καμία παρτίδα ακόμη")


def test_chart_title_axes_series_and_numbers_in_greek():
    frame = pd.DataFrame(
        {"day": [date(2025, 3, 1)] * 2, "outcome": [O.ACCEPTED, O.REJECTED_BY_US], "recipients": [1_200, 5]}
    )
    with i18n.language("el"):
        fig = charts.recipients_per_day(frame)
        empty = charts.dispatches_per_day(pd.DataFrame({"day": [], "status": [], "dispatches": []}))
    assert fig.layout.title.text == "Παραλήπτες ανά ημέρα, κατά αποτέλεσμα"
    assert fig.layout.xaxis.title.text == "Ημέρα της αποστολής"
    assert fig.layout.yaxis.title.text == "Παραλήπτες (άτομα)"
    assert fig.layout.legend.title.text == "Αποτέλεσμα"
    assert [t.name for t in fig.data] == ["Έγιναν δεκτοί από την πλατφόρμα", "Εξαιρέθηκαν στους ελέγχους μας"]
    assert "παραλήπτες" in fig.data[0].hovertemplate
    assert fig.layout.separators == ",."  # 1.200 in Greek: comma for decimals, dot for thousands
    assert empty.layout.annotations[0].text == "Καμία παρτίδα στην περίοδο που επιλέξατε"
    assert charts.recipients_per_day(frame).layout.separators == ".,"  # and 1,200 in English


def test_status_history_chart_in_greek_keeps_the_status_order():
    frame = pd.DataFrame({"taken_at": [datetime(2025, 3, 1, 9, tzinfo=UTC), datetime(2025, 3, 1, 9, 1, tzinfo=UTC)],
                          "status": [S.DRAFT, S.QUEUED]})  # fmt: skip
    with i18n.language("el"):
        fig = charts.status_history(frame)
    assert list(fig.data[0].y) == ["Πρόχειρο", "Στην ουρά"]
    assert list(fig.layout.yaxis.categoryarray) == ["Πρόχειρο", "Στην ουρά"]
    assert fig.layout.yaxis.title.text == "Κατάσταση" and fig.layout.xaxis.title.text == "Καταγράφηκε (UTC)"


def test_refresh_banner_in_greek():
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    health = RefreshHealth(now - timedelta(minutes=5), now, "Could not reach the platform")
    with i18n.language("el"):
        banner = health.banner(now)
    assert banner == ("Οι καταστάσεις ενημερώθηκαν τελευταία φορά πριν από 5 λεπτά (1 Μαρ, 11:55). "
                      "Δεν ενημερώνονται τώρα: Could not reach the platform. Το ιστορικό παρακάτω είναι ό,τι είχε "
                      "αποθηκευτεί.")  # fmt: skip
    assert "1 second ago" in RefreshHealth(now - timedelta(seconds=1), now, "down").banner(now)


def test_a_translation_cannot_change_a_colour_a_series_or_a_filter(monkeypatch):
    """A translator's slip — Queued worded as "Error" — changes words only."""
    monkeypatch.setitem(i18n.catalog("en").messages, "history.status.queued", "Error")
    frame = pd.DataFrame({"day": [date(2025, 3, 1)] * 2, "status": [S.QUEUED, S.ERROR], "dispatches": [3, 1]})
    fig = charts.dispatches_per_day(frame)
    series = sorted((trace.marker.color, list(trace.y)) for trace in fig.data)
    assert series == [("#00703c", [3]), ("#d4351c", [1])]  # still two series: green for queued, red for error
    import ui

    badge = ui.status_badge(S.QUEUED)
    assert ">Error<" in badge and "background:#00703c" in badge and 'data-status="queued"' in badge
    assert charts.status_colour(S.QUEUED) == "#00703c"
    assert q.kpis(_history_with(S.QUEUED)).dispatches_in_error == 0  # counting errors reads the status


def _history_with(status: S) -> q.History:
    empty = pd.DataFrame({"submitted": [], "accepted": [], "excluded_recipients": [], "platform_invalid": [],
                          "unconfirmed": [], "channel": [], "estimated_parts": [], "estimated_cost": []})  # fmt: skip
    return q.History(empty, pd.DataFrame(), pd.DataFrame({"status": [status]}), UTC)


def test_greek_charts_write_dates_in_digits_not_english_month_names():
    frame = pd.DataFrame({"day": [date(2025, 3, 1)], "status": [S.QUEUED], "dispatches": [2]})
    with i18n.language("el"):
        fig = charts.dispatches_per_day(frame)
    assert fig.layout.xaxis.tickformat == "%d/%m" and "%b" not in fig.data[0].hovertemplate
    assert charts.dispatches_per_day(frame).layout.xaxis.tickformat == "%d %b"

"""What Compose says, as tables at the boundaries: the button, the typed count, money, SMS length in plain
words, when GSM-safe Greek is offered, the defaults and the template's name (issue 12)."""

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from lib.campaign import (
    defaults_sentences,
    missing_tag_sentence,
    needs_typed_count,
    people,
    send_button_label,
    template_label,
    typed_count_matches,
)
from lib.personalization.preview import gsm_greek_advice, list_metrics, parts_per_recipient, shorter_parts_sentence
from lib.settings import load_settings
from lib.templates import Channel, Template, load_catalog

ATHENS = ZoneInfo("Europe/Athens")
CATALOG = {t.id: t for t in load_catalog()}
PROMO, GREEK, BIRTHDAY = CATALOG[71], CATALOG[72], CATALOG[73]
DEC_30_10AM = datetime(2026, 12, 30, 8, 0, tzinfo=UTC)  # 10:00 in Athens


@pytest.mark.parametrize(("count", "when", "approval", "label"), [
    (1, None, False, "Send now to 1 person"),
    (20, None, False, "Send now to 20 people"),
    (1500, None, False, "Send now to 1,500 people"),
    (1, DEC_30_10AM, False, "Schedule for 30 Dec 10:00 to 1 person"),
    (20, DEC_30_10AM, False, "Schedule for 30 Dec 10:00 to 20 people"),
    (3, None, True, "Submit for approval: send to 3 recipients"),  # the approvals' wording stays
    (1, DEC_30_10AM, True, "Submit for approval: send to 1 recipient"),
])
def test_the_send_button_says_what_it_will_do(count, when, approval, label):
    assert send_button_label(count, when, ATHENS, needs_approval=approval) == label


@pytest.mark.parametrize(("count", "words"), [(0, "0 people"), (1, "1 person"), (2, "2 people"), (1000, "1,000 people")])
def test_people_are_counted_with_the_right_plural(count, words):
    assert people(count) == words


@pytest.mark.parametrize(("sandbox", "count", "above", "asked"), [
    (False, 1000, 1000, False),  # at the threshold: one click
    (False, 1001, 1000, True),
    (True, 100_000, 1000, False),  # the sandbox costs nothing
    (False, 1, 0, True),  # 0: every live send
])
def test_a_typed_count_is_asked_only_above_the_threshold_on_a_live_platform(sandbox, count, above, asked):
    settings = load_settings({"CONSOLE_CONFIRM_ABOVE": str(above)})
    assert needs_typed_count(settings, is_sandbox=sandbox, count=count) is asked


def test_the_threshold_defaults_to_1000_and_refuses_words():
    assert load_settings({}).confirm_above == 1000
    with pytest.raises(ValueError, match="CONSOLE_CONFIRM_ABOVE"):
        load_settings({"CONSOLE_CONFIRM_ABOVE": "many"})


@pytest.mark.parametrize(("typed", "count", "ok"), [
    ("1500", 1500, True), ("1,500", 1500, True), ("1.500", 1500, True), (" 1 500 ", 1500, True),
    ("1499", 1500, False), ("15000", 1500, False), ("", 1500, False), ("yes", 1500, False), ("-1500", 1500, False),
])
def test_the_typed_count_must_be_the_number_of_people(typed, count, ok):
    assert typed_count_matches(typed, count) is ok


def test_the_currency_setting_defaults_to_euro_and_takes_a_code():
    assert load_settings({}).currency == "EUR"
    assert load_settings({"CONSOLE_CURRENCY": "gbp"}).currency == "GBP"
    with pytest.raises(ValueError, match="CONSOLE_CURRENCY"):
        load_settings({"CONSOLE_CURRENCY": "euros"})


@pytest.mark.parametrize(("characters", "messages", "sentence"), [
    ("Κ", 1, "Greek letters (Κ) make each SMS part shorter (70 characters instead of 160) in 1 message."),
    ("Κώ’", 12, "Greek letters (Κ, ώ) and curly quotes (’) make each SMS part shorter (70 characters instead of 160)"
                " in 12 messages."),
    ("’", None, "Curly quotes (’) make each SMS part shorter (70 characters instead of 160)."),
    ("ë", 2, "Special characters (ë) make each SMS part shorter (70 characters instead of 160) in 2 messages."),
    ("", 0, ""),
])
def test_sms_length_is_explained_in_plain_words_naming_the_characters(characters, messages, sentence):
    assert shorter_parts_sentence(characters, messages) == sentence
    assert "UCS" not in sentence


def names(*values: str) -> pd.DataFrame:
    return pd.DataFrame({"Firstname": list(values)}, index=pd.RangeIndex(2, 2 + len(values)))


@pytest.mark.parametrize(("template", "values", "offered", "why"), [
    (BIRTHDAY, names("Γιώργος", "Maria"), True, ""),  # Greek names in an English text: capitals save parts
    (BIRTHDAY, names("Maria", "Nikos"), False, ""),  # nothing to save, nothing to say
    (BIRTHDAY, names("Zoë"), False, "would not save any SMS part"),  # ë is not Greek: it cannot help
    (GREEK, names("Γιώργος"), False, "the template's own text already needs"),  # the text itself is Greek
])
def test_gsm_safe_greek_is_offered_only_where_it_saves_parts(template, values, offered, why):
    if template is GREEK:
        values = values.assign(cardNumber="123", points="5")
    values = values.assign(expirationDate="30/12") if "expirationDate" in str(template.body) else values
    advice = gsm_greek_advice(list_metrics(template, values))
    assert advice.offer is offered
    assert why in advice.why_not and (why != "" or advice.why_not == "")


@pytest.mark.parametrize(("defaults", "sentences"), [
    ({}, []),
    ({"voucherAmount": "10 €"}, ["{{voucherAmount}} in the message: 10 € where the file has none"]),
])
def test_defaults_are_named_in_plain_words(defaults, sentences):
    assert defaults_sentences(defaults) == sentences


@pytest.mark.parametrize(("name", "channel", "label"), [
    ("Promo code (SMS)", Channel.SMS, "71 · Promo code (SMS)"),  # not "(SMS) (SMS)"
    ("Promo code", Channel.SMS, "71 · Promo code (SMS)"),
    ("Spring sale (email)", Channel.EMAIL, "71 · Spring sale (email)"),
])
def test_the_channel_is_named_once_in_a_templates_label(name, channel, label):
    template = Template(id=71, name=name, channel=channel, body="Hi")
    assert template_label(template) == label


@pytest.mark.parametrize(("tags", "sentence"), [
    ((), None),
    (("Firstname",), "Choose which column fills {{Firstname}}"),
    (("Firstname", "points"), "Choose which columns fill {{Firstname}} and {{points}}"),
])
def test_a_tag_without_a_column_is_one_sentence(tags, sentence):
    said = missing_tag_sentence(tags)
    assert said == sentence if sentence is None else said.startswith(sentence)


@pytest.mark.parametrize(("distribution", "said"), [
    ({}, "none"),
    ({1: 1}, "1 gets 1 part"),
    ({1: 3000, 2: 1}, "3,000 get 1 part, 1 gets 2 parts"),
])
def test_parts_per_recipient_reads_right_for_one_and_many(distribution, said):
    assert parts_per_recipient(distribution) == said


def test_the_problems_table_and_the_rows_to_fix_file_hold_every_row_left_out():
    from pathlib import Path

    from lib.campaign import CampaignChoices, campaign_counts, preview_campaign, problems_table, rows_to_fix_file
    from lib.recipients import load_recipient_list
    from lib.templates import template_tags

    data = (Path(__file__).parent / "fixtures" / "compose" / "promo-with-problems.csv").read_bytes()
    recipients = load_recipient_list(data, "promo.csv", channel=Channel.SMS, template_tags=template_tags(PROMO))
    campaign = preview_campaign(PROMO, recipients, CampaignChoices(), Decimal("0.05"))
    table = problems_table(campaign)
    left_out = sorted(table.loc[table["What happens"] == "Left out", "row"].unique())
    assert left_out == sorted(campaign.excluded()["Row"]) == [4, 5, 6, 7, 8]  # row 7: no voucher code
    assert campaign_counts(campaign).left_out == 5
    csv = rows_to_fix_file(campaign, "csv").decode("utf-8-sig")
    assert "Missing value for {{voucherCode}}" in csv and "C006" in csv

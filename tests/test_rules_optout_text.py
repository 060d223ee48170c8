"""The SMS opt-out text: a marketing SMS must carry it (checked on save and before sending), and it is paid for."""

import json
from decimal import Decimal

import pandas as pd
import pytest

from lib.personalization.preview import list_metrics
from lib.rules.optout_text import check_before_send, missing_optout_text
from lib.settings import SettingsError, load_settings
from lib.templates import CatalogError, Channel, Template, TemplateKind, catalog_refusals, template_from_form

STOP = "STOP 54xxx"
ADD = "Add the opt-out text 'STOP 54xxx' to this marketing SMS so people can unsubscribe"


@pytest.mark.parametrize(
    ("channel", "kind", "body", "setting", "refused"),
    [
        (Channel.SMS, TemplateKind.MARKETING, "30% off today", STOP, True),
        (Channel.SMS, TemplateKind.MARKETING, "30% off today. STOP 54xxx", STOP, False),
        (Channel.SMS, TemplateKind.MARKETING, "30% off today. stop  54XXX", STOP, False),  # case and spaces
        (Channel.SMS, TemplateKind.MARKETING, "30% off today. STOP 54", STOP, True),  # cut short
        (Channel.SMS, TemplateKind.MARKETING, "30% off today. {{stopText}}", STOP, True),  # a tag may be empty
        (Channel.SMS, TemplateKind.SERVICE, "Your order is ready", STOP, False),
        (Channel.EMAIL, TemplateKind.MARKETING, "<p>30% off</p>", STOP, False),
        (Channel.SMS, TemplateKind.MARKETING, "30% off today", None, False),  # the rule is off
    ],
)
def test_only_a_marketing_sms_without_the_text_is_refused(channel, kind, body, setting, refused):
    template = Template(1, "t", channel, body, "s" if channel is Channel.EMAIL else "", kind=kind)
    assert missing_optout_text(template, setting) == (ADD if refused else None)


def form(body: str, kind: str = "marketing", optout_text: str | None = STOP) -> Template:
    return template_from_form(
        [], editing_id=None, id="9", name="Sale", channel="sms", subject="", body=body, kind=kind,
        optout_text=optout_text,
    )


def test_saving_a_marketing_sms_without_the_text_is_refused_with_what_to_add():
    with pytest.raises(CatalogError) as caught:
        form("30% off today")
    assert str(caught.value) == ADD
    assert form("30% off today. STOP 54xxx").kind is TemplateKind.MARKETING
    assert form("Your order is ready", kind="service").kind is TemplateKind.SERVICE
    assert form("30% off today", optout_text=None).body == "30% off today"


def test_an_import_names_each_template_that_lacks_the_text():
    templates = [
        Template(1, "Sale", Channel.SMS, "30% off"),
        Template(2, "Order", Channel.SMS, "Ready", kind=TemplateKind.SERVICE),
        Template(3, "Flash", Channel.SMS, "Flash sale STOP 54xxx"),
    ]
    assert catalog_refusals(templates, STOP) == [f"Template 1 (Sale): {ADD}"]
    assert catalog_refusals(templates, None) == []


def test_the_send_path_checks_again_with_the_current_setting():
    saved_before_the_setting = Template(71, "Promo", Channel.SMS, "Code {{voucherCode}}")
    assert check_before_send(saved_before_the_setting, load_settings(env={}, secrets_path=None)) is None
    on = load_settings(env={"CONSOLE_SMS_OPTOUT_TEXT": "  STOP   54xxx "}, secrets_path=None)
    assert on.sms_optout_text == STOP
    assert check_before_send(saved_before_the_setting, on) == ADD


def test_a_tag_as_the_opt_out_setting_stops_start_up_naming_the_variable():
    with pytest.raises(SettingsError, match="^CONSOLE_SMS_OPTOUT_TEXT"):
        load_settings(env={"CONSOLE_SMS_OPTOUT_TEXT": "{{stop}}"}, secrets_path=None)


@pytest.mark.parametrize(("offer_length", "parts"), [(149, 1), (150, 2)])
def test_the_opt_out_text_counts_in_the_parts_and_the_cost(offer_length, parts):
    # 149 + " STOP 54xxx" (11) = 160 characters: one part. One more character: two parts, twice the cost.
    body = "x" * (offer_length - len("{{code}}")) + "{{code}}" + " " + STOP
    template = Template(1, "Sale", Channel.SMS, body)
    assert missing_optout_text(template, STOP) is None
    values = pd.DataFrame({"code": ["ABCDEFGH"] * 3}, index=[2, 3, 4])
    metrics = list_metrics(template, values, price_per_part=Decimal("0.05"))
    assert metrics.rows["characters"].tolist() == [offer_length + 11] * 3
    assert (metrics.total_parts, metrics.estimated_cost) == (3 * parts, Decimal("0.05") * 3 * parts)


def test_kind_round_trips_through_catalog_json_and_defaults_to_marketing():
    from lib.templates import dump_catalog, parse_catalog

    old = parse_catalog(json.dumps([{"id": 1, "name": "a", "channel": "sms", "body": "b"}]))
    assert old[0].kind is TemplateKind.MARKETING  # written before kinds existed: the rules apply
    both = [Template(1, "a", Channel.SMS, "b"), Template(2, "b", Channel.SMS, "c", kind=TemplateKind.SERVICE)]
    assert parse_catalog(dump_catalog(both)) == both
    assert json.loads(dump_catalog(both))[1]["kind"] == "service"
    with pytest.raises(CatalogError, match="kind must be marketing or service"):
        parse_catalog(json.dumps([{"id": 1, "name": "a", "channel": "sms", "kind": "promo", "body": "b"}]))

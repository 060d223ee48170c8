"""The local template catalog: what a marketer can save, and what is refused in plain words."""

import json

import pytest

from lib.templates import (
    CatalogError,
    Channel,
    FileCatalog,
    Template,
    load_catalog,
    merge_catalog,
    parse_catalog,
    template_from_form,
    template_problems,
    template_tags,
)


def test_shipped_catalog_has_the_contracts_promo_template():
    catalog = {t.id: t for t in load_catalog()}
    assert template_tags(catalog[71]) == ("voucherCode", "voucherAmount", "expirationDate")
    assert catalog[71].channel is Channel.SMS
    assert any(t.channel is Channel.EMAIL for t in catalog.values())


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"name": "x", "channel": "sms", "body": "b"}, "whole-number id"),
        ({"id": "abc", "name": "x", "channel": "sms", "body": "b"}, "whole-number id"),
        ({"id": 0, "name": "x", "channel": "sms", "body": "b"}, "positive id"),
        ({"id": 1, "name": "x", "channel": "fax", "body": "b"}, "channel must be sms or email"),
        ({"id": 1, "name": " ", "channel": "sms", "body": "b"}, "needs a name"),
        ({"id": 1, "name": "x", "channel": "sms", "body": ""}, "needs a body"),
        ({"id": 1, "name": "x", "channel": "email", "body": "b"}, "needs a subject"),
    ],
)
def test_bad_entries_are_refused_with_a_reason(entry, message):
    with pytest.raises(CatalogError, match=message):
        parse_catalog(json.dumps([entry]))


def test_repeated_ids_and_bad_json_are_refused():
    with pytest.raises(CatalogError, match="Two templates have id 5"):
        parse_catalog(json.dumps([{"id": 5, "name": "a", "channel": "sms", "body": "b"}] * 2))
    with pytest.raises(CatalogError, match="not valid JSON"):
        parse_catalog("[{")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("Hello {{Firstname}}", None),
        ("Hello {{Firstname", "never closed"),
        ("Hello {{}}", "Empty tag"),
    ],
)
def test_template_problems_name_the_broken_tag(body, problem):
    found = template_problems(Template(1, "t", Channel.SMS, body))
    assert (found == []) if problem is None else (problem in found[0])


def test_email_tags_include_the_subject_first():
    t = Template(9, "e", Channel.EMAIL, "<p>{{code}} {{name}}</p>", subject="{{name}}, hi")
    assert template_tags(t) == ("name", "code")


def test_import_replaces_same_ids_and_adds_new_ones():
    a, b = Template(1, "a", Channel.SMS, "x"), Template(2, "b", Channel.SMS, "y")
    result = merge_catalog([a, b], [Template(2, "b2", Channel.SMS, "z"), Template(3, "c", Channel.SMS, "w")])
    assert (result.added, result.replaced) == (1, 1)
    assert [t.name for t in result.templates] == ["a", "b2", "c"]


def test_file_catalog_round_trips(tmp_path):
    catalog = FileCatalog(tmp_path / "templates.json")
    catalog.save(Template(7, "Γεια", Channel.SMS, "Γεια {{Firstname}}"))
    catalog.save(Template(3, "b", Channel.EMAIL, "<p>{{x}}</p>", subject="s"))
    assert [t.id for t in catalog.list()] == [3, 7]
    catalog.delete(7)
    assert [t.id for t in catalog.list()] == [3]
    assert "Γεια" not in (tmp_path / "templates.json").read_text()


@pytest.mark.parametrize(
    ("editing_id", "form", "error"),
    [
        (None, {"id": "71", "name": "n", "channel": "sms", "subject": "", "body": "b"}, "Template 71 already exists"),
        (71, {"id": "71", "name": "n", "channel": "sms", "subject": "", "body": "b"}, None),
        (72, {"id": "71", "name": "n", "channel": "sms", "subject": "", "body": "b"}, "Template 71 already exists"),
        (None, {"id": "99", "name": "n", "channel": "sms", "subject": "", "body": "Hi {{name"}, "broken tag"),
        (None, {"id": "99", "name": "n", "channel": "email", "subject": "{{}}", "body": "b"}, "subject has a broken"),
        (None, {"id": "x", "name": "n", "channel": "sms", "subject": "", "body": "b"}, "whole-number id"),
    ],
)
def test_form_edits_refuse_clashes_and_broken_tags(editing_id, form, error):
    existing = [Template(71, "promo", Channel.SMS, "x"), Template(72, "greek", Channel.SMS, "y")]
    if error is None:
        assert template_from_form(existing, editing_id=editing_id, **form).id == int(form["id"])
    else:
        with pytest.raises(CatalogError, match=error):
            template_from_form(existing, editing_id=editing_id, **form)


def test_shipped_templates_have_sensible_kinds():
    kinds = {t.id: t.kind.value for t in load_catalog()}
    # Vouchers, birthday offers and sales are marketing; the member welcome with the points balance is service.
    assert kinds == {71: "marketing", 72: "service", 73: "marketing", 81: "marketing"}


def test_a_catalog_file_that_is_not_utf8_is_refused_in_the_readers_language():
    """Greek Excel users save as Windows-1253: Python's own sentence would be English and name a byte."""
    from lib import i18n
    from lib.templates import parse_catalog_file

    greek_codepage = '[{"id": 1, "name": "Προσφορά", "channel": "sms", "body": "Γεια"}]'.encode("cp1253")
    with i18n.language("el"), pytest.raises(CatalogError) as refused:
        parse_catalog_file(greek_codepage)
    assert str(refused.value) == ("Το αρχείο δεν είναι κείμενο UTF-8: αποθηκεύστε το ως JSON σε κωδικοποίηση UTF-8 "
                                  "και εισαγάγετέ το ξανά")
    assert [t.name for t in parse_catalog_file(b"\xef\xbb\xbf" + greek_codepage.decode("cp1253").encode())] == ["Προσφορά"]

"""The Templates page: list, create, refuse a clash, edit, delete — on the sandbox's own catalog."""

import json

from streamlit.testing.v1 import AppTest

from tests.support_app import app_env, page_path  # noqa: F401


def run_page() -> AppTest:
    return AppTest.from_file(page_path("templates.py"), default_timeout=30).run()


def test_lists_the_sandbox_catalog_and_says_previews_use_it(app_env):  # noqa: F811
    at = run_page()
    assert not at.exception
    assert "every preview is drawn from this copy" in at.info[0].value
    table = at.dataframe[0].value
    assert {71, 72, 81} <= set(table["Id"])


def test_create_then_clash_then_delete(app_env):  # noqa: F811
    at = run_page()
    form = at.get("form")[0] if at.get("form") else None
    assert form is not None
    at.text_input[0].input("501")
    at.text_input[1].input("Black Friday")
    at.text_area[0].input("Hi {{Firstname}}, 30% off today only.")
    at.button(key="template_save").click().run()
    assert not at.exception
    assert any("Template 501 (Black Friday) saved" in s.value for s in at.success)
    assert 501 in set(at.dataframe[0].value["Id"])

    # A new template may not take an existing id: it would overwrite it silently.
    at.text_input[0].input("71")
    at.text_input[1].input("Clash")
    at.text_area[0].input("x")
    at.button(key="template_save").click().run()
    assert any("Template 71 already exists" in e.value for e in at.error)

    at.selectbox(key="view_template").select_index(list(at.dataframe[0].value["Id"]).index(501)).run()
    at.checkbox(key="confirm_delete_501").check().run()
    at.button(key="delete_template").click().run()
    assert 501 not in set(at.dataframe[0].value["Id"])


def _delete_box(at: AppTest):
    [box] = [c for c in at.checkbox if c.key.startswith("confirm_delete_")]
    return box


def test_the_delete_box_starts_unticked_for_the_next_template(app_env):  # noqa: F811
    at = run_page()
    ids = list(at.dataframe[0].value["Id"])
    at.selectbox(key="view_template").select_index(ids.index(71)).run()
    _delete_box(at).check().run()
    at.button(key="delete_template").click().run()
    assert not at.exception
    assert 71 not in set(at.dataframe[0].value["Id"])
    shown = at.selectbox(key="view_template").value
    assert not _delete_box(at).value, f"the box is already ticked for template {shown.id}"
    assert at.button(key="delete_template").disabled
    # Choosing another template: its own box, unticked.
    ids = list(at.dataframe[0].value["Id"])
    other = next(i for i in ids if i != shown.id)
    at.selectbox(key="view_template").select_index(ids.index(other)).run()
    assert not _delete_box(at).value and at.button(key="delete_template").disabled


def save(at: AppTest) -> AppTest:
    return at.button(key="template_save").click().run()


def test_kind_is_shown_and_a_template_can_be_saved_as_service(app_env):  # noqa: F811
    at = run_page()
    table = at.dataframe[0].value.set_index("Id")
    assert table.loc[71, "Kind"] == "Marketing"
    assert table.loc[72, "Kind"] == "Service"
    kind = at.radio(key="template_kind")
    assert kind.value == "marketing"  # a new template is marketing unless said otherwise: the rules apply

    at.text_input[0].input("502")
    at.text_input[1].input("Order ready")
    kind.set_value("service")
    at.text_area[0].input("Your order {{order}} is ready for pickup.")
    save(at)
    assert not at.exception
    assert at.dataframe[0].value.set_index("Id").loc[502, "Kind"] == "Service"
    saved = {t.id: t for t in app_env._runtime().templates()}
    assert saved[502].kind == "service" and saved[71].kind == "marketing"


def test_a_marketing_sms_without_the_opt_out_text_is_refused_with_what_to_add(app_env, monkeypatch):  # noqa: F811
    monkeypatch.setenv("CONSOLE_SMS_OPTOUT_TEXT", "STOP 54xxx")
    at = run_page()
    at.text_input[0].input("503")
    at.text_input[1].input("Black Friday")
    at.text_area[0].input("Hi {{Firstname}}, 30% off today only.")
    save(at)
    assert [e.value for e in at.error] == [
        "Add the opt-out text 'STOP 54xxx' to this marketing SMS so people can unsubscribe"
    ]
    assert 503 not in set(at.dataframe[0].value["Id"])

    at.text_area[0].input("Hi {{Firstname}}, 30% off today only. STOP 54xxx")
    save(at)
    assert any("Template 503 (Black Friday) saved" in s.value for s in at.success)
    assert 503 in set(at.dataframe[0].value["Id"])


def test_an_import_with_a_marketing_sms_missing_the_opt_out_text_is_refused(app_env, monkeypatch):  # noqa: F811
    monkeypatch.setenv("CONSOLE_SMS_OPTOUT_TEXT", "STOP 54xxx")
    at = run_page()
    catalog = [
        {"id": 601, "name": "Sale", "channel": "sms", "kind": "marketing", "body": "Sale today"},
        {"id": 602, "name": "Order", "channel": "sms", "kind": "service", "body": "Order ready"},
    ]
    at.get("file_uploader")[0].upload("catalog.json", json.dumps(catalog).encode(), "application/json").run()
    refusal = " ".join(e.value for e in at.error)
    assert "Template 601 (Sale): Add the opt-out text 'STOP 54xxx'" in refusal and "602" not in refusal
    assert not any(b.key == "templates_import" for b in at.button)

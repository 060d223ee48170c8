"""The Do not contact page, run headless with AppTest against a fresh store and sandbox."""

from streamlit.testing.v1 import AppTest

from lib.ledger.optout import OptOutList
from tests.support_app import app_env, page_path  # noqa: F401


def page() -> AppTest:
    at = AppTest.from_file(page_path("do_not_contact.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    return at


def shown_values(at: AppTest) -> list[str]:
    return list(at.dataframe[-1].value["Who"]) if at.dataframe else []


def test_add_one_search_and_remove_with_a_reason(app_env):  # noqa: F811
    at = page()
    at.text_input(key="dnc_value").input("+30 693 111 2233")
    at.text_input(key="dnc_reason").input("replied STOP")
    at.button(key="dnc_add").click().run()
    assert any("+306931112233 will not be contacted (SMS and email)" in s.value for s in at.success)
    at.text_input(key="dnc_value").input("Maria@Example.GR")
    at.button(key="dnc_add").click().run()
    at.run()
    assert set(shown_values(at)) == {"+306931112233", "maria@example.gr"}
    assert at.metric[0].value == "2"

    at.text_input(key="dnc_search").input("stop").run()
    assert shown_values(at) == ["+306931112233"]

    at.selectbox(key="dnc_remove_who").select("+306931112233").run()
    assert at.button(key="dnc_remove").disabled  # no reason yet: refused
    at.text_input(key="dnc_remove_reason").input("asked to hear from us again").run()
    at.button(key="dnc_remove").click().run()
    assert any("taken off the list" in s.value for s in at.success)
    removed = OptOutList(app_env._runtime().ledger).entries(include_removed=True)
    history = {e.value: e.removed_reason for e in removed}
    assert history == {"maria@example.gr": None, "+306931112233": "asked to hear from us again"}


def test_a_bad_number_is_refused_with_a_sentence(app_env):  # noqa: F811
    at = page()
    at.text_input(key="dnc_value").input("12345")
    at.button(key="dnc_add").click().run()
    assert len(at.error) == 1 and "Not a mobile number or an email address" in at.error[0].value
    assert at.metric[0].value == "0"


def test_import_adds_the_good_rows_and_names_the_bad_ones(app_env):  # noqa: F811
    at = page()
    data = b"mobile;reason\n6931112233;STOP\n12345;STOP\n6931112244;\n"
    at.get("file_uploader")[0].upload("stop.csv", data, "text/csv").run()
    at.button(key="dnc_import").click().run()
    assert any(s.value == "2 added to the do not contact list." for s in at.success)
    assert any("1 row could not be read" in w.value for w in at.warning)
    problems = at.dataframe[0].value
    assert list(problems["Row"]) == [3] and list(problems["Column"]) == ["mobile"]

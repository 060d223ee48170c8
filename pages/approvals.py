"""Approvals: live sends waiting for a second person, each with exactly what its sender saw.

Approve (after a confirmation) releases a send to the worker; reject needs a reason, which the sender
reads on Dispatches. lib.approvals checks every rule again (role, own send, manifest, time): a button
hidden here is never the only guard.
"""

import streamlit as st

import ui
from lib import approvals, i18n
from lib.personalization.preview import reasons_text
from lib.team import Action, NotAllowed

person = ui.require_action(Action.APPROVE_SEND)
rt = ui.page_setup()
tz = rt.settings.tz
state = st.session_state
st.title(i18n.t("approvals.page.title"))
if flash := state.pop("approvals_flash", None):
    st.success(str(flash))
if problem := state.pop("approvals_problem", None):
    st.error(str(problem))

waiting = approvals.awaiting(rt.store)
templates = rt.templates()
if not waiting:
    st.info(i18n.t("approvals.page.none_waiting"), icon=":material/task_alt:")
    st.stop()
st.caption(i18n.t("approvals.page.waiting", n=len(waiting)))


def decide(action, send_id: int, *args) -> None:
    """A callback: runs once per click; lib decides and says why not."""
    try:
        done = action(rt.store, send_id, person, *args)
    except (approvals.ApprovalRefused, NotAllowed) as exc:
        state["approvals_problem"] = exc  # put into words when shown, in the reader's language then
    else:
        state["approvals_flash"] = done.sentence


for review in waiting:
    send_id, seen = review.send.id, review.send.manifest_hash
    with st.container(border=True, key=f"approval-{send_id}"):
        st.subheader(i18n.t("approvals.page.heading", send=str(send_id),
                            template=review.summary.get("template_name", review.send.template_name)))
        lines = approvals.summary_lines(review, tz, rt.settings.currency)[1:]  # the first, "Send #N", is the heading
        st.markdown("\n".join(f"- **{label}:** {ui.escape(value)}" for label, value in lines))
        template = next((t for t in templates if t.id == review.send.template_id), None)
        risky = approvals.riskiest_messages(rt.store, review, template)
        if risky:
            st.markdown(i18n.t("approvals.page.rows_worth_a_look"))
            for row, why, message in risky:
                st.markdown(i18n.t("approvals.page.row_why", row=str(row), why=ui.escape(reasons_text(why))))
                if message:
                    st.code(message, language=None, wrap_lines=True)
        if not approvals.may_decide(review, person):
            st.caption(i18n.t("approvals.page.own_send"))
            continue
        approve_col, reject_col = st.columns(2)
        with approve_col:
            sure = st.checkbox(i18n.t("approvals.page.confirm", send=str(send_id)), key=f"approve_ok_{send_id}")
            st.button(i18n.t("approvals.page.approve"), type="primary", disabled=not sure, key=f"approve_{send_id}",
                      on_click=decide, args=(approvals.approve, send_id, seen))
        with reject_col:
            reason = st.text_input(i18n.t("approvals.page.reason"), key=f"reject_reason_{send_id}")
            st.button(i18n.t("approvals.page.reject"), disabled=not reason.strip(), key=f"reject_{send_id}",
                      on_click=decide, args=(approvals.reject, send_id, reason))

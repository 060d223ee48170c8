"""Audit: who did what and when — sign-ins, team and template changes, uploads, sends and approvals."""

from datetime import datetime, time, timedelta

import pandas as pd
import streamlit as st

import ui
from lib import audit, exports, i18n, team
from lib.audit import AuditAction
from lib.team import Action

ROWS_SHOWN = 5000
person = ui.require_action(Action.VIEW_AUDIT)
rt = ui.page_setup()
tz = rt.settings.tz
st.title(i18n.t("audit.page.title"))
st.caption(i18n.t("audit.page.caption", timezone=rt.settings.timezone))

names = {m.email: m.name for m in team.list_members(rt.store)}
with rt.store.read() as conn:
    actors = audit.actors(conn)
today = datetime.now(tz).date()
left, middle, right = st.columns([1.5, 1.5, 2])  # the period shows both dates at 1024 px
chosen_people = left.multiselect(i18n.t("audit.page.person"), actors, key="audit_people",
                                 placeholder=i18n.t("audit.page.everyone"),
                                 format_func=lambda a: f"{names[a]} <{a}>" if a in names else a)
chosen_actions = middle.multiselect(i18n.t("audit.page.action"), list(AuditAction), key="audit_actions",
                                    placeholder=i18n.t("audit.page.every_action"),
                                    format_func=lambda a: AuditAction(a).label)
period = right.date_input(i18n.t("audit.page.period"), (today - timedelta(days=30), today), max_value=today,
                          key="audit_period")
start, end = (period[0], period[-1]) if isinstance(period, tuple | list) and period else (today, today)

with rt.store.read() as conn:
    events = audit.list_events(
        conn, actors=chosen_people or None, actions=chosen_actions or None,
        since=datetime.combine(start, time(), tz), until=datetime.combine(end + timedelta(days=1), time(), tz),
        limit=ROWS_SHOWN + 1,
    )
headings = audit.column_words()
table = pd.DataFrame(audit.events_table(events[:ROWS_SHOWN], tz, rt.settings.currency), columns=list(audit.EVENT_COLUMNS))
table = table.rename(columns=headings)
if not events:
    st.info(i18n.t("audit.page.nothing"))
else:
    key = "audit.page.count_more" if len(events) > ROWS_SHOWN else "audit.page.count"
    st.write(i18n.t(key, n=len(table)))
    # Widths that fit the main column at 1024 px (ui.FITS_1024); the details wrap on up to three lines.
    shown = table.assign(**{headings["When"]: [i18n.datetime_text(at, seconds=True) for at in table[headings["When"]]]})
    st.dataframe(shown, hide_index=True, width="stretch", row_height=ui.WRAPPED_ROW_HEIGHT,
                 column_config={headings["When"]: st.column_config.TextColumn(width=150),
                                headings["Person"]: st.column_config.TextColumn(width=110),
                                headings["Action"]: st.column_config.TextColumn(width=100),
                                headings["Object"]: st.column_config.TextColumn(width=70),
                                headings["Details"]: st.column_config.TextColumn(width=ui.FITS_1024 - 430)})
    stem = f"audit-{start:%Y%m%d}-{end:%Y%m%d}"
    left, right = st.columns(2)
    left.download_button(i18n.t("audit.page.download_csv"), exports.to_csv_bytes(table, tz), f"{stem}.csv", "text/csv",
                         key="audit_csv")
    right.download_button(i18n.t("audit.page.download_excel"),
                          exports.to_xlsx_bytes(table, tz, sheet_name=i18n.t("audit.page.sheet")), f"{stem}.xlsx",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="audit_xlsx")

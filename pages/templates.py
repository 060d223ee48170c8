"""Templates: the console's own copy of the platform's templates (the platform cannot list them)."""

import pandas as pd
import streamlit as st

import ui
from lib.i18n import t
from lib.team import Action
from lib.templates import (
    CatalogError,
    Channel,
    TemplateKind,
    catalog_refusals,
    dump_catalog,
    merge_catalog,
    parse_catalog_file,
    template_from_form,
    template_tags,
)

person = ui.require_action(Action.MANAGE_TEMPLATES)
rt = ui.page_setup()
catalog = ui.audited_catalog(rt, person)  # role checked and every change audited (before and after)
templates = catalog.list()
KIND_SHORT = {TemplateKind.MARKETING: "templates_page.kind.marketing", TemplateKind.SERVICE: "templates_page.kind.service"}

st.title(t("templates_page.title"))
where = t("templates_page.about.sandbox") if rt.is_sandbox else t("templates_page.about.live")
st.info(t("templates_page.about", where=where), icon="ℹ️")
if flash := st.session_state.pop("templates_flash", None):
    st.success(flash)

columns = {"id": t("templates_page.col.id"), "name": t("templates_page.col.name"),
           "channel": t("templates_page.col.channel"), "kind": t("templates_page.col.kind"),
           "tags": t("templates_page.col.tags")}
st.dataframe(
    pd.DataFrame(
        [
            {"id": tpl.id, "name": tpl.name, "channel": str(tpl.channel.label), "kind": t(KIND_SHORT[tpl.kind]),
             "tags": ", ".join(template_tags(tpl))}  # the text itself is on the tab below: the table fits 1024 px
            for tpl in templates
        ],
        columns=list(columns),
    ).rename(columns=columns),
    hide_index=True,
    width="stretch",
    row_height=ui.WRAPPED_ROW_HEIGHT + 20,  # names and tag lists wrap (four lines): the table fits 1024 px
    column_config={columns["id"]: st.column_config.NumberColumn(format="%d", width=70),
                   columns["name"]: st.column_config.TextColumn(width=170),
                   columns["channel"]: st.column_config.TextColumn(width=70),
                   columns["kind"]: st.column_config.TextColumn(width=110),
                   columns["tags"]: st.column_config.TextColumn(width=140)},
)

view_tab, edit_tab, exchange_tab = st.tabs(
    [t("templates_page.tab.view"), t("templates_page.tab.edit"), t("templates_page.tab.exchange")])


def label(tpl) -> str:
    """'71 · Promo code (SMS)': the channel once, even when the name already says it."""
    channel_label = str(tpl.channel.label)
    channel = "" if channel_label.lower() in tpl.name.lower() else f" ({channel_label})"
    return f"{tpl.id} · {tpl.name}{channel}"


def tag_list(tags) -> str:
    return ", ".join(f"`{{{{{tag}}}}}`" for tag in tags)


with view_tab:
    chosen = st.selectbox(t("templates_page.template"), templates, format_func=label, key="view_template") \
        if templates else None  # fmt: skip
    if chosen is None:
        st.write(t("templates_page.empty"))
    else:
        st.markdown(t("templates_page.view.kind", kind=str(chosen.kind.label)))
        tags = template_tags(chosen)
        st.markdown(t("templates_page.view.tags", tags=tag_list(tags)) if tags else t("templates_page.view.no_tags"))
        if chosen.channel == Channel.EMAIL:
            st.markdown(t("templates_page.view.subject", subject=chosen.subject))
        st.code(chosen.body, language="html" if chosen.channel == Channel.EMAIL else None, wrap_lines=True)
        # One box per template: a box ticked for one template must never count for the next one shown
        # (the browser keeps a widget's value across reruns, so popping its state does not untick it).
        confirm = st.checkbox(t("templates_page.delete.confirm", id=str(chosen.id)), key=f"confirm_delete_{chosen.id}")
        if st.button(t("templates_page.delete.button"), disabled=not confirm, type="secondary", key="delete_template"):
            catalog.delete(chosen.id)
            st.session_state["templates_flash"] = t("templates_page.delete.done", id=str(chosen.id), name=chosen.name)
            st.rerun()

with edit_tab:
    options = [None, *templates]
    editing = st.selectbox(
        t("templates_page.edit"), options, format_func=lambda tpl: t("templates_page.new") if tpl is None else label(tpl),
        key="edit_template",
    )
    with st.form("template_form", clear_on_submit=False):
        left, right = st.columns([1, 3])
        new_id = left.text_input(t("templates_page.form.id"), value=str(editing.id) if editing else "",
                                 key="template_id")
        name = right.text_input(t("templates_page.form.name"), value=editing.name if editing else "",
                                key="template_name")
        channels = [c.value for c in Channel]
        channel = st.radio(
            t("templates_page.form.channel"), channels, format_func=lambda c: str(Channel(c).label), horizontal=True,
            index=channels.index(editing.channel.value) if editing else 0, key="template_channel",
        )
        kinds = [k.value for k in TemplateKind]
        kind = st.radio(
            t("templates_page.form.kind"), kinds, format_func=lambda k: str(TemplateKind(k).label), horizontal=True,
            index=kinds.index(editing.kind.value) if editing else 0, help=t("templates_page.form.kind_help"),
            key="template_kind",
        )
        subject = st.text_input(t("templates_page.form.subject"), value=editing.subject if editing else "",
                                key="template_subject")
        body = st.text_area(t("templates_page.form.body", tag="{{Firstname}}"), value=editing.body if editing else "",
                            height=180, key="template_body")
        saved = st.form_submit_button(t("templates_page.form.save"), type="primary", key="template_save")
    if saved:
        try:
            template = template_from_form(
                templates, editing_id=editing.id if editing else None,
                id=new_id, name=name, channel=channel, subject=subject if channel == "email" else "", body=body,
                kind=kind, optout_text=rt.settings.sms_optout_text,
            )
        except CatalogError as exc:
            st.error(str(exc))
        else:
            if editing and editing.id != template.id:
                catalog.delete(editing.id)
            catalog.save(template)
            st.session_state["templates_flash"] = t("templates_page.saved", id=str(template.id), name=template.name)
            st.rerun()

with exchange_tab:
    st.download_button(t("templates_page.export"), dump_catalog(templates), file_name="templates.json",
                       mime="application/json", key="templates_export")
    upload = st.file_uploader(t("templates_page.import.file"), type=["json"], key="import_catalog")
    if upload is not None:
        try:
            imported = parse_catalog_file(upload.getvalue())
        except CatalogError as exc:
            st.error(t("templates_page.import.unreadable", reason=str(exc)))
            st.stop()
        # The same rule as saving one template: a marketing SMS must carry the opt-out text.
        if refusals := catalog_refusals(imported, rt.settings.sms_optout_text):
            st.error(t("templates_page.import.refused") + "\n\n" + "\n".join(f"- {r}" for r in refusals))
            st.stop()
        result = merge_catalog(templates, imported)
        st.write(t("templates_page.import.summary", n=len(imported), added=result.added, replaced=result.replaced))
        if st.button(t("templates_page.import.button", n=len(imported)), type="primary", key="templates_import"):
            catalog.replace_all(result.templates)
            st.session_state["templates_flash"] = t("templates_page.import.done", n=len(imported))
            st.rerun()

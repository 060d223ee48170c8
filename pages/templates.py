"""Templates: the console's own copy of the platform's templates (the platform cannot list them)."""

import pandas as pd
import streamlit as st

import ui
from lib.team import Action
from lib.templates import (
    CatalogError,
    Channel,
    TemplateKind,
    catalog_refusals,
    dump_catalog,
    merge_catalog,
    parse_catalog,
    template_from_form,
    template_tags,
)

person = ui.require_action(Action.MANAGE_TEMPLATES)
rt = ui.page_setup()
catalog = ui.audited_catalog(rt, person)  # role checked and every change audited (before and after)
templates = catalog.list()

st.title("Templates")
where = "the sandbox sends with this catalog" if rt.is_sandbox else "the platform keeps its own"
st.info(
    "This is the console's own copy of your templates: the platform has no way to list them, so every "
    f"preview is drawn from this copy ({where}). Keep each id equal to the platform's template number and "
    "the text identical to what the platform holds.",
    icon="ℹ️",
)
if flash := st.session_state.pop("templates_flash", None):
    st.success(flash)

st.dataframe(
    pd.DataFrame(
        [
            {"Id": t.id, "Name": t.name, "Channel": t.channel.label, "Kind": t.kind.value.capitalize(),
             "Tags": ", ".join(template_tags(t))}  # the text itself is on the tab below: the table fits 1024 px
            for t in templates
        ]
    ),
    hide_index=True,
    width="stretch",
    column_config={"Id": st.column_config.NumberColumn(format="%d", width="small")},
)

view_tab, edit_tab, exchange_tab = st.tabs(["View or delete", "Create or edit", "Import / export"])


def label(t) -> str:
    """'71 · Promo code (SMS)': the channel once, even when the name already says it."""
    channel = "" if t.channel.label.lower() in t.name.lower() else f" ({t.channel.label})"
    return f"{t.id} · {t.name}{channel}"


with view_tab:
    chosen = st.selectbox("Template", templates, format_func=label, key="view_template") if templates else None
    if chosen is None:
        st.write("The catalog is empty. Create a template or import a catalog file.")
    else:
        st.markdown(f"**Kind:** {chosen.kind.label}")
        st.markdown(f"**Tags it needs:** {', '.join(f'`{{{{{tag}}}}}`' for tag in template_tags(chosen)) or 'none'}")
        if chosen.channel == Channel.EMAIL:
            st.markdown(f"**Subject:** {chosen.subject}")
        st.code(chosen.body, language="html" if chosen.channel == Channel.EMAIL else None, wrap_lines=True)
        # One box per template: a box ticked for one template must never count for the next one shown
        # (the browser keeps a widget's value across reruns, so popping its state does not untick it).
        confirm = st.checkbox(f"Yes, delete template {chosen.id} from this catalog", key=f"confirm_delete_{chosen.id}")
        if st.button("Delete template", disabled=not confirm, type="secondary", key="delete_template"):
            catalog.delete(chosen.id)
            st.session_state["templates_flash"] = f"Template {chosen.id} ({chosen.name}) deleted."
            st.rerun()

with edit_tab:
    options = [None, *templates]
    editing = st.selectbox(
        "Edit", options, format_func=lambda t: "New template" if t is None else label(t), key="edit_template"
    )
    with st.form("template_form", clear_on_submit=False):
        left, right = st.columns([1, 3])
        new_id = left.text_input("Id (the platform's template number)", value=str(editing.id) if editing else "")
        name = right.text_input("Name", value=editing.name if editing else "")
        channels = [c.value for c in Channel]
        channel = st.radio(
            "Channel", channels, format_func=lambda c: Channel(c).label, horizontal=True,
            index=channels.index(editing.channel.value) if editing else 0,
        )
        kinds = [k.value for k in TemplateKind]
        kind = st.radio(
            "Kind", kinds, format_func=lambda k: TemplateKind(k).label, horizontal=True,
            index=kinds.index(editing.kind.value) if editing else 0,
            help="Marketing messages need consent, wait for the end of quiet hours and (SMS) carry the opt-out "
            "text. Service messages are ones a customer expects whatever they chose, like order updates.",
        )
        subject = st.text_input("Subject (email only)", value=editing.subject if editing else "")
        body = st.text_area(
            "Body — personalisation tags are written {{Firstname}}", value=editing.body if editing else "", height=180
        )
        saved = st.form_submit_button("Save template", type="primary")
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
            st.session_state["templates_flash"] = f"Template {template.id} ({template.name}) saved."
            st.rerun()

with exchange_tab:
    st.download_button(
        "Export catalog as JSON", dump_catalog(templates), file_name="templates.json", mime="application/json"
    )
    upload = st.file_uploader("Import a catalog file (JSON)", type=["json"], key="import_catalog")
    if upload is not None:
        try:
            imported = parse_catalog(upload.getvalue().decode("utf-8-sig"))
        except (CatalogError, UnicodeDecodeError) as exc:
            st.error(f"This file cannot be imported: {exc}")
            st.stop()
        # The same rule as saving one template: a marketing SMS must carry the opt-out text.
        if refusals := catalog_refusals(imported, rt.settings.sms_optout_text):
            st.error("This file cannot be imported as it is:\n\n" + "\n".join(f"- {r}" for r in refusals))
            st.stop()
        result = merge_catalog(templates, imported)
        st.write(
            f"{len(imported)} templates in the file: {result.added} new, {result.replaced} replacing "
            "templates with the same id."
        )
        if st.button(f"Import {len(imported)} templates", type="primary"):
            catalog.replace_all(result.templates)
            st.session_state["templates_flash"] = f"Imported {len(imported)} templates."
            st.rerun()

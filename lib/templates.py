"""The template catalog: the platform has no template API, so the console keeps its own copy.

A catalog is a JSON list of `{"id", "name", "channel": "sms"|"email", "kind": "marketing"|"service", "subject",
"body"}`. An entry without a kind (catalogs written before kinds existed) is marketing: the safer reading,
since the marketing rules (consent, quiet hours, opt-out text) then apply.
The sandbox serves the same file, so in sandbox mode preview and delivery read one source.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from lib import i18n

SHIPPED_CATALOG = Path(__file__).resolve().parent / "sandbox" / "templates.json"


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"

    @property
    def message_type_id(self) -> int:
        """The platform's messageTypeId: 1 = SMS, 2 = Email."""
        return 1 if self is Channel.SMS else 2

    @property
    def label(self) -> str:
        return "SMS" if self is Channel.SMS else "Email"


class TemplateKind(StrEnum):
    """Marketing messages need consent, respect quiet hours and carry the opt-out text; service
    messages (order updates, reminders) are what a customer expects whatever they chose."""

    MARKETING = "marketing"
    SERVICE = "service"

    @property
    def label(self) -> str:
        return i18n.coded(KIND_WORDS, self)


KIND_WORDS = i18n.family("templates.kind", TemplateKind)


class CatalogError(ValueError):
    """A catalog file or entry the console cannot use; str() is a sentence for the user."""


@dataclass(frozen=True)
class Template:
    id: int
    name: str
    channel: Channel
    body: str
    subject: str = ""
    kind: TemplateKind = TemplateKind.MARKETING

    @property
    def is_marketing(self) -> bool:
        return self.kind is TemplateKind.MARKETING

    def to_json(self) -> dict:
        data = {"id": self.id, "name": self.name, "channel": self.channel.value, "kind": self.kind.value}
        if self.channel is Channel.EMAIL:
            data["subject"] = self.subject
        data["body"] = self.body
        return data

    @classmethod
    def from_json(cls, data: dict, where: str | None = None) -> Template:
        """`where` names the entry in the sentences refusing it ('Template 3'); default 'The template'."""
        where = where or i18n.t("templates.where.form")
        if not isinstance(data, dict):
            raise CatalogError(i18n.t("templates.error.not_object", where=where))
        try:
            template_id = int(data["id"])
        except (KeyError, TypeError, ValueError):
            raise CatalogError(i18n.t("templates.error.id_not_number", where=where)) from None
        if template_id <= 0:
            raise CatalogError(i18n.t("templates.error.id_not_positive", where=where, id=str(template_id)))
        try:
            channel = Channel(str(data.get("channel", "")).lower())
        except ValueError:
            raise CatalogError(i18n.t("templates.error.channel", where=where, found=repr(data.get("channel")))) from None
        try:
            kind = TemplateKind(str(data.get("kind") or TemplateKind.MARKETING.value).strip().lower())
        except ValueError:
            raise CatalogError(i18n.t("templates.error.kind", where=where, found=repr(data.get("kind")))) from None
        name = str(data.get("name") or "").strip()
        body = data.get("body")
        if not name:
            raise CatalogError(i18n.t("templates.error.no_name", where=where))
        if not isinstance(body, str) or not body.strip():
            raise CatalogError(i18n.t("templates.error.no_body", where=where))
        subject = str(data.get("subject") or "")
        if channel is Channel.EMAIL and not subject.strip():
            raise CatalogError(i18n.t("templates.error.no_subject", where=where))
        return cls(id=template_id, name=name, channel=channel, body=body, subject=subject, kind=kind)


def parse_catalog_file(data: bytes) -> list[Template]:
    """Templates from a catalog file as uploaded or read (UTF-8, with or without a byte order mark)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:  # Python's own sentence is English and names a byte offset
        raise CatalogError(i18n.t("templates.error.not_utf8")) from None
    return parse_catalog(text)


def parse_catalog(text: str) -> list[Template]:
    """Templates from catalog JSON text; ids must be unique."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogError(i18n.t("templates.error.not_json", line=str(exc.lineno), column=str(exc.colno))) from None
    if not isinstance(data, list):
        raise CatalogError(i18n.t("templates.error.not_list"))
    templates = [Template.from_json(item, i18n.t("templates.where.entry", number=str(n))) for n, item in enumerate(data, start=1)]
    seen: dict[int, str] = {}
    for template in templates:
        if template.id in seen:
            raise CatalogError(i18n.t("templates.error.same_id", id=str(template.id), first=repr(seen[template.id]),
                                      second=repr(template.name)))
        seen[template.id] = template.name
    return sorted(templates, key=lambda t: t.id)


def load_catalog(path: Path = SHIPPED_CATALOG) -> list[Template]:
    return parse_catalog(Path(path).read_text(encoding="utf-8"))


def dump_catalog(templates: list[Template]) -> str:
    return json.dumps([t.to_json() for t in sorted(templates, key=lambda t: t.id)], ensure_ascii=False, indent=2) + "\n"


def save_catalog(templates: list[Template], path: Path) -> None:
    """Write atomically: a crash mid-write must not leave a half catalog."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(dump_catalog(templates), encoding="utf-8")
    tmp.replace(path)


def template_problems(template: Template) -> list[str]:
    """Plain sentences for tags the platform could not fill; empty when the template is usable."""
    from lib.personalization.tags import TemplateSyntaxError, parse_template

    problems = []
    parts = [("subject", template.subject)] if template.channel is Channel.EMAIL else []
    for where, text in [*parts, ("body", template.body)]:
        try:
            parse_template(text)
        except TemplateSyntaxError as exc:
            problems.append(i18n.t("templates.broken_subject" if where == "subject" else "templates.broken_body",
                                   problem=str(exc)))
    return problems


def check_tags(template: Template) -> None:
    """Raise CatalogError naming the first broken tag (`{{Firstname`, `{{ }}`, `}}x{{`): a template the
    platform could not fill is never saved, whichever way it arrives."""
    problems = template_problems(template)
    if problems:
        raise CatalogError(problems[0])


def template_tags(template: Template) -> tuple[str, ...]:
    """Every tag the template uses, subject first, each once."""
    from lib.personalization.tags import parse_template

    texts = [template.subject, template.body] if template.channel is Channel.EMAIL else [template.body]
    return tuple(dict.fromkeys(tag for text in texts for tag in parse_template(text).tags))


@dataclass(frozen=True)
class ImportResult:
    templates: list[Template]
    added: int
    replaced: int


def merge_catalog(existing: list[Template], imported: list[Template]) -> ImportResult:
    """Imported templates replace those with the same id (the id is the platform's templateId)."""
    by_id = {t.id: t for t in existing}
    replaced = sum(1 for t in imported if t.id in by_id)
    by_id.update({t.id: t for t in imported})
    return ImportResult(sorted(by_id.values(), key=lambda t: t.id), len(imported) - replaced, replaced)


class FileCatalog:
    """A catalog kept in a JSON file: the sandbox's, in sandbox mode."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def list(self) -> list[Template]:
        return load_catalog(self.path) if self.path.exists() else []

    def save(self, template: Template) -> None:
        check_tags(template)
        others = [t for t in self.list() if t.id != template.id]
        save_catalog([*others, template], self.path)

    def delete(self, template_id: int) -> None:
        save_catalog([t for t in self.list() if t.id != template_id], self.path)

    def replace_all(self, templates: list[Template]) -> None:
        save_catalog(templates, self.path)


def template_from_form(
    existing: list[Template],
    *,
    editing_id: int | None,
    id: object,
    name: str,
    channel: str,
    subject: str,
    body: str,
    kind: str = TemplateKind.MARKETING.value,
    optout_text: str | None = None,
) -> Template:
    """A template built from the edit form, or CatalogError saying what to fix.

    `editing_id` is the id of the template being edited (None for a new one): its id may change,
    but never onto another template's id, which would silently overwrite that template.
    `optout_text` is the setting CONSOLE_SMS_OPTOUT_TEXT: a marketing SMS without it is refused."""
    template = Template.from_json(
        {"id": id, "name": name, "channel": channel, "kind": kind, "subject": subject, "body": body}
    )
    clash = next((t for t in existing if t.id == template.id and t.id != editing_id), None)
    if clash:
        raise CatalogError(i18n.t("templates.error.exists", id=str(template.id), name=repr(clash.name)))
    problems = template_problems(template)
    if problems:
        raise CatalogError(problems[0])
    from lib.rules.optout_text import missing_optout_text

    if missing := missing_optout_text(template, optout_text):
        raise CatalogError(missing)
    return template


def catalog_refusals(templates: list[Template], optout_text: str | None) -> list[str]:
    """Why each template of an import cannot be saved as it is (today: a marketing SMS without the
    opt-out text), one sentence per template naming it; empty when all can be saved."""
    from lib.rules.optout_text import missing_optout_text

    return [
        i18n.t("templates.refusal", id=str(t.id), name=t.name, problem=missing)
        for t in templates if (missing := missing_optout_text(t, optout_text))
    ]

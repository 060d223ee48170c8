"""Which column feeds which field of the platform's recipient object, and which feeds which template tag.

Detection is a suggestion the UI shows and the marketer can override; it never looks at cell values.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from lib import i18n


class Field(StrEnum):
    UNIQUE_ID = "uniqueId"
    MOBILE_PHONE = "mobilePhone"
    EMAIL = "email"
    CARD_NUMBER = "cardNumber"
    MARKETING_CONSENT = "marketingConsent"  # ours, never sent to the platform (lib.rules.consent)

    @property
    def attribute(self) -> str:
        return _ATTRIBUTES[self]

    @property
    def label(self) -> str:
        """The field in a marketer's words, in their language (the platform's names stay out of pages)."""
        return i18n.coded(_LABELS, self)


_LABELS = i18n.family("recipients.label", Field)


def tag_label(tag: str) -> str:
    return i18n.t("recipients.tag_label", tag="{{" + tag + "}}")


def mapping_targets(template_tags: Sequence[str]) -> list[tuple[str, Field | str]]:
    """(label, target) for every choice of the column mapping: the fields, then the template's tags."""
    return [(f.label, f) for f in Field] + [(tag_label(tag), tag) for tag in template_tags]


class MappingOptionError(ValueError):
    """A --map option that cannot be applied; str() is one sentence naming it."""


# What `--map NAME=COLUMN` accepts for each field, besides its platform name (uniqueId, …).
_FIELD_OPTION_NAMES = {
    Field.UNIQUE_ID: ("id", "customer", "customerid", "uniqueid"),
    Field.MOBILE_PHONE: ("mobile", "mobilephone", "phone"),
    Field.EMAIL: ("email",),
    Field.CARD_NUMBER: ("card", "loyaltycard", "cardnumber"),
    Field.MARKETING_CONSENT: ("consent", "marketingconsent"),
}


def parse_map_option(option: str, headers: Sequence[str], template_tags: Sequence[str]) -> tuple[Field | str, str]:
    """`mobile=Κινητό` or `Firstname=First name` → (target, header). Tags are matched as written
    (with or without braces); fields by their plain names (mobile, email, id, card)."""
    name, equals, header = option.partition("=")
    name, header = name.strip().removeprefix("{{").removesuffix("}}").strip(), header.strip()
    if not equals or not name or not header:
        raise MappingOptionError(i18n.t("recipients.map.shape", option=repr(option)))
    if header not in headers:
        known = ", ".join(f"'{h}'" for h in headers)
        raise MappingOptionError(i18n.t("recipients.map.no_column", option=option, header=header, known=known))
    if name in template_tags:
        return name, header
    for target, names in _FIELD_OPTION_NAMES.items():
        if normalise_header(name) in names:
            return target, header
    tags = ", ".join(template_tags) or i18n.t("recipients.map.no_tags")
    raise MappingOptionError(i18n.t("recipients.map.unknown_name", option=option, name=name, tags=tags))


def apply_map_options(
    mapping: ColumnMapping, options: Sequence[str], headers: Sequence[str], template_tags: Sequence[str]
) -> ColumnMapping:
    for option in options:
        target, header = parse_map_option(option, headers, template_tags)
        mapping = mapping.with_override(target, header)
    return mapping


_ATTRIBUTES = {
    Field.UNIQUE_ID: "unique_id",
    Field.MOBILE_PHONE: "mobile_phone",
    Field.EMAIL: "email",
    Field.CARD_NUMBER: "card_number",
    Field.MARKETING_CONSENT: "marketing_consent",
}


# The console's own columns in a rows-to-fix file: recognised on upload again and never sent as payload.
# Written in the reader's language, recognised in every language (a file downloaded in Greek may come back
# through an English reader).
def row_header() -> str:
    return i18n.t("recipients.export.row_header")


def problems_header() -> str:
    return i18n.t("recipients.export.problems_header")


def _in_every_language(header) -> frozenset[str]:
    words = set()
    for lang in i18n.LANGUAGES:
        with i18n.language(lang):
            words.add(header())
    return frozenset(words)


ROW_HEADERS = _in_every_language(row_header)
CONSOLE_COLUMNS = ROW_HEADERS | _in_every_language(problems_header)


def normalise_header(name: str) -> str:
    """Case, accents, spaces, '_', '-' and '.' do not matter when recognising a header."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    kept = (c for c in decomposed if not unicodedata.combining(c) and c not in " _-.\t\u00a0/")
    return "".join(kept).replace("ς", "σ")


# Best name first: when two columns could be the same field, the better name wins.
_SYNONYMS: dict[Field, tuple[str, ...]] = {
    Field.UNIQUE_ID: (
        "uniqueid", "customerid", "clientid", "memberid", "contactid", "userid", "customerno", "customernumber",
        "customercode", "id", "uid", "κωδικός πελάτη", "κωδικός", "αριθμός πελάτη", "κωδ πελάτη", "id πελάτη",
        "κωδικός μέλους", "πελάτης",
    ),
    Field.MOBILE_PHONE: (
        "mobilephone", "mobile", "mobilenumber", "mobileno", "phone", "phonenumber", "cellphone", "cell", "msisdn",
        "tel", "telephone", "κινητό", "κινητό τηλέφωνο", "αριθμός κινητού", "τηλέφωνο", "τηλ", "αριθμός τηλεφώνου",
    ),
    Field.EMAIL: (
        "email", "emailaddress", "mail", "ηλεκτρονικό ταχυδρομείο", "ηλ ταχυδρομείο", "διεύθυνση email",
        "διεύθυνση ηλεκτρονικού ταχυδρομείου",
    ),
    Field.CARD_NUMBER: (
        "cardnumber", "card", "cardno", "loyaltycard", "loyaltycardnumber", "membercard", "κάρτα",
        "αριθμός κάρτας", "κάρτα μέλους", "κάρτα πελάτη",
    ),
    Field.MARKETING_CONSENT: (
        "marketingconsent", "consent", "consentmarketing", "marketingoptin", "optin", "gdprconsent",
        "consenttomarketing", "marketingpermission", "συγκατάθεση marketing", "συναίνεση marketing",
        "συγκατάθεση", "συναίνεση", "συγκατάθεση για marketing", "συναίνεση για marketing",
        "συγκατάθεση προώθησης", "συναίνεση προώθησης", "συγκατάθεση επικοινωνίας", "αποδοχή marketing",
    ),
}
_RANK: dict[str, tuple[Field, int]] = {}
for _field, _names in _SYNONYMS.items():
    for _rank, _name in enumerate(_names):
        _RANK.setdefault(normalise_header(_name), (_field, _rank))


@dataclass(frozen=True)
class ColumnMapping:
    unique_id: str | None = None
    mobile_phone: str | None = None
    email: str | None = None
    card_number: str | None = None
    marketing_consent: str | None = None
    payload: dict[str, str] = field(default_factory=dict)  # payload key as sent -> header as written
    missing_tags: tuple[str, ...] = ()

    def __hash__(self) -> int:
        return hash(self.key())

    def key(self) -> tuple:
        return (
            self.unique_id, self.mobile_phone, self.email, self.card_number, self.marketing_consent,
            tuple(self.payload.items()), self.missing_tags,
        )

    def header_for(self, target: Field | str) -> str | None:
        """The header feeding a contract field, or a payload key."""
        if isinstance(target, Field) or target in Field.__members__.values():
            return getattr(self, Field(target).attribute)
        return self.payload.get(target)

    @property
    def fields(self) -> dict[Field, str | None]:
        return {f: getattr(self, f.attribute) for f in Field}

    def to_json(self) -> dict:
        return {
            "uniqueId": self.unique_id,
            "mobilePhone": self.mobile_phone,
            "email": self.email,
            "cardNumber": self.card_number,
            "marketingConsent": self.marketing_consent,
            "payload": list(self.payload.values()),
        }

    def with_override(self, target: Field | str, header: str | None) -> ColumnMapping:
        """A copy where `target` (a Field, its value like "mobilePhone", or a payload key) reads `header`
        (None: nothing). A header taken for a field leaves the plain payload; a field's old header becomes
        a plain payload column again so no column silently disappears."""
        payload = dict(self.payload)
        if isinstance(target, Field) or target in {f.value for f in Field}:
            target = Field(target)
            old = getattr(self, target.attribute)
            if header is not None:
                payload = {k: v for k, v in payload.items() if not (k == v == header)}
            other_fields = {h for f, h in self.fields.items() if f is not target}
            if old is not None and old != header and old not in other_fields and old not in payload.values():
                payload[old] = old
            return dataclasses.replace(self, **{target.attribute: header, "payload": payload})
        missing = tuple(t for t in self.missing_tags if t != target or header is None)
        if header is None:
            payload.pop(target, None)
            if target in self._tags_seen():
                missing = (*missing, target) if target not in missing else missing
        else:
            payload = {k: v for k, v in payload.items() if not (k == v == header and k != target)}
            payload[target] = header
        return dataclasses.replace(self, payload=payload, missing_tags=missing)

    def _tags_seen(self) -> set[str]:
        return {k for k, v in self.payload.items() if k != v}


def detect_mapping(headers: list[str], template_tags: Sequence[str] = ()) -> ColumnMapping:
    """Suggest a mapping from header names: contract fields by synonym, template tags exactly then loosely,
    every other column a payload field under its own header."""
    chosen: dict[Field, tuple[int, str]] = {}
    for header in headers:
        hit = _RANK.get(normalise_header(header))
        if hit is None:
            continue
        target, rank = hit
        if target not in chosen or rank < chosen[target][0]:
            chosen[target] = (rank, header)
    fields = {f: h for f, (_, h) in chosen.items()}
    field_headers = set(fields.values())

    tag_columns: dict[str, str] = {}
    missing: list[str] = []
    exact = set(headers)
    loose: dict[str, str] = {}
    for header in headers:
        loose.setdefault(normalise_header(header), header)
    for tag in template_tags:
        if tag in exact:
            tag_columns[tag] = tag
        elif (header := loose.get(normalise_header(tag))) is not None or (header := _field_for_tag(tag, fields)) is not None:
            tag_columns[tag] = header
        else:
            missing.append(tag)

    payload: dict[str, str] = {}
    tag_headers = set(tag_columns.values())
    console_file = not ROW_HEADERS.isdisjoint(headers)  # a rows-to-fix file uploaded again
    for header in headers:
        if header in field_headers or header in tag_headers or (console_file and header in CONSOLE_COLUMNS):
            continue
        payload[header] = header
    payload.update(tag_columns)
    return ColumnMapping(
        unique_id=fields.get(Field.UNIQUE_ID),
        mobile_phone=fields.get(Field.MOBILE_PHONE),
        email=fields.get(Field.EMAIL),
        card_number=fields.get(Field.CARD_NUMBER),
        marketing_consent=fields.get(Field.MARKETING_CONSENT),
        payload=payload,
        missing_tags=tuple(missing),
    )


def _field_for_tag(tag: str, fields: dict[Field, str]) -> str | None:
    """A tag named after a contract field ({{cardNumber}}) reads the column mapped to that field."""
    for target, header in fields.items():
        if normalise_header(tag) == normalise_header(target.value):
            return header
    return None


def tags_missing(mapping: ColumnMapping, template_tags: Sequence[str]) -> tuple[str, ...]:
    return tuple(t for t in template_tags if t not in mapping.payload)

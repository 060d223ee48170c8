"""Preview of a campaign before it is sent: what each recipient gets, what it costs, what to check.

Values come as a DataFrame whose index is the spreadsheet row number (header = row 1) and
whose columns are payload keys spelled as the template's tags. A value that is empty or NA
is missing: the marketer's default for that tag fills it (and is written into the payload
that is sent, so preview = send), otherwise the row is an error and is not sent.

`payload_values` is the one place the sent payload is decided (defaults, then the opt-in
GSM-safe Greek); `list_metrics` measures the whole list from it, vectorised; `render_row`
gives one message byte for byte as the platform renders it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lib import i18n
from lib.personalization import segments
from lib.personalization.characters import Character
from lib.personalization.greek import gsm_safe_greek
from lib.personalization.render import RenderedMessage, render_row
from lib.personalization.sms import GSM7, UCS2, non_gsm7_characters, sms_metrics
from lib.personalization.tags import parse_template
from lib.recipients.problems import join_words
from lib.templates import Channel, Template, template_tags

__all__ = [
    "ListMetrics",
    "RenderedMessage",
    "RiskyRow",
    "apply_defaults",
    "apply_gsm_greek",
    "find_row",
    "gsm_greek_changes",
    "list_metrics",
    "missing_value_message",
    "payload_values",
    "preview_row_json",
    "render_row",
    "riskiest_rows",
    "reasons_text",
    "stored_reason",
    "reason_from_stored",
    "summary_json",
    "tag_values",
    "template_tags",
]

DEFAULT_PRICE_PER_PART = Decimal("0.05")
_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default "str" dtype


def tag_values(
    frame: pd.DataFrame, tags: Iterable[str], payload_columns: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """The values for each tag from a recipients frame (e.g. `RecipientList.frame`), one column per
    tag, named by the tag. `payload_columns` maps a tag to the frame column holding it; a tag with
    no column is left out, so every row reads as missing it."""
    payload_columns = payload_columns or {}
    columns = {}
    for tag in tags:
        column = payload_columns.get(tag, tag)
        if column in frame.columns:
            columns[tag] = frame[column]
    return pd.DataFrame(columns, index=frame.index)


def missing_value_message(tags: Iterable[str]) -> str:
    """ "Missing value for {{Firstname}}" (and "… and {{points}}" when several are missing)."""
    names = ["{{" + tag + "}}" for tag in tags]
    if not names:
        return ""
    return i18n.t("personalization.missing_value", tags=join_words(names))


# ---- the payload that is sent --------------------------------------------------------------


def apply_defaults(
    values: pd.DataFrame, tags: Iterable[str], defaults: Mapping[str, str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(filled values, missing[bool] per tag, defaults_used[bool] per tag), indexed like `values`.

    A cell is missing when NA or empty. With a (non-empty) default for its tag it is filled
    and flagged in defaults_used; without one it stays NA and is flagged in missing."""
    defaults = {tag: value for tag, value in (defaults or {}).items() if value not in (None, "")}
    filled, missing, used = {}, {}, {}
    for tag in tags:
        if tag in values.columns:
            column = values[tag].astype("str")
            empty = (column.isna() | (column == "")).to_numpy(dtype=bool)
        else:
            column = pd.Series(pd.NA, index=values.index, dtype="str")
            empty = np.ones(len(values), dtype=bool)
        if tag in defaults:
            filled[tag] = column.mask(empty, str(defaults[tag])) if empty.any() else column
            used[tag], missing[tag] = empty, np.zeros(len(values), dtype=bool)
        else:
            filled[tag] = column.mask(empty, pd.NA) if empty.any() else column
            used[tag], missing[tag] = np.zeros(len(values), dtype=bool), empty
    tags = list(filled)
    return (
        pd.DataFrame(filled, index=values.index, columns=tags),
        pd.DataFrame(missing, index=values.index, columns=tags),
        pd.DataFrame(used, index=values.index, columns=tags),
    )


def _arrow(column: pd.Series) -> pa.LargeStringArray:
    values = pa.array(column, type=pa.large_string(), from_pandas=True)
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _may_change_under_gsm_greek(column: pd.Series) -> bool:
    """Whether any value has a byte beyond ASCII or a backtick, read straight from the Arrow
    buffer: most columns (codes, numbers, dates) are plain ASCII and are skipped at once."""
    values = _arrow(column)
    offsets_buffer, data_buffer = values.buffers()[1:3]
    if data_buffer is None or offsets_buffer is None:
        return False
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[values.offset : values.offset + len(values) + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]
    return bool((data >= 0x80).any() or (data == ord("`")).any())


def _gsm_greek_column(column: pd.Series) -> pd.Series:
    if not _may_change_under_gsm_greek(column):
        return column
    codes, uniques = pd.factorize(column)
    # One call per distinct value (a list has few distinct names), not per row.
    converted = pa.array([gsm_safe_greek(value) for value in uniques], type=pa.large_string())
    taken = converted.take(pa.array(codes, mask=codes < 0))
    return pd.Series(pd.arrays.ArrowStringArray(taken, dtype=_STR), index=column.index, name=column.name)


def apply_gsm_greek(filled: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """(values with GSM-safe Greek applied, the tags whose values it changed)."""
    converted, changed = {}, []
    for tag in filled.columns:
        converted[tag] = _gsm_greek_column(filled[tag])
        if converted[tag] is not filled[tag] and not converted[tag].equals(filled[tag]):
            changed.append(tag)
        else:
            converted[tag] = filled[tag]
    return pd.DataFrame(converted, index=filled.index, columns=filled.columns), changed


def payload_values(
    template: Template, values: pd.DataFrame, defaults: Mapping[str, str] | None = None, gsm_greek: bool = False
) -> pd.DataFrame:
    """Exactly the payload values to send, one column per tag; NA where a value is missing
    (such a row is an error and must not be sent)."""
    filled, _, _ = apply_defaults(values, template_tags(template), defaults)
    return apply_gsm_greek(filled)[0] if gsm_greek else filled


def gsm_greek_changes(values: pd.DataFrame, limit: int = 20) -> pd.DataFrame:
    """Distinct values GSM-safe Greek would change: columns tag, before, after, rows."""
    frames = []
    for tag in values.columns:
        column = values[tag].astype("str")
        if not _may_change_under_gsm_greek(column):
            continue
        counts = column.value_counts(sort=True)
        after = [gsm_safe_greek(value) for value in counts.index]
        frame = pd.DataFrame(
            {"tag": tag, "before": counts.index.astype(object), "after": after, "rows": counts.to_numpy()}
        )
        frames.append(frame[frame["before"] != frame["after"]])
    if not frames:
        return pd.DataFrame(columns=["tag", "before", "after", "rows"])
    changes = pd.concat(frames, ignore_index=True).sort_values("rows", ascending=False, kind="stable")
    return changes.head(limit).reset_index(drop=True)


# ---- metrics for the whole list ------------------------------------------------------------


@dataclass(frozen=True)
class ListMetrics:
    # Per row, indexed by spreadsheet row: characters, parts (Int64, NA for email and error rows),
    # encoding ("GSM-7"/"UCS-2"), ucs2_character (first character forcing UCS-2, else ""),
    # missing and defaults_used (tags, comma separated), error ("Missing value for {{X}}" or "").
    rows: pd.DataFrame
    missing: pd.DataFrame  # bool per tag
    defaults_used: pd.DataFrame  # bool per tag
    channel: Channel
    recipients: int
    sendable: int  # rows with every value present (after defaults)
    total_parts: int
    distribution: dict[int, int]  # parts → recipients
    ucs2_rows: pd.Series  # row → character that forced UCS-2, sendable rows only
    price_per_part: Decimal
    estimated_cost: Decimal
    parts_saved_by_gsm_greek: int  # parts without GSM-safe Greek minus parts with it
    gsm_greek: bool
    gsm_greek_tags: list[str]  # tags whose values GSM-safe Greek changes
    template_is_gsm7: bool
    template_ucs2_characters: str
    template_note: str  # a plain sentence when the template itself forces UCS-2, else ""
    defaults: dict[str, str] = field(default_factory=dict)

    @property
    def rows_with_errors(self) -> int:
        return self.recipients - self.sendable

    @property
    def ucs2_by_character(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in self.ucs2_rows.value_counts(sort=True).items()}


def _tag_lists(flags: pd.DataFrame, index: pd.Index) -> pd.Categorical:
    """Per row, the flagged tags as "A, B": rows are grouped by which tags are flagged
    (a bit pattern), so the text is built once per pattern, not once per row."""
    tags = list(flags.columns)
    if not tags:
        return pd.Categorical.from_codes(np.zeros(len(index), dtype=np.int64), categories=[""])
    matrix = flags.to_numpy(dtype=bool)
    if not matrix.any():
        return pd.Categorical.from_codes(np.zeros(len(index), dtype=np.int64), categories=[""])
    pattern = np.zeros(len(index), dtype=np.int64)
    for bit in range(len(tags)):
        pattern |= matrix[:, bit].astype(np.int64) << bit
    patterns = np.flatnonzero(np.bincount(pattern)) if len(tags) <= 16 else np.unique(pattern)
    codes = np.searchsorted(patterns, pattern)
    labels = [", ".join(t for bit, t in enumerate(tags) if p >> bit & 1) for p in patterns]
    return pd.Categorical.from_codes(codes, categories=pd.Index(labels, dtype=object))


def _masked(values: np.ndarray, mask: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(values.astype(np.int64), mask.copy())


def _template_ucs2_note(characters: str) -> str:
    if not characters:
        return ""
    return i18n.t("personalization.template_ucs2", character=characters[0])


def list_metrics(
    template: Template,
    values: pd.DataFrame,
    defaults: Mapping[str, str] | None = None,
    gsm_greek: bool = False,
    price_per_part: Decimal = DEFAULT_PRICE_PER_PART,
) -> ListMetrics:
    """Per row and list-wide figures, computed for the whole list at once."""
    defaults = dict(defaults or {})
    filled, missing, used = apply_defaults(values, template_tags(template), defaults)
    n = len(values)
    errored = missing.to_numpy(dtype=bool).any(axis=1) if len(missing.columns) else np.zeros(n, dtype=bool)
    missing_lists = _tag_lists(missing, values.index)
    error = pd.Categorical.from_codes(
        missing_lists.codes,
        categories=pd.Index(
            [missing_value_message(c.split(", ")) if c else "" for c in missing_lists.categories], dtype=object
        ),
    )
    transformed, changed = apply_gsm_greek(filled)
    rows = pd.DataFrame(index=values.index)
    template_chars = non_gsm7_characters("".join(parse_template(template.body).parts[0::2]))
    totals = {"total_parts": 0, "distribution": {}, "parts_saved_by_gsm_greek": 0}
    ucs2_rows = pd.Series([], dtype=object, index=values.index[:0])

    if template.channel is Channel.SMS:
        parsed = parse_template(template.body)
        sent, other = (transformed, filled) if gsm_greek else (filled, transformed)
        sent_columns = {tag: sent[tag].fillna("") for tag in parsed.tags}
        figures = segments.message_figures(parsed, sent_columns, n)
        rows["characters"] = _masked(figures.characters, errored)
        rows["parts"] = _masked(figures.parts, errored)
        encoding_codes = np.where(errored, -1, figures.gsm7.astype(np.int8))
        rows["encoding"] = pd.Categorical.from_codes(encoding_codes, categories=[UCS2, GSM7])
        rows["ucs2_character"] = np.where(errored, "", figures.trigger)
        sendable_parts = figures.parts[~errored]
        totals["total_parts"] = int(sendable_parts.sum())
        kinds, counts = np.unique(sendable_parts, return_counts=True)
        totals["distribution"] = {int(k): int(c) for k, c in zip(kinds, counts, strict=True)}
        if changed:
            unchanged = {tag: fig for tag, fig in figures.values.items() if tag not in changed}
            other_columns = {tag: other[tag].fillna("") for tag in parsed.tags}
            other_parts = segments.message_figures(parsed, other_columns, n, unchanged).parts[~errored]
            without, with_ = (other_parts, sendable_parts) if gsm_greek else (sendable_parts, other_parts)
            totals["parts_saved_by_gsm_greek"] = int(without.sum() - with_.sum())
        ucs2 = ~errored & ~figures.gsm7
        ucs2_rows = pd.Series(figures.trigger[ucs2], index=values.index[ucs2], dtype=object)
    else:
        rows["characters"] = _masked(np.zeros(n), np.ones(n, dtype=bool))
        rows["parts"] = _masked(np.zeros(n), np.ones(n, dtype=bool))
        rows["encoding"] = pd.Categorical.from_codes(np.full(n, -1), categories=[UCS2, GSM7])
        rows["ucs2_character"] = ""
    rows["missing"] = missing_lists
    rows["defaults_used"] = _tag_lists(used, values.index)
    rows["error"] = error
    is_sms = template.channel is Channel.SMS
    return ListMetrics(
        rows=rows,
        missing=missing,
        defaults_used=used,
        channel=template.channel,
        recipients=n,
        sendable=int((~errored).sum()),
        ucs2_rows=ucs2_rows,
        price_per_part=Decimal(price_per_part),
        estimated_cost=Decimal(totals["total_parts"]) * Decimal(price_per_part),
        gsm_greek=gsm_greek,
        gsm_greek_tags=changed,
        template_is_gsm7=not (is_sms and template_chars),
        template_ucs2_characters=template_chars if is_sms else "",
        template_note=_template_ucs2_note(template_chars) if is_sms else "",
        defaults=defaults,
        **totals,
    )


# ---- the rows most worth a look ------------------------------------------------------------


@dataclass(frozen=True)
class RiskyRow:
    row: int
    reasons: list[i18n.Msg]  # why it was picked: put into words by whoever reads it, in their language


def reasons_text(reasons: Iterable[i18n.Msg | str]) -> str:
    """A row's reasons as one line in the reader's language."""
    return i18n.t("common.separator").join(map(str, reasons))


def stored_reason(reason: i18n.Msg) -> dict:
    """A reason as JSON data, kept with a send that waits for approval: its catalog key and parameters,
    so the approver reads it in their own language (`reason_from_stored`)."""
    return {"key": reason.key, "params": {name: _stored(value) for name, value in reason.params.items()}}


def reason_from_stored(data: Mapping) -> i18n.Msg:
    return i18n.Msg(data["key"], **{name: _restored(value) for name, value in (data.get("params") or {}).items()})


def _stored(value):
    if isinstance(value, i18n.Msg):
        return {"msg": stored_reason(value)}
    if isinstance(value, Character):
        return {"char": value.char}
    return value


def _restored(value):
    if isinstance(value, Mapping) and "msg" in value:
        return reason_from_stored(value["msg"])
    if isinstance(value, Mapping) and "char" in value:
        return Character(value["char"])
    return value


_UNUSUAL = (
    "[\\x{0}-\\x{1F}\\x{7F}-\\x{9F}\\x{A0}\\x{AD}\\x{200B}-\\x{200F}\\x{202A}-\\x{202E}\\x{2060}\\x{FEFF}"
    "\\x{2018}-\\x{201F}\\x{2032}\\x{2033}\\x{2026}\\x{2013}\\x{2014}]"
)
_EDGE_SPACE = "^\\s|\\s$"
# A value that looks like markup or script: a tag, an HTML entity, a javascript: URL or an event handler.
_MARKUP = "(?i)<\\s*[a-z!/?]|&#?[a-z0-9]+;|javascript\\s*:|\\bon[a-z]+\\s*="


def _matching_rows(column: pd.Series, pattern: str) -> np.ndarray:
    values = pa.array(column, type=pa.large_string(), from_pandas=True)
    return pc.match_substring_regex(values, pattern).to_numpy(zero_copy_only=False) == True  # noqa: E712


def _first_rows_per_character(column: pd.Series, pattern: str, limit: int = 5) -> list[tuple[int, str, int]]:
    """For each distinct character matching `pattern` (a character class): (first row position,
    character, rows whose first such character it is), most frequent first."""
    hits = np.flatnonzero(_matching_rows(column, pattern))
    if not hits.size:
        return []
    values = pa.array(column.iloc[hits], type=pa.large_string(), from_pandas=True)
    extracted = pc.struct_field(pc.extract_regex(values, f"(?P<c>{pattern})"), [0])
    found = pd.Series(extracted.to_numpy(zero_copy_only=False))
    counts = found.value_counts()
    firsts = found.drop_duplicates()
    ranked = sorted(((int(hits[i]), char, int(counts[char])) for i, char in firsts.items()), key=lambda t: -t[2])
    return ranked[:limit]


def _rows_note(count: int) -> i18n.Msg | str:
    return "" if count <= 1 else i18n.Msg("personalization.rows_note", n=count)


def _pick_markup(tag: str, column: pd.Series, pick) -> None:
    """Email: a value holding HTML or script is sent as text (escaped), so the reader sees the code;
    it is also how someone would try to slip markup into a campaign. Worth a look either way."""
    marked = _matching_rows(column, _MARKUP)
    if marked.any():
        first = int(np.flatnonzero(marked)[0])
        value = column.iloc[first]
        shown = value if len(value) <= 40 else value[:39] + "…"
        pick(first, i18n.Msg("personalization.risk.markup", tag=_tag(tag), value=repr(shown), rows=_rows_note(int(marked.sum()))))


def riskiest_rows(template: Template, values: pd.DataFrame, metrics: ListMetrics, limit: int = 10) -> list[RiskyRow]:
    """The rows most worth a look before sending, each with why it was picked, most urgent first."""
    picks: dict[int, list[i18n.Msg]] = {}

    def pick(position: int, reason: i18n.Msg) -> None:
        picks.setdefault(int(metrics.rows.index[position]), []).append(reason)

    for tag in metrics.missing.columns:
        flags = metrics.missing[tag].to_numpy(dtype=bool)
        if flags.any():
            pick(int(np.flatnonzero(flags)[0]), i18n.Msg("personalization.risk.missing", tag=_tag(tag),
                                                        rows=_rows_note(int(flags.sum()))))
    for tag in metrics.defaults_used.columns:
        flags = metrics.defaults_used[tag].to_numpy(dtype=bool)
        if flags.any():
            default = metrics.defaults.get(tag, "")
            pick(
                int(np.flatnonzero(flags)[0]),
                i18n.Msg("personalization.risk.default", tag=_tag(tag), value=repr(default), rows=_rows_note(int(flags.sum()))),
            )
    if metrics.channel is Channel.SMS and metrics.sendable:
        parts = metrics.rows["parts"].to_numpy(dtype=np.int64, na_value=-1)
        characters = metrics.rows["characters"].to_numpy(dtype=np.int64, na_value=-1)
        most = int(parts.argmax())
        if parts[most] > 1:
            pick(most, i18n.Msg("personalization.risk.most_parts", parts=i18n.Msg("common.sms_parts", n=int(parts[most])),
                                n=int(characters[most])))
        longest = int(characters.argmax())
        pick(longest, i18n.Msg("personalization.risk.longest", n=int(characters[longest])))
        if metrics.template_is_gsm7 and len(metrics.ucs2_rows):
            counts = metrics.ucs2_rows.value_counts()
            for row, char in metrics.ucs2_rows.drop_duplicates().items():
                reason = i18n.Msg("personalization.risk.ucs2", character=Character(char), rows=_rows_note(int(counts[char])))
                picks.setdefault(int(row), []).append(reason)
    for tag in metrics.missing.columns:
        column = values[tag].astype("str") if tag in values.columns else None
        if column is None:
            continue
        spaced = _matching_rows(column, _EDGE_SPACE)
        if spaced.any():
            first = int(np.flatnonzero(spaced)[0])
            value = column.iloc[first]
            pick(first, i18n.Msg("personalization.risk.space", tag=_tag(tag), value=repr(value), rows=_rows_note(int(spaced.sum()))))
        for position, char, count in _first_rows_per_character(column, _UNUSUAL):
            pick(position, i18n.Msg("personalization.risk.contains", tag=_tag(tag), character=Character(char),
                                    rows=_rows_note(count)))
        if metrics.channel is Channel.EMAIL:
            _pick_markup(tag, column, pick)
    return [RiskyRow(row=row, reasons=reasons) for row, reasons in list(picks.items())[:limit]]


# ---- one row, for the preview pane and the command line ------------------------------------


def find_row(recipients: pd.DataFrame, row: int | None = None, unique_id: str | None = None) -> int:
    """The spreadsheet row number asked for, by number or by uniqueId. LookupError says why not."""
    if row is not None:
        if row not in recipients.index:
            if len(recipients.index):
                raise LookupError(i18n.t("personalization.find.no_row", row=str(row), first=str(recipients.index.min()),
                                         last=str(recipients.index.max())))
            raise LookupError(i18n.t("personalization.find.no_recipients"))
        return int(row)
    if unique_id is not None:
        if "uniqueId" not in recipients.columns:
            raise LookupError(i18n.t("personalization.find.no_id_column"))
        matches = recipients.index[recipients["uniqueId"].astype("str") == str(unique_id)]
        if not len(matches):
            raise LookupError(i18n.t("personalization.find.no_id", id=repr(unique_id)))
        return int(matches[0])
    if not len(recipients.index):
        raise LookupError(i18n.t("personalization.find.no_recipients"))
    return int(recipients.index[0])


def _cell(recipients: pd.DataFrame, row: int, column: str) -> str | None:
    if column not in recipients.columns:
        return None
    value = recipients.at[row, column]
    return None if pd.isna(value) else str(value)


def preview_row_json(
    template: Template,
    recipients: pd.DataFrame,
    row: int,
    defaults: Mapping[str, str] | None = None,
    gsm_greek: bool = False,
) -> dict:
    """`{"row","uniqueId","to","subject","text","encoding","characters","parts","missing","defaultsUsed","error"}`
    for one spreadsheet row. `text` is None when a value is missing (such a row is not sent)."""
    one = recipients.loc[[row]]
    filled, missing, used = apply_defaults(one, template_tags(template), defaults)
    payload_frame = apply_gsm_greek(filled)[0] if gsm_greek else filled
    missing_tags = [tag for tag in missing.columns if missing.at[row, tag]]
    address = "mobilePhone" if template.channel is Channel.SMS else "email"
    result = {
        "row": int(row),
        "uniqueId": _cell(recipients, row, "uniqueId"),
        "to": _cell(recipients, row, address),
        "subject": None,
        "text": None,
        "encoding": None,
        "characters": None,
        "parts": None,
        "missing": missing_tags,
        "defaultsUsed": [tag for tag in used.columns if used.at[row, tag]],
        "error": missing_value_message(missing_tags) or None,
    }
    if missing_tags:
        return result
    payload = {tag: str(payload_frame.at[row, tag]) for tag in payload_frame.columns}
    message = render_row(template, payload)
    result["subject"] = message.subject if template.channel is Channel.EMAIL else None
    result["text"] = message.text
    if template.channel is Channel.SMS:
        figures = sms_metrics(message.text)
        result.update(encoding=figures.encoding, characters=figures.characters, parts=figures.parts)
    if gsm_greek:
        result["gsmGreek"] = [
            {"tag": tag, "before": str(filled.at[row, tag]), "after": payload[tag]}
            for tag in filled.columns
            if payload[tag] != str(filled.at[row, tag])
        ]
    return result


def summary_json(metrics: ListMetrics, ucs2_rows_shown: int = 100) -> dict:
    """The list's totals for `--json`: parts, distribution, UCS-2 rows, cost."""
    ucs2 = metrics.ucs2_rows.head(ucs2_rows_shown)
    return {
        "recipients": metrics.recipients,
        "sendable": metrics.sendable,
        "rowsWithErrors": metrics.rows_with_errors,
        "parts": metrics.total_parts,
        "distribution": {str(k): v for k, v in metrics.distribution.items()},
        "ucs2RowCount": len(metrics.ucs2_rows),
        "ucs2Rows": [{"row": int(r), "character": c} for r, c in ucs2.items()],
        "ucs2ByCharacter": metrics.ucs2_by_character,
        "pricePerPart": str(metrics.price_per_part),
        "cost": str(metrics.estimated_cost),
        "gsmGreek": metrics.gsm_greek,
        "partsSavedByGsmGreek": metrics.parts_saved_by_gsm_greek,
        "templateIsGsm7": metrics.template_is_gsm7,
        "templateNote": metrics.template_note or None,
    }


# ---- what the page says about SMS length, in plain words ----------------------------------------------------

_CURLY_QUOTES = "\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u00ab\u00bb"


CHARACTER_KINDS = i18n.family("personalization.kind", ("curly_quotes", "greek", "special"))


def _kind_of(char: str) -> str:
    if char in _CURLY_QUOTES:
        return "curly_quotes"
    if unicodedata.name(char, "").startswith("GREEK"):
        return "greek"
    return "special"


def _tag(tag: str) -> str:
    return "{{" + tag + "}}"


def shorter_parts_sentence(characters: Iterable[str], messages: int | None = None) -> str:
    """'Greek letters (Κ, ώ) and curly quotes (’) make each SMS part shorter (70 characters instead of 160)
    in 12 messages.' — the characters named, grouped by what a marketer would call them."""
    kinds: dict[str, list[str]] = {}
    for char in dict.fromkeys(characters):
        kinds.setdefault(_kind_of(char), []).append(char)
    if not kinds:
        return ""
    named = [i18n.coded(CHARACTER_KINDS, kind, chars=", ".join(chars[:8]) + (", …" if len(chars) > 8 else ""))
             for kind, chars in kinds.items()]
    subject = join_words(named)
    subject = subject[0].upper() + subject[1:]
    if messages is None:
        return i18n.t("personalization.shorter_parts", subject=subject)
    return i18n.t("personalization.shorter_parts_in", subject=subject, n=messages)


@dataclass(frozen=True)
class GsmGreekAdvice:
    offer: bool  # show the switch: it saves parts on this list
    why_not: str  # when not offered: the sentence saying why (empty when there is nothing to say)


def gsm_greek_advice(metrics: ListMetrics) -> GsmGreekAdvice:
    """Offer GSM-safe Greek only where it saves parts, and say why when it cannot help."""
    if metrics.channel is not Channel.SMS:
        return GsmGreekAdvice(False, "")
    if not metrics.template_is_gsm7:
        return GsmGreekAdvice(False, i18n.t("personalization.gsm_greek.template_needs_ucs2"))
    if metrics.parts_saved_by_gsm_greek > 0:
        return GsmGreekAdvice(True, "")
    if len(metrics.ucs2_rows) and not metrics.gsm_greek:
        return GsmGreekAdvice(False, i18n.t("personalization.gsm_greek.saves_nothing"))
    return GsmGreekAdvice(False, "")


def encoding_words(encoding: str) -> str:
    """What a row preview says instead of 'GSM-7' / 'UCS-2'."""
    return i18n.t("personalization.encoding.ucs2") if encoding == UCS2 else i18n.t("personalization.encoding.gsm7")


def parts_per_recipient(distribution: Mapping[int, int]) -> str:
    """'1 gets 2 parts, 3,000 get 1 part' — how many people get how many SMS parts ('none' for nobody)."""
    said = [i18n.t("personalization.parts_per", n=n, parts=i18n.t("personalization.parts", n=p))
            for p, n in sorted(distribution.items())]
    return ", ".join(said) or i18n.t("personalization.parts_none")

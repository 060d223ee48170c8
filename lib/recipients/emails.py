"""Email addresses: email-validator's syntax rules (no DNS) and its normalised form.

`check_one` is the reference. `check_many` judges each distinct value once and takes a vectorised path
for plain ASCII addresses, where email-validator's normal form is the local part as written plus the
domain in lower case; anything unusual (unicode, IDN, quoted, special-use domains, role mailboxes it
lower-cases, lengths near the limits) goes to the library itself.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES, DOT_ATOM_TEXT, DOT_ATOM_TEXT_INTL

from lib.recipients.mobiles import ColumnVerdicts, arrow_text, expand, scatter
from lib.recipients.problems import message

# Plain ASCII addresses. Labels may not start or end with '-', be longer than 63 or contain '--'
# (R-LDH, punycode): those are excluded by the separate checks in _judge_distinct, which keep RE2 fast.
_FAST_ADDRESS = r"^[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,63}$"
_BAD_HYPHEN_OR_LONG_LABEL = r"@-|\.-|-\.|--|[A-Za-z0-9-]{64}"
_SPECIAL_USE = r"(?:^|\.)(?:arpa|invalid|local|localhost|onion|test)$"
_SPLITTABLE_BAD = set('"<>[]\\ \t\r\n\u00a0')


@dataclass(frozen=True)
class Verdict:
    normalized: str | None
    code: str | None
    message: str | None = None


def check_one(raw: str | None) -> Verdict:
    text = (raw or "").strip()
    if not text:
        return Verdict(None, "email.missing", message("email.missing"))
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return Verdict(None, "email.invalid", message("email.invalid"))
    return Verdict(result.normalized, None, None)


def check_many(values: pd.Series) -> ColumnVerdicts:
    encoded = arrow_text(values).dictionary_encode()
    normalized, codes, texts = _judge_distinct(encoded.dictionary)
    return ColumnVerdicts(
        value=expand(normalized, encoded.indices, values.index),
        code=expand(codes, encoded.indices, values.index),
        message=expand(texts, encoded.indices, values.index),
    )


def _judge_distinct(distinct: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    stripped = pc.utf8_trim_whitespace(distinct)
    fast = pc.and_(
        pc.match_substring_regex(stripped, _FAST_ADDRESS),
        pc.invert(pc.match_substring_regex(stripped, _BAD_HYPHEN_OR_LONG_LABEL)),
    )
    fast = pc.and_(fast, pc.less_equal(pc.utf8_length(stripped), 254))
    candidates = stripped.filter(fast)
    halves = pc.split_pattern(candidates, "@", max_splits=1)
    local, domain = pc.list_element(halves, 0), pc.list_element(halves, 1)
    domain_lower = pc.utf8_lower(domain)
    keep = pc.and_(
        pc.and_(pc.less_equal(pc.utf8_length(local), 64), pc.invert(pc.match_substring_regex(domain_lower, _SPECIAL_USE))),
        pc.invert(pc.is_in(pc.utf8_lower(local), value_set=pa.array(CASE_INSENSITIVE_MAILBOX_NAMES))),
    )
    fast_mask = fast.to_numpy(zero_copy_only=False).copy()
    keep_mask = keep.to_numpy(zero_copy_only=False)
    fast_mask[np.flatnonzero(fast_mask)[~keep_mask]] = False
    joined = pc.binary_join_element_wise(local, domain_lower, "@").filter(keep)
    normalized = scatter(pa.nulls(len(distinct), pa.string()), np.flatnonzero(fast_mask), joined)
    codes = np.full(len(distinct), None, dtype=object)
    texts = np.full(len(distinct), None, dtype=object)
    slow = np.flatnonzero(~fast_mask)
    if slow.size:
        verdicts = _library_many(distinct.take(pa.array(slow)).to_pylist())
        normalized = scatter(normalized, slow, pa.array([v.normalized for v in verdicts], type=pa.string()))
        codes[slow] = [v.code for v in verdicts]
        texts[slow] = [v.message for v in verdicts]
    return normalized, pa.array(codes, type=pa.string()), pa.array(texts, type=pa.string())


def _library_many(values: list[str]) -> list[Verdict]:
    """check_one for many values. Unicode addresses share few domains and IDNA checks are slow, so for
    a simple local@domain the two halves are judged apart (each once) and joined, which is what
    email-validator itself does; anything else, or anything near the length limits, goes whole."""
    local_parts: dict[str, str | None] = {}
    domains: dict[str, str | None] = {}
    out: list[Verdict] = []
    for raw in values:
        text = (raw or "").strip()
        if text and ("@" not in text or text.endswith("@")):
            out.append(Verdict(None, "email.invalid", message("email.invalid")))  # no address after an @
            continue
        halves = _simple_halves(text)
        if halves is None:
            out.append(check_one(text))
            continue
        local, domain = halves
        if local not in local_parts:
            local_parts[local] = _local_as_written(local)
        if domain not in domains:
            domains[domain] = _normalized("a@" + domain, local=False)
        local_norm, domain_norm = local_parts[local], domains[domain]
        if local_norm is None or domain_norm is None:
            out.append(Verdict(None, "email.invalid", message("email.invalid")))
            continue
        joined = local_norm + "@" + domain_norm
        if len(joined.encode("utf-8")) > 160:
            out.append(check_one(text))  # the whole-address length rules apply: let the library judge
        else:
            out.append(Verdict(joined, None, None))
    return out


def _simple_halves(text: str) -> tuple[str, str] | None:
    if text.count("@") != 1 or len(text.encode("utf-8")) > 160 or _SPLITTABLE_BAD & set(text):
        return None
    local, domain = text.split("@")
    if not local or not domain or unicodedata.category(domain[0]).startswith("M"):
        return None
    return local, domain


def _local_as_written(local: str) -> str | None:
    """The normalised local part, as email-validator gives it, without calling it when the rules are plain."""
    if DOT_ATOM_TEXT.match(local):  # ASCII: kept as written, role mailboxes (info, sales...) lower-cased
        return local.lower() if local.lower() in CASE_INSENSITIVE_MAILBOX_NAMES else local
    if _plain_unicode_local(local):
        return local
    return _normalized(local + "@a.gr", local=True)


def _plain_unicode_local(local: str) -> bool:
    """email-validator's rules for an unquoted, non-ASCII, NFC local part, where it returns the part as
    written: the internationalised dot-atom pattern and only letters, digits, punctuation, symbols (and
    combining marks after the first character). Anything else is left to the library."""
    if local.isascii() or not DOT_ATOM_TEXT_INTL.match(local) or unicodedata.normalize("NFC", local) != local:
        return False
    for i, c in enumerate(local):
        category = unicodedata.category(c)[0]
        if category not in "LNPS" and not (category == "M" and i > 0):
            return False
    return True


def _normalized(address: str, local: bool) -> str | None:
    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return None
    return result.local_part if local else result.domain

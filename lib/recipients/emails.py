"""Email addresses: email-validator's syntax rules (no DNS) and its normalised form.

`check_one` is the reference. `check_many` judges each distinct value once and takes a vectorised path
for plain ASCII addresses, where email-validator's normal form is the local part as written plus the
domain in lower case; anything unusual (unicode, IDN, quoted, special-use domains, role mailboxes it
lower-cases, lengths near the limits) goes to the library itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

from lib.recipients.mobiles import ColumnVerdicts, arrow_text, expand
from lib.recipients.problems import message

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_FAST_ADDRESS = r"^(?P<local>[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*)@(?P<domain>(?:" + _LABEL + r"\.)+[A-Za-z]{2,63})$"
_SPECIAL_USE = r"(?:^|\.)(?:arpa|invalid|local|localhost|onion|test)$"


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
    parts = pc.extract_regex(stripped, _FAST_ADDRESS)
    local, domain = pc.struct_field(parts, "local"), pc.struct_field(parts, "domain")
    domain_lower = pc.utf8_lower(domain)
    accepted = pc.and_kleene(
        pc.is_valid(local),
        pc.and_kleene(
            pc.and_kleene(pc.less_equal(pc.utf8_length(local), 64), pc.less_equal(pc.utf8_length(stripped), 254)),
            pc.and_kleene(
                pc.invert(pc.match_substring(domain, "--")),
                pc.and_kleene(
                    pc.invert(pc.match_substring_regex(domain_lower, _SPECIAL_USE)),
                    pc.invert(pc.is_in(pc.utf8_lower(local), value_set=pa.array(CASE_INSENSITIVE_MAILBOX_NAMES))),
                ),
            ),
        ),
    )
    fast = accepted.fill_null(False).to_numpy(zero_copy_only=False)
    normalized = np.full(len(distinct), None, dtype=object)
    joined = pc.binary_join_element_wise(local, domain_lower, "@")
    normalized[fast] = joined.filter(pa.array(fast)).to_numpy(zero_copy_only=False)
    codes = np.full(len(distinct), None, dtype=object)
    texts = np.full(len(distinct), None, dtype=object)
    slow = np.flatnonzero(~fast)
    if slow.size:
        for position, raw in zip(slow, distinct.take(pa.array(slow)).to_pylist(), strict=True):
            verdict = check_one(raw)
            normalized[position], codes[position], texts[position] = verdict.normalized, verdict.code, verdict.message
    return pa.array(normalized, type=pa.string()), pa.array(codes, type=pa.string()), pa.array(texts, type=pa.string())

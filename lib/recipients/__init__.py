"""Recipient lists: read any spreadsheet, map its columns, normalise and validate every row.

Public API (other areas import from here, never from the submodules):
    load_recipient_list, load_for_template, list_sheets, RecipientList, RecipientFileError,
    detect_mapping, ColumnMapping, Field, Problem, Severity, MESSAGES, export_rows_to_fix,
    load_with_map_options, mapping_targets, tag_label
"""

from lib.recipients.export import export_rows_to_fix
from lib.recipients.mapping import ColumnMapping, Field, detect_mapping, mapping_targets, tag_label
from lib.recipients.problems import MESSAGES, Problem, Severity
from lib.recipients.reading import RecipientFileError, list_sheets
from lib.recipients.recipient_list import (
    RecipientList,
    clear_cache,
    load_for_template,
    load_recipient_list,
    load_with_map_options,
)

__all__ = [
    "MESSAGES",
    "ColumnMapping",
    "Field",
    "Problem",
    "RecipientFileError",
    "RecipientList",
    "Severity",
    "clear_cache",
    "detect_mapping",
    "export_rows_to_fix",
    "list_sheets",
    "load_for_template",
    "load_recipient_list",
    "load_with_map_options",
    "mapping_targets",
    "tag_label",
]

"""The rehydration report: per dataset, what was requested, found, missing (by reason),
duplicated, conflicting, empty and kept."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

MISSING_REASONS = ("not_found", "not_authorised", "other_error", "absent")

REPORT_COLUMNS = (
    "dataset",
    "n_rows",
    "n_requested",
    "n_duplicate_rows",
    "n_conflicting_ids",
    "n_found",
    "n_missing_not_found",
    "n_missing_not_authorised",
    "n_missing_other_error",
    "n_missing_absent",
    "n_unrequested",
    "n_skipped_lines",
    "n_empty_text",
    "n_missing_extra_labels",
    "n_kept",
    "conflicting_ids",
    "missing_ids",
    "empty_text_ids",
)


def rehydration_report_table(reports: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per dataset, counts first, then the dropped ids as ';'-joined strings."""
    return pd.DataFrame(
        [{c: r[c] for c in REPORT_COLUMNS} for r in reports], columns=list(REPORT_COLUMNS)
    )

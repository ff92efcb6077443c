"""Checks on the tables the engine passes between stages (Kedro-free, imports nothing of the
project): the bottom of the house, so that every room can check its inputs the same way."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


def require_columns(frame: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    """Raise a ValueError naming the table and the missing columns if any are absent."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"table '{table}' lacks column(s) {missing}; it has {list(frame.columns)}")

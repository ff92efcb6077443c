"""The one atomic write of this project (datasets and the shard store): a temporary file, then a
rename. Kedro-free, so that the engine can use it too."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import IO, Any


def write_atomically(fs: Any, save_path: str, write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write(handle)`` on a temporary file beside ``save_path`` and rename it into place.

    A run killed mid-write leaves no truncated file at ``save_path`` (which Kedro would resolve
    as the latest version); the temporary file is removed when ``write`` raises.
    """
    temporary = f"{save_path}.{uuid.uuid4().hex}.partial"
    fs.makedirs(str(PurePosixPath(save_path).parent), exist_ok=True)
    try:
        with fs.open(temporary, mode="wb") as handle:
            write(handle)
        fs.mv(temporary, save_path)
    except BaseException:
        if fs.exists(temporary):
            fs.rm(temporary)
        raise

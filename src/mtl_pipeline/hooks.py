"""Project hooks: input errors shown as one message.

(Run tracking is kedro-mlflow's hook, guarded in :mod:`mtl_pipeline.tracking`.)

Input errors: an ``InputError`` (a file or parameter the user can fix) carries the whole story in
its message; Kedro's runner already logs it once ("Node ... failed with error: ..."), and the
rich traceback printed after it (hundreds of lines) only hides it. ``InputErrorHooks`` makes the
run end with the message alone; any other exception is a bug and keeps its full traceback.
"""

from __future__ import annotations

import logging
import os
import sys
from types import TracebackType

from kedro.framework.hooks import hook_impl

from mtl_pipeline.params import InputError

#: Set to 1 to see the full traceback of an input error on the terminal too.
TRACEBACK_VARIABLE = "MTL_PIPELINE_TRACEBACK"


def user_error(exc: BaseException | None) -> InputError | None:
    """The ``InputError`` that caused ``exc`` (itself, or one in its ``__cause__`` /
    ``__context__`` chain: Kedro wraps errors raised while loading a dataset), else None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, InputError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _log_to_files(exc_type, exc, tb) -> None:
    """The full traceback to the file handlers only (logs/info.log), not to the terminal."""
    record = logging.LogRecord(
        __name__,
        logging.ERROR,
        __file__,
        0,
        "input error (full traceback)",
        None,
        (exc_type, exc, tb),
    )
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(record)


def input_error_excepthook(previous):
    """``sys.excepthook`` that prints an ``InputError`` (or an error caused by one) as one
    message, its traceback going to the log file only (and to the terminal too with
    ``MTL_PIPELINE_TRACEBACK=1``); any other exception goes to ``previous``."""

    def excepthook(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        found = user_error(exc)
        if found is None or os.environ.get(TRACEBACK_VARIABLE) == "1":
            previous(exc_type, exc, tb)
            return
        _log_to_files(exc_type, exc, tb)
        print(f"\nError: {found}", file=sys.stderr)

    excepthook.wraps_input_errors = True  # type: ignore[attr-defined]
    return excepthook


class InputErrorHooks:
    @hook_impl
    def after_context_created(self, context) -> None:  # noqa: ARG002 (hook signature)
        # Installed here, after Kedro's logging set-up installed rich's traceback handler.
        if not getattr(sys.excepthook, "wraps_input_errors", False):
            sys.excepthook = input_error_excepthook(sys.excepthook)

"""Project hooks: input errors shown as one message.

(Run tracking is kedro-mlflow's hook, guarded in :mod:`mtl_pipeline.tracking`.)

Input errors: an ``InputError`` (a file or parameter the user can fix) carries the whole story in
its message; Kedro's runner already logs it once ("Node ... failed with error: ..."), and the
rich traceback printed after it (hundreds of lines) only hides it. ``InputErrorHooks`` makes the
run end with the message alone; any other exception is a bug and keeps its full traceback.
"""

from __future__ import annotations

import sys
from types import TracebackType

from kedro.framework.hooks import hook_impl

from mtl_pipeline.params import InputError


def input_error_excepthook(previous):
    """``sys.excepthook`` that prints an ``InputError`` as one message, else calls ``previous``."""

    def excepthook(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if isinstance(exc, InputError):
            print(f"\nError: {exc}", file=sys.stderr)
            return
        previous(exc_type, exc, tb)

    excepthook.wraps_input_errors = True  # type: ignore[attr-defined]
    return excepthook


class InputErrorHooks:
    @hook_impl
    def after_context_created(self, context) -> None:  # noqa: ARG002 (hook signature)
        # Installed here, after Kedro's logging set-up installed rich's traceback handler.
        if not getattr(sys.excepthook, "wraps_input_errors", False):
            sys.excepthook = input_error_excepthook(sys.excepthook)

"""Regular expressions written by the people running a community, matched safely.

The crisis and idiom patterns in ``content/safety.yaml`` run on every message anyone
sends. Python's ``re`` backtracks, so one careless pattern such as ``(a+)+$`` can take
seconds per message and freeze every conversation and ``/healthz``. RE2 matches in time
linear in the message and refuses, at load, what it cannot match that way
(backreferences, lookarounds), so ``content check`` catches such a pattern before it
runs.
"""

from __future__ import annotations

from typing import Protocol

import re2

__all__ = ["PatternError", "TextPattern", "compile_pattern"]


class TextPattern(Protocol):
    """A compiled, case-insensitive pattern (the subset of RE2's API the bot uses)."""

    def search(self, text: str) -> object | None: ...

    def sub(self, replacement: str, text: str) -> str: ...


class PatternError(ValueError):
    """A pattern RE2 cannot compile; the message says why, in RE2's words."""


def _options() -> re2.Options:
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False  # the error is reported as a content error instead
    return options


def compile_pattern(source: str) -> TextPattern:
    """Compile ``source`` case-insensitively with RE2.

    :raises PatternError: the syntax is wrong, or it needs backtracking to match.
    """
    try:
        pattern: TextPattern = re2.compile(source, _options())
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(str(reason)) from None
    return pattern

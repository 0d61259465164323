"""Logging: one line per event, JSON when asked, and never a raw team or user id.

Log lines travel further than the database (log shippers, support tickets), so ids are
replaced by a short keyed hash before any handler sees them: the same person hashes the
same way in every line (so a conversation can still be followed), but the line does not
say who it was. Slack ids (``T0123ABCD``, ``U0456EFGH``) and Discord snowflakes are
recognised wherever they appear in the message, so no call site can forget.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys

from pythonjsonlogger.json import JsonFormatter

__all__ = ["IdHashingFilter", "configure_logging", "hash_id"]

_SLACK_ID = re.compile(r"\b[TUWBCDGE](?=[A-Z0-9]*\d)[A-Z0-9]{8,11}\b")
_SNOWFLAKE = re.compile(r"(?<![\d.])\d{17,20}(?![\d.])")
_HASHED_FIELDS = ("team", "user", "user_key")


def hash_id(value: str, *, salt: str) -> str:
    digest = hashlib.blake2s(value.encode(), key=salt.encode()[:32], digest_size=5)
    return f"h:{digest.hexdigest()}"


class IdHashingFilter(logging.Filter):
    """Rewrites each record's message (and ``team``/``user`` extras) with hashed ids."""

    def __init__(self, salt: str) -> None:
        super().__init__()
        self._salt = salt or "notnow"

    def _hash(self, match: re.Match[str]) -> str:
        return hash_id(match.group(0), salt=self._salt)

    def scrub(self, text: str) -> str:
        return _SNOWFLAKE.sub(self._hash, _SLACK_ID.sub(self._hash, text))

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logged as it is, not dropped
            message = str(record.msg)
        record.msg, record.args = self.scrub(message), None
        for name in _HASHED_FIELDS:
            value = getattr(record, name, None)
            if isinstance(value, str):
                setattr(record, name, hash_id(value, salt=self._salt))
        return True


def configure_logging(*, level: int, json_lines: bool, salt: str) -> None:
    """Route every logger through one stderr handler that hashes ids first."""
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger", "asctime": "time"},
        ))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(IdHashingFilter(salt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)

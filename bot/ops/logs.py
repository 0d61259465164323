"""Logging: one line per event, JSON when asked, and never a raw team or user id.

Log lines travel further than the database (log shippers, support tickets), so ids are
replaced by a short keyed hash before any handler sees them: the same person hashes the
same way in every line (so a conversation can still be followed), but the line does not
say who it was. Slack ids (``T0123ABCD``, ``U0456EFGH``) and Discord snowflakes are
recognised wherever they appear in the message (also inside percent-encoded file names
such as ``slack%3AT024BE7LH%3AU024BE7LH.json``, and in tracebacks), so no call site can
forget.

Libraries log what they were sent: Bolt puts the whole body of a refused request in an
INFO line, slack_sdk and discord.py put every API payload in DEBUG lines. Those payloads
are what people typed, so a library's line keeps only its gist, the text before the first
payload (``{``, ``[``, ``(``, ``<``, a quote), at most :data:`LIBRARY_LINE_LIMIT`
characters, at every level. That also bounds what a flood of refused requests can add to
the log. notnow's own loggers (``bot``, ``adapters``) never log user text, only hashed ids.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys

from pythonjsonlogger.json import JsonFormatter

__all__ = ["LIBRARY_LINE_LIMIT", "IdHashingFilter", "configure_logging", "gist", "hash_id"]

# An id starts a word, or follows a percent-escape (``%3A``) in an encoded file name.
_SLACK_ID = re.compile(
    r"(?:(?<=%[0-9A-Fa-f]{2})|(?<![A-Za-z0-9]))[TUWBCDGE](?=[A-Z0-9]*\d)[A-Z0-9]{8,11}\b"
)
_SNOWFLAKE = re.compile(r"(?<![\d.])\d{17,20}(?![\d.])")
_HASHED_FIELDS = ("team", "user", "user_key")
_OWN_LOGGERS = ("bot", "adapters")
_PAYLOAD_START = re.compile(r"[{\[(<\"]|\bb'")
LIBRARY_LINE_LIMIT = 240


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
        own = _is_own(record.name)
        record.msg, record.args = self.scrub(message if own else gist(message)), None
        trace = _traceback(record)
        if trace:
            # Formatters print exc_text when exc_info is gone, the JSON one included.
            record.exc_text = self.scrub(trace if own else _gist_traceback(trace))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        for name in _HASHED_FIELDS:
            value = getattr(record, name, None)
            if isinstance(value, str):
                setattr(record, name, hash_id(value, salt=self._salt))
        return True


_TRACEBACKS = logging.Formatter()


def _is_own(logger_name: str) -> bool:
    return logger_name.split(".", 1)[0] in _OWN_LOGGERS


def gist(message: str) -> str:
    """A library's line without the payload it carries: the text before the first
    ``{``, ``[``, ``(``, ``<``, double quote or ``b'``, cut to :data:`LIBRARY_LINE_LIMIT`."""
    found = _PAYLOAD_START.search(message)
    kept = message[: found.start()] if found else message
    if found or len(kept) > LIBRARY_LINE_LIMIT:
        return kept[:LIBRARY_LINE_LIMIT].rstrip() + " [payload not logged]"
    return kept


def _traceback(record: logging.LogRecord) -> str | None:
    if record.exc_text:
        return record.exc_text
    if record.exc_info and record.exc_info[0] is not None:
        return _TRACEBACKS.formatException(record.exc_info)
    return None


def _gist_traceback(trace: str) -> str:
    """A library's traceback keeps its frames (indented: file, line, code); the exception
    lines are cut like a log line, since an exception can quote what it was sent."""
    return "\n".join(
        line if line.startswith((" ", "Traceback ")) else gist(line)
        for line in trace.splitlines()
    )


def configure_logging(*, level: int, json_lines: bool, salt: str) -> None:
    """Route every logger through one stderr handler that hashes ids first and keeps
    only the gist of libraries' lines, whatever level each logger is set to."""
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

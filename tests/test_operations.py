"""Operations: logs that never name anyone, and metrics that count what matters."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

from bot.ops.logs import IdHashingFilter, hash_id
from bot.ops.metrics import render_metrics
from tests.conversation import Conversation, skip_introduction


def test_ids_are_hashed_wherever_they_appear() -> None:
    scrub = IdHashingFilter("s3cret").scrub
    line = "slack chat.postMessage failed: x (team=T0123ABCD user=U0456EFGH) for 123456789012345678"
    out = scrub(line)
    for raw in ("T0123ABCD", "U0456EFGH", "123456789012345678"):
        assert raw not in out
        assert hash_id(raw, salt="s3cret") in out
    assert IdHashingFilter("other").scrub(line) != out  # the salt is the key
    assert scrub("UNICODE and CHANNELS stay; 2026-11-27 too") == \
        "UNICODE and CHANNELS stay; 2026-11-27 too"


def test_json_log_lines_carry_no_raw_ids(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = ("import logging, sys; sys.argv=['notnow','content','check']\n"
            "from adapters.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "logging.getLogger('adapters.slack').warning("
            "'slack users.info failed: %s (team=%s user=%s)', 'x', 'T0123ABCD', 'U0456EFGH')\n")
    env = {**os.environ, "NOTNOW_LOG_FORMAT": "json", "NOTNOW_DB": str(tmp_path / "db")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=60)
    [line] = [json.loads(raw) for raw in done.stderr.splitlines() if raw.startswith("{")]
    assert line["level"] == "WARNING" and line["logger"] == "adapters.slack"
    assert "T0123ABCD" not in line["message"] and "h:" in line["message"]


def test_turns_are_counted_and_timed(conv: Conversation) -> None:
    def value(name: str) -> float:
        for row in render_metrics().decode().splitlines():
            if row.startswith(name + "{") and 'platform="test"' in row:
                return float(row.rsplit(" ", 1)[1])
        return 0.0

    turns = value("notnow_turns_total")
    timed = value("notnow_turn_seconds_count")
    conv.command("start")
    conv.send("okay")
    assert value("notnow_turns_total") == turns + 2
    assert value("notnow_turn_seconds_count") == timed + 2


def test_a_bug_in_a_turn_costs_one_answer_not_the_conversation(
        conv: Conversation, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    conv.command("start")
    skip_introduction(conv)
    conv.pick("Okay")

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(conv.coach.flows, "answer", broken)
    with caplog.at_level(logging.ERROR):
        conv.pick("write down")
    assert "something went wrong on my side" in conv.text
    assert "turn failed" in caplog.text
    monkeypatch.undo()
    conv.pick("write down")  # the person is where they were
    assert "Which company" in conv.text


def test_library_lines_and_tracebacks_keep_their_gist_not_the_payload(
        monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """discord.py logs every REST payload at DEBUG, and an exception can quote what it was
    sent; the ids in a percent-encoded file name and in our own tracebacks are hashed."""
    import io

    from bot.ops.logs import configure_logging

    secret, snowflake = "Quixotic-Marmalade-7781", "123456789012345678"
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stderr", buffer)
    try:
        for json_lines in (False, True):
            configure_logging(level=logging.DEBUG, json_lines=json_lines, salt="s")
            logging.getLogger("discord.http").debug(
                "%s %s with %s has returned %s", "POST",
                f"https://discord.com/api/v10/channels/{snowflake}/messages",
                json.dumps({"content": f"I applied at {secret}"}), 200)
            try:
                raise ValueError(f"could not send {{'content': '{secret}'}}")
            except ValueError:
                logging.getLogger("discord.client").exception("Ignoring exception in on_message")
            try:
                raise OSError(f"no space: /db/people/ab/discord%3A{snowflake}%3A1.json")
            except OSError:
                logging.getLogger("bot.conversation.engine").exception("could not save")
    finally:
        root.handlers[:], root.level = saved
    log = buffer.getvalue()
    assert secret not in log and snowflake not in log
    assert f"channels/{hash_id(snowflake, salt='s')}/messages with [payload not logged]" in log
    assert "Traceback" in log and "discord%3Ah:" in log

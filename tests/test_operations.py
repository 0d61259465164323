"""Operations: logs that never name anyone, and metrics that count what matters."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

from bot.logs import IdHashingFilter, hash_id
from bot.metrics import render_metrics
from tests.conversation import Conversation


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

"""``notnow content check``: an admin's mistake is named by file, line and key."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.content.loader import ContentErrors, load_content
from bot.conversation.actions import ACTIONS
from bot.settings import DEFAULT_CONTENT_DIR


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, target, ignore=shutil.ignore_patterns("__*"))
    return target


def check(directory: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NOTNOW_CONTENT_DIR": str(directory)}
    return subprocess.run([sys.executable, "-m", "adapters.cli", "content", "check"],
                          env=env, capture_output=True, text=True, timeout=60)


def errors_of(directory: Path) -> list[str]:
    with pytest.raises(ContentErrors) as caught:
        load_content(directory, known_actions=ACTIONS)
    return [str(e) for e in caught.value.errors]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_default_content_is_valid() -> None:
    done = check(DEFAULT_CONTENT_DIR)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("content OK")


def test_an_admin_copy_is_used(copy: Path) -> None:
    edit(copy / "coach.yaml", "Hi, I'm notnow.", "Hello from the Springfield career centre.")
    content = load_content(copy, known_actions=ACTIONS)
    assert "Springfield" in content.text("welcome")


def test_unknown_next_step_names_file_line_and_key(copy: Path) -> None:
    edit(copy / "flows" / "compose.yaml", "    next: ask_stage\n", "    next: ask_stag\n")
    done = check(copy)
    assert done.returncode == 1
    lines = (copy / "flows" / "compose.yaml").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.endswith("next: ask_stag"))
    assert f"flows/compose.yaml:{line}: steps.ask_role.next: no step 'ask_stag'" in done.stderr
    assert "Traceback" not in done.stderr


def test_invalid_yaml_points_at_the_line(copy: Path) -> None:
    edit(copy / "nudges.yaml", "default_cadence: regular", "default_cadence: [regular")
    [error] = errors_of(copy)
    assert error.startswith("nudges.yaml:") and "invalid YAML" in error


def test_template_error_and_unknown_action_and_missing_file_all_reported(copy: Path) -> None:
    edit(copy / "flows" / "followup.yaml", "{{ contact_name }} does two jobs",
         "{{ contact_name } does two jobs")
    edit(copy / "flows" / "followup.yaml", "action: mark_sent", "action: mark_snet")
    (copy / "drafts" / "letter_short.j2").unlink()
    errors = "\n".join(errors_of(copy))
    assert "flows/followup.yaml:" in errors and "steps.choose_channel.say: template error" in errors
    assert "steps.mark_sent.action: unknown action 'mark_snet'" in errors
    assert "drafts/letter_short.j2: draft template is missing" in errors


def test_wrong_type_and_missing_text_are_named(copy: Path) -> None:
    edit(copy / "flows" / "network.yaml", "ask: choice", "ask: maybe")
    edit(copy / "coach.yaml", "  pause_bad:", "  pause_bda:")
    errors = errors_of(copy)
    assert any(e.startswith("flows/network.yaml:") and "steps.plan.ask" in e for e in errors)
    # the coach file parsed, so its missing text is reported once the flow is fixed
    edit(copy / "flows" / "network.yaml", "ask: maybe", "ask: choice")
    assert any("texts.pause_bad: required text is missing" in e for e in errors_of(copy))


def test_texts_a_copy_lacks_come_from_the_shipped_content_and_are_named(copy: Path) -> None:
    """An admin's copy made before a text existed kept loading, then failed at the first
    turn that needed it: ``heard_you`` and the others the loader did not require."""
    coach = copy / "coach.yaml"
    for line in ("  heard_you:", "  number_not_listed:"):
        text = coach.read_text()
        start = text.index(line)
        coach.write_text(text[:start] + text[text.index("\n", start) + 1:])
    edit(coach, '  consent_yes: "Yes, count', '  consent_yes_old: "Yes, count')  # the label
    content = load_content(copy, known_actions=ACTIONS)
    shipped = load_content(DEFAULT_CONTENT_DIR, known_actions=ACTIONS)
    assert content.text("heard_you") == shipped.text("heard_you")
    assert content.text("number_not_listed", number=9, count=3, free_text=False) == (
        "There's no 9 in this list. Type a number from 1 to 3:")
    assert content.label("consent_yes") == shipped.label("consent_yes")
    assert not shipped.notes
    done = check(copy)
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stdout.splitlines() if line.startswith("note:")]
    assert notes == [
        "note: coach.yaml: texts.heard_you: not in this copy, so the shipped one is used",
        "note: coach.yaml: texts.number_not_listed: not in this copy, so the shipped one is "
        "used",
        "note: coach.yaml: labels.consent_yes: not in this copy, so the shipped one is used",
    ]
    assert done.stdout.splitlines()[-1].startswith("content OK")


def test_bad_regular_expression_in_safety(copy: Path) -> None:
    edit(copy / "safety.yaml", "  - '\\bsuicid'", "  - '\\bsuicid('")
    assert any("safety.yaml:" in e and "invalid regular expression" in e
               for e in errors_of(copy))


@pytest.mark.parametrize("pattern", [r"\b(suicid)\1", r"\bsuicid(?=e)", r"(?<!un)alive"])
def test_patterns_that_need_backtracking_are_refused(copy: Path, pattern: str) -> None:
    """Backreferences and lookarounds can only be matched by backtracking, which one
    careless pattern turns into minutes per message: RE2 refuses them at load."""
    edit(copy / "safety.yaml", "  - '\\bsuicid'", f"  - '{pattern}'")
    done = check(copy)
    assert done.returncode == 1, done.stdout
    lines = (copy / "safety.yaml").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if pattern in text)
    assert f"safety.yaml:{line}: patterns.1: invalid regular expression" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_catastrophic_pattern_cannot_freeze_the_bot(copy: Path) -> None:
    """``(a+)+$`` takes Python's backtracking engine 2**n steps on n a's and a "!"; a
    bot process answering that message within a minute shows it never backtracks."""
    edit(copy / "safety.yaml", "  - '\\bsuicid'", "  - '(a+)+$'\n  - '\\bsuicid'")
    assert check(copy).returncode == 0
    script = (
        "import sys\n"
        "from bot.conversation.actions import ACTIONS\n"
        "from bot.content.loader import load_content\n"
        "from bot.conversation.safety import SafetyCheck\n"
        "check = SafetyCheck(load_content(sys.argv[1], known_actions=ACTIONS))\n"
        "print(check.is_crisis('a' * 48 + '!'), check.is_crisis('aaaa'))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(copy)],
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["False", "True"], done.stderr


def test_missing_folder(tmp_path: Path) -> None:
    done = check(tmp_path / "nope")
    assert done.returncode == 1 and "content folder not found" in done.stderr


def test_misspelt_variable_is_caught_before_anyone_sees_it(copy: Path) -> None:
    edit(copy / "nudges.yaml", "Your note to {{ contact_name }}", "Your note to {{ contact_nmae }}")
    [error] = errors_of(copy)
    lines = (copy / "nudges.yaml").read_text().splitlines()
    text_line = next(n for n, t in enumerate(lines, 1) if "contact_nmae" in t) - 1  # "text: |"
    assert error.startswith(f"nudges.yaml:{text_line}: kinds.followup_reminder.text: cannot be")
    assert "'contact_nmae' is undefined" in error

"""``content/tone.yaml``: what the tone check looks for in a person's own draft.

The phrases that sound angry, defensive or pleading, what counts as a thank-you or an
ask, the word limit and every suggestion are content an admin tunes, so a pattern RE2
refuses or a broken template is reported at load with the file, line and key (the way
``feedback.yaml`` is), not as a failed check in front of someone about to send a note.
The compiled patterns and templates travel with the validated file, so checking a
draft never compiles anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from bot.content.patterns import TextPattern
from bot.content.side_files import FileChecker, parse_side_file
from bot.content.templates import Template

__all__ = ["FILE_NAME", "SENTENCE_FAULTS", "Rule", "ToneFile", "load_tone"]

FILE_NAME = "tone.yaml"
#: the faults found in one sentence by their phrases (the others look at the whole draft)
SENTENCE_FAULTS = ("heat", "defensive", "begging")

_SAMPLE = {
    "right": "Acme", "written": "Acne", "words": 260, "limit": 200,
    "findings": [{"fault": "heat", "label": "Sounds angry", "sentence": "This was a waste.",
                  "suggestion": "Leave it out."}],
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleSpec(_Strict):
    """A phrase with its own rewrite (``{match: ..., rewrite: ...}`` in the file)."""

    match: str = Field(min_length=1)
    rewrite: str = Field(min_length=1)


class FaultSpec(_Strict):
    label: str = Field(min_length=1, max_length=60)
    suggestion: str = Field(min_length=1)
    patterns: list[str | RuleSpec] = Field(min_length=1)


class ThanksSpec(_Strict):
    label: str = Field(min_length=1, max_length=60)
    suggestion: str = Field(min_length=1)
    patterns: list[str] = Field(min_length=1)


class AskSpec(_Strict):
    label: str = Field(min_length=1, max_length=60)
    vague_label: str = Field(min_length=1, max_length=60)
    suggestion: str = Field(min_length=1)
    vague_suggestion: str = Field(min_length=1)
    patterns: list[str] = Field(min_length=1)
    vague: list[str] = Field(default_factory=list)


class NoteSpec(_Strict):
    label: str = Field(min_length=1, max_length=60)
    suggestion: str = Field(min_length=1)


class RepliesSpec(_Strict):
    ask_for_draft: str
    clean: str
    found: str
    no_case: str


class Rule:
    """A compiled phrase of a fault and what to suggest when a sentence has it."""

    __slots__ = ("pattern", "suggestion")

    def __init__(self, pattern: TextPattern, suggestion: str) -> None:
        self.pattern = pattern
        self.suggestion = suggestion


class ToneFile(_Strict):
    """The whole file; after :func:`load_tone` it also holds the compiled parts."""

    word_limit: int = Field(ge=20, le=2000)
    faults: dict[str, FaultSpec]
    thanks: ThanksSpec
    ask: AskSpec
    wrong_name: NoteSpec
    too_long: NoteSpec
    replies: RepliesSpec

    _rules: dict[str, list[Rule]] = PrivateAttr(default_factory=dict)
    _patterns: dict[str, list[TextPattern]] = PrivateAttr(default_factory=dict)
    _templates: dict[str, Template] = PrivateAttr(default_factory=dict)

    def rules_of(self, fault: str) -> list[Rule]:
        """The compiled phrases of ``heat``, ``defensive`` or ``begging``."""
        return self._rules.get(fault, [])

    def patterns_of(self, group: str) -> list[TextPattern]:
        """Compiled ``thanks``, ``ask`` or ``vague`` patterns."""
        return self._patterns.get(group, [])

    def render(self, key: str, context: dict[str, Any]) -> str:
        """``wrong_name``, ``too_long`` or ``replies.<name>``, rendered."""
        return self._templates[key].render(context)


def _rules(checker: FileChecker, fault: str, fault_spec: FaultSpec) -> list[Rule]:
    """A fault's patterns, each with its own rewrite or the fault's general suggestion."""
    rules: list[Rule] = []
    for index, item in enumerate(fault_spec.patterns):
        path: tuple[str | int, ...] = ("faults", fault, "patterns", index)
        source, suggestion = item, fault_spec.suggestion
        if isinstance(item, RuleSpec):
            source, path, suggestion = item.match, (*path, "match"), item.rewrite
        assert isinstance(source, str)
        pattern = checker.pattern(source, path)
        if pattern is not None:
            rules.append(Rule(pattern, suggestion))
    return rules


def load_tone(directory: Path) -> tuple[ToneFile | None, list[str]]:
    """Read and check ``directory/tone.yaml``.

    Returns the file with its patterns and templates compiled, or ``None`` and every
    error found, each as ``"tone.yaml:LINE: faults.heat.patterns.0: message"``.
    """
    spec, checker = parse_side_file(directory, FILE_NAME, ToneFile)
    if spec is None:
        return None, checker.errors
    for fault in SENTENCE_FAULTS:
        if fault not in spec.faults:
            checker.fail(("faults",), f"the fault {fault!r} is required")
    for fault in spec.faults:
        if fault not in SENTENCE_FAULTS:
            checker.fail(("faults", fault), f"unknown fault; one of {', '.join(SENTENCE_FAULTS)}")
    for fault, fault_spec in spec.faults.items():
        spec._rules[fault] = _rules(checker, fault, fault_spec)
    spec._patterns["thanks"] = checker.patterns(spec.thanks.patterns, ("thanks", "patterns"))
    spec._patterns["ask"] = checker.patterns(spec.ask.patterns, ("ask", "patterns"))
    spec._patterns["vague"] = checker.patterns(spec.ask.vague, ("ask", "vague"))
    for part in ("wrong_name", "too_long"):
        _template(checker, spec, part, getattr(spec, part).suggestion, (part, "suggestion"))
    for name in RepliesSpec.model_fields:
        _template(checker, spec, f"replies.{name}", getattr(spec.replies, name),
                  ("replies", name))
    return (None, checker.errors) if checker.errors else (spec, [])


def _template(checker: FileChecker, spec: ToneFile, key: str, source: str,
              path: tuple[str | int, ...]) -> None:
    template = checker.template(source, path, _SAMPLE)
    if template is not None:
        spec._templates[key] = template

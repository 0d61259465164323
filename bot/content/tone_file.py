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

import yaml
from jinja2 import TemplateSyntaxError
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from bot.content.patterns import PatternError, TextPattern, compile_pattern
from bot.content.templates import Template, compile_template
from bot.content.yaml_lines import LinedYaml, load_yaml_with_lines

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


class _Checker:
    """Collects every problem in the file at once, each naming the file, line and key."""

    def __init__(self, doc: LinedYaml | None) -> None:
        self.doc = doc
        self.errors: list[str] = []

    def fail(self, path: tuple[str | int, ...], message: str) -> None:
        line = self.doc.line_of(path) if self.doc else None
        where = f"{FILE_NAME}:{line}" if line else FILE_NAME
        key = ".".join(map(str, path))
        self.errors.append(f"{where}: {key}: {message}" if key else f"{where}: {message}")

    def pattern(self, source: str, path: tuple[str | int, ...]) -> TextPattern | None:
        try:
            return compile_pattern(source)
        except PatternError as exc:
            self.fail(path, f"invalid regular expression (RE2 syntax, no backtracking): {exc}")
            return None

    def patterns(self, spec: ToneFile, group: str, sources: list[str],
                 path: tuple[str | int, ...]) -> None:
        compiled = [self.pattern(source, (*path, index)) for index, source in enumerate(sources)]
        spec._patterns[group] = [p for p in compiled if p is not None]

    def rules(self, spec: ToneFile, fault: str, fault_spec: FaultSpec) -> None:
        rules: list[Rule] = []
        for index, item in enumerate(fault_spec.patterns):
            path: tuple[str | int, ...] = ("faults", fault, "patterns", index)
            source, suggestion = item, fault_spec.suggestion
            if isinstance(item, RuleSpec):
                source, path, suggestion = item.match, (*path, "match"), item.rewrite
            assert isinstance(source, str)
            pattern = self.pattern(source, path)
            if pattern is not None:
                rules.append(Rule(pattern, suggestion))
        spec._rules[fault] = rules

    def template(self, spec: ToneFile, key: str, source: str,
                 path: tuple[str | int, ...]) -> None:
        try:
            template = compile_template(source)
            template.render(_SAMPLE)
        except TemplateSyntaxError as exc:
            self.fail(path, f"template error: {exc.message}")
            return
        except Exception as exc:  # any render failure is a content error
            self.fail(path, f"cannot be rendered: {exc}")
            return
        spec._templates[key] = template


def load_tone(directory: Path) -> tuple[ToneFile | None, list[str]]:
    """Read and check ``directory/tone.yaml``.

    Returns the file with its patterns and templates compiled, or ``None`` and every
    error found, each as ``"tone.yaml:LINE: faults.heat.patterns.0: message"``.
    """
    spec, checker = _parse(directory / FILE_NAME)
    if spec is None:
        return None, checker.errors
    for fault in SENTENCE_FAULTS:
        if fault not in spec.faults:
            checker.fail(("faults",), f"the fault {fault!r} is required")
    for fault in spec.faults:
        if fault not in SENTENCE_FAULTS:
            checker.fail(("faults", fault), f"unknown fault; one of {', '.join(SENTENCE_FAULTS)}")
    for fault, fault_spec in spec.faults.items():
        checker.rules(spec, fault, fault_spec)
    checker.patterns(spec, "thanks", spec.thanks.patterns, ("thanks", "patterns"))
    checker.patterns(spec, "ask", spec.ask.patterns, ("ask", "patterns"))
    checker.patterns(spec, "vague", spec.ask.vague, ("ask", "vague"))
    for part in ("wrong_name", "too_long"):
        checker.template(spec, part, getattr(spec, part).suggestion, (part, "suggestion"))
    for name in RepliesSpec.model_fields:
        checker.template(spec, f"replies.{name}", getattr(spec.replies, name),
                         ("replies", name))
    return (None, checker.errors) if checker.errors else (spec, [])


def _parse(path: Path) -> tuple[ToneFile | None, _Checker]:
    try:
        doc = load_yaml_with_lines(path)
    except FileNotFoundError:
        return None, _failed("file is missing")
    except (OSError, UnicodeDecodeError) as exc:
        return None, _failed(f"cannot be read: {exc}")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        where = f"{FILE_NAME}:{mark.line + 1}" if mark else FILE_NAME
        checker = _Checker(None)
        checker.errors.append(f"{where}: invalid YAML: {problem}")
        return None, checker
    checker = _Checker(doc)
    try:
        return ToneFile.model_validate(doc.data), checker
    except ValidationError as exc:
        for err in exc.errors():
            checker.fail(tuple(err["loc"]), err["msg"])
        return None, checker


def _failed(message: str) -> _Checker:
    checker = _Checker(None)
    checker.fail((), message)
    return checker

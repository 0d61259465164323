"""``content/feedback.yaml``: the kinds of feedback a recruiter gives, checked at load.

The kinds, their patterns, reactions and next actions are content an admin edits, so a
pattern RE2 refuses or a misspelt template variable is reported here, with the file,
line and key, the way every other content error is, rather than as a broken message in
front of a person. The compiled patterns and templates travel with the validated file
so the classifier never compiles anything at run time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from jinja2 import TemplateSyntaxError
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from bot.content.patterns import PatternError, TextPattern, compile_pattern
from bot.content.sample import sample_context
from bot.content.templates import Template, compile_template
from bot.content.yaml_lines import LinedYaml, load_yaml_with_lines

__all__ = ["FALLBACK_KIND", "FILE_NAME", "FeedbackFile", "FeedbackKind", "load_feedback"]

FILE_NAME = "feedback.yaml"
#: the kind given when nothing else matched ("we went with someone stronger")
FALLBACK_KIND = "generic"

_SAMPLE_WINDOW = {"start": "09:00", "end": "17:00", "days": ["mon", "tue", "wed", "thu", "fri"]}

Action = Annotated[str, Field(min_length=1, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeedbackKind(_Strict):
    """One kind of feedback: how to spot it, what to say back, what to do next."""

    label: str = Field(min_length=1, max_length=60)
    patterns: list[str] = Field(default_factory=list)
    #: a clause that only praises does not count as this kind (false for news such as
    #: "apply again", which is not a criticism that praise could cancel)
    praise_cancels: bool = True
    reaction: str
    actions: list[Action] = Field(min_length=2, max_length=3)
    plan: Literal["reapply"] | None = None
    #: what a draft says the decision came down to, when the rejection's reason is of
    #: this kind ("You mentioned the decision came down to experience."); none: the
    #: draft asks its general question instead of quoting what the person typed
    topic: str | None = Field(default=None, max_length=40)


class FeedbackFile(_Strict):
    """The whole file; after :func:`load_feedback` it also holds the compiled parts."""

    unanswered: str
    praise: list[str] = Field(default_factory=list)
    criticism: list[str] = Field(default_factory=list)
    kinds: dict[str, FeedbackKind]

    _patterns: dict[str, list[TextPattern]] = PrivateAttr(default_factory=dict)
    _templates: dict[str, Template] = PrivateAttr(default_factory=dict)

    def patterns_of(self, group: str) -> list[TextPattern]:
        """Compiled patterns of a kind, or of ``praise``/``criticism``."""
        return self._patterns.get(group, [])

    @property
    def templates(self) -> dict[str, Template]:
        """``feedback:unanswered`` and ``feedback:<kind>:reaction``, ready to render
        (and to merge into :class:`~bot.content.loader.Content` templates)."""
        return dict(self._templates)

    def render(self, key: str, context: dict[str, Any]) -> str:
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

    def patterns(self, spec: FeedbackFile, group: str, sources: list[str],
                 path: tuple[str | int, ...]) -> None:
        compiled: list[TextPattern] = []
        for index, source in enumerate(sources):
            try:
                compiled.append(compile_pattern(source))
            except PatternError as exc:
                self.fail((*path, index),
                          f"invalid regular expression (RE2 syntax, no backtracking): {exc}")
        spec._patterns[group] = compiled

    def template(self, spec: FeedbackFile, key: str, source: str,
                 path: tuple[str | int, ...], context: dict[str, Any]) -> None:
        try:
            template = compile_template(source)
        except TemplateSyntaxError as exc:
            self.fail(path, f"template error: {exc.message}")
            return
        try:
            template.render(context)
        except Exception as exc:  # any render failure is a content error
            self.fail(path, f"cannot be rendered: {exc}")
            return
        spec._templates[key] = template


def load_feedback(directory: Path) -> tuple[FeedbackFile | None, list[str]]:
    """Read and check ``directory/feedback.yaml``.

    Returns the file with its patterns and templates compiled, or ``None`` and every
    error found, each as ``"feedback.yaml:LINE: kinds.x.patterns.0: message"``.
    """
    spec, checker = _parse(directory / FILE_NAME)
    if spec is None:
        return None, checker.errors
    if FALLBACK_KIND not in spec.kinds:
        checker.fail(("kinds",), f"the fallback kind {FALLBACK_KIND!r} is required")
    context = sample_context(window=_SAMPLE_WINDOW, upset_moods=[])
    for group in ("praise", "criticism"):
        checker.patterns(spec, group, getattr(spec, group), (group,))
    checker.template(spec, "feedback:unanswered", spec.unanswered, ("unanswered",), context)
    for name, kind in spec.kinds.items():
        checker.patterns(spec, name, kind.patterns, ("kinds", name, "patterns"))
        checker.template(spec, f"feedback:{name}:reaction", kind.reaction,
                         ("kinds", name, "reaction"), context)
    return (None, checker.errors) if checker.errors else (spec, [])


def _parse(path: Path) -> tuple[FeedbackFile | None, _Checker]:
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
        return FeedbackFile.model_validate(doc.data), checker
    except ValidationError as exc:
        for err in exc.errors():
            checker.fail(tuple(err["loc"]), err["msg"])
        return None, checker


def _failed(message: str) -> _Checker:
    checker = _Checker(None)
    checker.fail((), message)
    return checker

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

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from bot.content.patterns import PatternError, PatternSet, TextPattern
from bot.content.sample import sample_context
from bot.content.side_files import parse_side_file
from bot.content.templates import Template

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
    _set: PatternSet | None = PrivateAttr(default=None)
    _templates: dict[str, Template] = PrivateAttr(default_factory=dict)

    def patterns_of(self, group: str) -> list[TextPattern]:
        """Compiled patterns of a kind, or of ``praise``/``criticism``."""
        return self._patterns.get(group, [])

    def groups_in(self, text: str) -> frozenset[str]:
        """The kinds (and ``praise``/``criticism``) with a pattern that finds something
        in ``text``, all found in one pass (:class:`~bot.content.patterns.PatternSet`)."""
        return self._set.groups_in(text) if self._set is not None else frozenset()

    @property
    def templates(self) -> dict[str, Template]:
        """``feedback:unanswered`` and ``feedback:<kind>:reaction``, ready to render
        (and to merge into :class:`~bot.content.loader.Content` templates)."""
        return dict(self._templates)

    def render(self, key: str, context: dict[str, Any]) -> str:
        return self._templates[key].render(context)


def load_feedback(directory: Path) -> tuple[FeedbackFile | None, list[str]]:
    """Read and check ``directory/feedback.yaml``.

    Returns the file with its patterns and templates compiled, or ``None`` and every
    error found, each as ``"feedback.yaml:LINE: kinds.x.patterns.0: message"``.
    """
    spec, checker = parse_side_file(directory, FILE_NAME, FeedbackFile)
    if spec is None:
        return None, checker.errors
    if FALLBACK_KIND not in spec.kinds:
        checker.fail(("kinds",), f"the fallback kind {FALLBACK_KIND!r} is required")
    context = sample_context(window=_SAMPLE_WINDOW, upset_moods=[])
    for group in ("praise", "criticism"):
        spec._patterns[group] = checker.patterns(getattr(spec, group), (group,))
    templates: list[tuple[str, str, tuple[str | int, ...]]] = [
        ("feedback:unanswered", spec.unanswered, ("unanswered",))]
    for name, kind in spec.kinds.items():
        spec._patterns[name] = checker.patterns(kind.patterns, ("kinds", name, "patterns"))
        templates.append((f"feedback:{name}:reaction", kind.reaction,
                          ("kinds", name, "reaction")))
    for key, source, path in templates:
        template = checker.template(source, path, context)
        if template is not None:
            spec._templates[key] = template
    if checker.errors:
        return None, checker.errors
    try:
        spec._set = PatternSet({"praise": spec.praise, "criticism": spec.criticism,
                                **{name: kind.patterns for name, kind in spec.kinds.items()}})
    except PatternError as exc:  # each compiles alone; together they outgrew RE2's memory
        checker.fail(("kinds",), f"the patterns together are too large for RE2: {exc}")
        return None, checker.errors
    return spec, []

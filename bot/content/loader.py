"""Load the content folder, validate every file, and compile every template.

An admin edits these files by hand, so every error names the file, the line and the key
("flows/compose.yaml:42: steps.ask_role.next: no step 'ask_rol'"), and all errors are
reported at once rather than one per restart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, get_args

import yaml
from jinja2 import TemplateSyntaxError
from pydantic import BaseModel, ValidationError

from bot.content.patterns import PatternError, TextPattern, compile_pattern
from bot.content.sample import sample_context
from bot.content.schema import (
    CoachFile,
    FlowFile,
    NudgeAnswer,
    NudgesFile,
    SafetyFile,
    StepSpec,
)
from bot.content.templates import Template, compile_condition, compile_template
from bot.content.yaml_lines import LinedYaml, load_yaml_with_lines
from bot.conversation.commands import COMMANDS

__all__ = ["Content", "ContentError", "ContentErrors", "load_content"]

REQUIRED_FLOWS = ("compose", "followup", "network", "settings")
DRAFT_CHANNELS = ("email", "letter", "call")
DRAFT_VARIANTS = ("", "_short", "_formal")
REQUIRED_TEXTS = (
    "welcome", "welcome_back", "home", "new_case", "help", "stopped", "nothing_to_resume",
    "restarted", "unknown_command", "too_long", "field_too_long", "empty", "need_choice",
    "stale_choice", "bad_date", "future_date", "bad_timezone", "bad_window", "cannot_skip",
    "cannot_go_back", "corrupt_record", "internal_error", "storage_error", "paused",
    "pause_bad", "resumed",
    "forget_confirm", "forget_done", "forget_kept", "export_ready", "pick_case", "no_cases",
)
REQUIRED_LABELS = ("forget_yes", "forget_no", "menu_new", "menu_status", "menu_feedback")
REQUIRED_NUDGE_KINDS = ("cooldown", "followup_reminder", "heard_back")
NudgeAnswerNames = get_args(NudgeAnswer)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ContentError:
    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ContentErrors(Exception):
    """Everything wrong with a content folder, one :class:`ContentError` per problem."""

    def __init__(self, errors: list[ContentError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class Content:
    """Validated content with compiled templates; read-only once loaded."""

    directory: Path
    coach: CoachFile
    flows: dict[str, FlowFile]
    nudges: NudgesFile
    safety: SafetyFile
    templates: dict[str, Template] = field(default_factory=dict)
    origins: dict[str, tuple[str, int | None, str]] = field(default_factory=dict)
    conditions: dict[str, Callable[..., Any]] = field(default_factory=dict)
    safety_patterns: list[TextPattern] = field(default_factory=list)
    ordinary_patterns: list[TextPattern] = field(default_factory=list)

    def step(self, flow: str, step: str) -> StepSpec:
        return self.flows[flow].steps[step]

    def render(self, key: str, context: dict[str, Any]) -> str:
        return self.templates[key].render(context)

    def text(self, text_name: str, /, **context: Any) -> str:
        return self.render(f"text:{text_name}", context)

    def label(self, name: str) -> str:
        return self.coach.labels[name]


class _Loader:
    def __init__(self, directory: Path, known_actions: Iterable[str]) -> None:
        self.directory = directory
        self.known_actions = set(known_actions)
        self.errors: list[ContentError] = []

    def fail(self, file: str, line: int | None, key: str, message: str) -> None:
        self.errors.append(ContentError(file, line, key, message))

    def parse(self, relative: str, model: type[M]) -> tuple[M | None, LinedYaml | None]:
        path = self.directory / relative
        try:
            doc = load_yaml_with_lines(path)
        except FileNotFoundError:
            self.fail(relative, None, "", "file is missing")
            return None, None
        except (OSError, UnicodeDecodeError) as exc:
            self.fail(relative, None, "", f"cannot be read: {exc}")
            return None, None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            self.fail(relative, mark.line + 1 if mark else None, "", f"invalid YAML: {problem}")
            return None, None
        try:
            return model.model_validate(doc.data), doc
        except ValidationError as exc:
            for err in exc.errors():
                loc = tuple(err["loc"])
                key = ".".join(str(p) for p in loc)
                self.fail(relative, doc.line_of(loc), key, err["msg"])
            return None, doc

    def template(
        self, content: Content, key: str, source: str, file: str, doc: LinedYaml | None,
        path: tuple[str | int, ...], *, prose: bool = True,
    ) -> None:
        base = doc.line_of(path) if doc else None
        dotted = ".".join(map(str, path))
        try:
            content.templates[key] = compile_template(source, prose=prose)
            content.origins[key] = (file, base, dotted)
        except TemplateSyntaxError as exc:
            line = base + (exc.lineno or 1) if base else exc.lineno
            self.fail(file, line, dotted, f"template error: {exc.message}")


def load_content(directory: Path | str, *, known_actions: Iterable[str] = ()) -> Content:
    """Load and check ``directory``. :raises ContentErrors: listing every problem found."""
    directory = Path(directory)
    loader = _Loader(directory, known_actions)
    if not directory.is_dir():
        raise ContentErrors([ContentError(str(directory), None, "", "content folder not found")])

    coach, coach_doc = loader.parse("coach.yaml", CoachFile)
    nudges, nudges_doc = loader.parse("nudges.yaml", NudgesFile)
    safety, safety_doc = loader.parse("safety.yaml", SafetyFile)
    flows: dict[str, tuple[FlowFile, LinedYaml | None]] = {}
    for name in REQUIRED_FLOWS:
        flow, flow_doc = loader.parse(f"flows/{name}.yaml", FlowFile)
        if flow is not None:
            flows[name] = (flow, flow_doc)
    if loader.errors or coach is None or nudges is None or safety is None:
        raise ContentErrors(loader.errors)

    content = Content(
        directory=directory, coach=coach, nudges=nudges, safety=safety,
        flows={name: flow for name, (flow, _) in flows.items()},
    )
    _check_coach(loader, content, coach_doc)
    for name, (flow, doc) in flows.items():
        _check_flow(loader, content, name, flow, doc)
    _check_drafts(loader, content)
    _check_nudges(loader, content, nudges_doc)
    _check_safety(loader, content, safety_doc)
    if not loader.errors:
        _check_renders(loader, content)
    if loader.errors:
        raise ContentErrors(loader.errors)
    return content


def _check_renders(loader: _Loader, content: Content) -> None:
    """Render every template once with sample data, so a misspelt variable is reported
    now, with its file, rather than as a broken message in front of a person."""
    context = sample_context(window=content.nudges.default_window.model_dump(),
                             upset_moods=content.coach.upset_moods)
    for key, template in content.templates.items():
        try:
            template.render(context)
        except Exception as exc:  # any render failure is a content error
            file, line, dotted = content.origins.get(key, (key, None, ""))
            loader.fail(file, line, dotted, f"cannot be rendered: {exc}")


def _check_coach(loader: _Loader, content: Content, doc: LinedYaml | None) -> None:
    for name in REQUIRED_TEXTS:
        if name not in content.coach.texts:
            loader.fail("coach.yaml", doc.line_of(("texts",)) if doc else None,
                        f"texts.{name}", "required text is missing")
    for spec in COMMANDS:
        if spec.name not in content.coach.commands:
            loader.fail("coach.yaml", doc.line_of(("commands",)) if doc else None,
                        f"commands.{spec.name}", "every command needs a one-line summary")
    for name in REQUIRED_LABELS:
        if name not in content.coach.labels:
            loader.fail("coach.yaml", doc.line_of(("labels",)) if doc else None,
                        f"labels.{name}", "required label is missing")
    for name, source in content.coach.texts.items():
        loader.template(content, f"text:{name}", source, "coach.yaml", doc, ("texts", name))
    loader.template(content, "status", content.coach.status, "coach.yaml", doc, ("status",))


def _check_flow(
    loader: _Loader, content: Content, name: str, flow: FlowFile, doc: LinedYaml | None
) -> None:
    file = f"flows/{name}.yaml"

    def line(*path: str | int) -> int | None:
        return doc.line_of(path) if doc else None

    if flow.flow != name:
        loader.fail(file, line("flow"), "flow", f"must be {name!r} (the file's name)")
    if flow.start not in flow.steps:
        loader.fail(file, line("start"), "start", f"no step {flow.start!r}")

    def check_target(target: str | None, *path: str | int) -> None:
        if target is None or target == "end":
            return
        other, _, step = target.rpartition(".")
        steps = content.flows[other].steps if other in content.flows else None
        if other and steps is None:
            loader.fail(file, line(*path), ".".join(map(str, path)), f"no flow {other!r}")
        elif step not in (steps if steps is not None else flow.steps):
            loader.fail(file, line(*path), ".".join(map(str, path)), f"no step {target!r}")

    for step_id, step in flow.steps.items():
        at = ("steps", step_id)
        key = ".".join(at)
        if step.say is not None:
            loader.template(content, f"{name}.{step_id}", step.say, file, doc, (*at, "say"))
        if step.skip_if is not None:
            try:
                content.conditions[f"{name}.{step_id}"] = compile_condition(step.skip_if)
            except TemplateSyntaxError as exc:
                loader.fail(file, line(*at, "skip_if"), f"{key}.skip_if", exc.message or "")
        if step.action is not None and step.action not in loader.known_actions:
            loader.fail(file, line(*at, "action"), f"{key}.action",
                        f"unknown action {step.action!r}")
        if step.ask == "choice" and not step.options:
            loader.fail(file, line(*at), key, "a choice step needs options")
        if step.ask is None and step.next is None:
            loader.fail(file, line(*at), key, "a step that asks nothing needs a next step")
        if step.ask == "choice" and step.next is None and any(o.next is None for o in step.options):
            loader.fail(file, line(*at), key, "every option needs a next step (or set next)")
        if step.free_text and step.ask == "choice" and not (step.free_text_next or step.next):
            loader.fail(file, line(*at), key, "free text needs free_text_next or next")
        if step.ask == "text" and not (step.save or step.append):
            loader.fail(file, line(*at), key, "a text step needs save or append")
        check_target(step.next, *at, "next")
        check_target(step.free_text_next, *at, "free_text_next")
        for index, option in enumerate(step.options):
            check_target(option.next, *at, "options", index, "next")
        values = [o.value for o in step.options]
        if len(values) != len(set(values)):
            loader.fail(file, line(*at, "options"), f"{key}.options", "option values repeat")


def _check_drafts(loader: _Loader, content: Content) -> None:
    for channel in DRAFT_CHANNELS:
        for variant in DRAFT_VARIANTS:
            relative = f"drafts/{channel}{variant}.j2"
            try:
                source = (content.directory / relative).read_text(encoding="utf-8")
            except FileNotFoundError:
                loader.fail(relative, None, "", "draft template is missing")
                continue
            except (OSError, UnicodeDecodeError) as exc:
                loader.fail(relative, None, "", f"cannot be read: {exc}")
                continue
            try:
                key = f"draft:{channel}{variant}"
                content.templates[key] = compile_template(source, prose=False)
                content.origins[key] = (relative, None, "")
            except TemplateSyntaxError as exc:
                loader.fail(relative, exc.lineno, "", f"template error: {exc.message}")


def _check_nudges(loader: _Loader, content: Content, doc: LinedYaml | None) -> None:
    spec = content.nudges
    for kind in REQUIRED_NUDGE_KINDS:
        if kind not in spec.kinds:
            loader.fail("nudges.yaml", doc.line_of(("kinds",)) if doc else None,
                        f"kinds.{kind}", "required nudge kind is missing")
    for kind, kind_spec in spec.kinds.items():
        for part in ("title", "text", "draft"):
            source = getattr(kind_spec, part)
            if source is not None:
                loader.template(content, f"nudge:{kind}:{part}", source, "nudges.yaml", doc,
                                ("kinds", kind, part), prose=part != "draft")
    for name, source in spec.answers.items():
        loader.template(content, f"nudge_answer:{name}", source, "nudges.yaml", doc,
                        ("answers", name))
    for answer in sorted(set(NudgeAnswerNames) - set(spec.answers)):
        loader.fail("nudges.yaml", doc.line_of(("answers",)) if doc else None,
                    f"answers.{answer}", "required answer is missing")
    used = set(spec.standard_buttons) | {b for k in spec.kinds.values() for b in k.extra_buttons}
    for button in sorted(used - set(spec.buttons)):
        loader.fail("nudges.yaml", doc.line_of(("buttons",)) if doc else None,
                    f"buttons.{button}", "button is used but has no label")
    for cadence, cadence_spec in spec.cadences.items():
        uses: list[tuple[tuple[str | int, ...], str]] = [
            (("cadences", cadence, "schedule", index, "kind"), item.kind)
            for index, item in enumerate(cadence_spec.schedule)
        ]
        if cadence_spec.repeat is not None:
            uses.append((("cadences", cadence, "repeat", "kind"), cadence_spec.repeat.kind))
        for path, kind in uses:
            if kind not in spec.kinds:
                loader.fail("nudges.yaml", doc.line_of(path) if doc else None,
                            ".".join(map(str, path)), f"unknown nudge kind {kind!r}")
    if spec.default_cadence not in spec.cadences:
        loader.fail("nudges.yaml", doc.line_of(("default_cadence",)) if doc else None,
                    "default_cadence", f"no cadence {spec.default_cadence!r}")
    _check_zone(loader, spec.default_timezone, doc)


def _check_zone(loader: _Loader, zone: str, doc: LinedYaml | None) -> None:
    from bot.conversation.parsers import parse_timezone

    if parse_timezone(zone) is None:
        loader.fail("nudges.yaml", doc.line_of(("default_timezone",)) if doc else None,
                    "default_timezone", f"unknown time zone {zone!r}")


def _check_safety(loader: _Loader, content: Content, doc: LinedYaml | None) -> None:
    for group, target in (("patterns", content.safety_patterns),
                          ("ordinary", content.ordinary_patterns)):
        for index, pattern in enumerate(getattr(content.safety, group)):
            try:
                target.append(compile_pattern(pattern))
            except PatternError as exc:
                loader.fail("safety.yaml", doc.line_of((group, index)) if doc else None,
                            f"{group}.{index}",
                            f"invalid regular expression (RE2 syntax, no backtracking): {exc}")
    for part in ("reply", "still_here", "confirm_resume", "resumed"):
        loader.template(content, f"safety:{part}", getattr(content.safety, part),
                        "safety.yaml", doc, (part,))
    if "default" not in content.safety.regions:
        loader.fail("safety.yaml", doc.line_of(("regions",)) if doc else None,
                    "regions.default", "a default region is required")

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
from zoneinfo import available_timezones

import pytz
import yaml
from jinja2 import TemplateSyntaxError
from pydantic import BaseModel, ValidationError

from bot.content.feedback_file import FeedbackFile, load_feedback
from bot.content.patterns import PatternError, TextPattern, compile_any, compile_pattern
from bot.content.sample import sample_cases, sample_context
from bot.content.schema import (
    DRAFT_CHANNELS,
    CoachFile,
    FlowFile,
    NudgeAnswer,
    NudgesFile,
    SafetyFile,
    StepSpec,
    draft_variants,
)
from bot.content.seams import find_seams
from bot.content.templates import Template, compile_condition, compile_template
from bot.content.tone_file import ToneFile, load_tone
from bot.content.yaml_lines import LinedYaml, load_yaml_with_lines
from bot.conversation.commands import COMMANDS
from bot.settings import DEFAULT_CONTENT_DIR

__all__ = ["Content", "ContentError", "ContentErrors", "load_content"]

REQUIRED_FLOWS = ("intro", "compose", "followup", "network", "settings", "edit")
REQUIRED_TEXTS = (
    "welcome", "welcome_back", "home", "new_case", "help", "stopped", "nothing_to_resume",
    "restarted", "unknown_command", "too_long", "field_too_long", "empty", "need_choice",
    "stale_choice", "bad_date", "future_date", "bad_timezone", "bad_window", "cannot_skip",
    "cannot_go_back", "corrupt_record", "internal_error", "storage_error", "paused",
    "pause_bad", "resumed",
    "forget_confirm", "forget_done", "forget_kept", "export_ready", "pick_case", "no_cases",
)
REQUIRED_LABELS = ("forget_yes", "forget_no", "menu_new", "menu_status", "menu_feedback")
#: the kinds the code plans by name (the cadences name theirs in content)
REQUIRED_NUDGE_KINDS = ("cooldown", "followup_reminder", "heard_back", "chase", "reapply")
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
    #: the kinds of feedback recruiters give (``feedback.yaml``), with their reactions
    feedback: FeedbackFile | None = None
    #: what the tone check looks for in a person's own draft (``tone.yaml``)
    tone: ToneFile | None = None
    templates: dict[str, Template] = field(default_factory=dict)
    #: what ``notnow content check`` should tell the admin without refusing the folder
    notes: list[str] = field(default_factory=list)
    origins: dict[str, tuple[str, int | None, str]] = field(default_factory=dict)
    conditions: dict[str, Callable[..., Any]] = field(default_factory=dict)
    safety_patterns: list[TextPattern] = field(default_factory=list)
    ordinary_patterns: list[TextPattern] = field(default_factory=list)
    #: each list as one alternation: every message is screened, and one RE2 pass over
    #: the text costs a fraction of one call per pattern (the screen was 60% of a turn)
    safety_any: TextPattern | None = None
    ordinary_any: TextPattern | None = None

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
    _check_feedback(loader, content)
    _check_tone(loader, content)
    _check_coach(loader, content, coach_doc)
    for name, (flow, doc) in flows.items():
        _check_flow(loader, content, name, flow, doc)
    _check_drafts(loader, content)
    _check_nudges(loader, content, nudges_doc)
    _check_safety(loader, content, safety_doc)
    if not loader.errors:
        _check_renders(loader, content)
    if not loader.errors:
        _check_seams(loader, content)
    if loader.errors:
        raise ContentErrors(loader.errors)
    return content


def _join_errors(loader: _Loader, errors: list[str]) -> None:
    """A side file's errors (``"tone.yaml:12: key: message"``) join the others."""
    for error in errors:
        where, _, rest = error.partition(": ")
        file, _, line = where.partition(":")
        key, _, message = rest.partition(": ")
        loader.fail(file, int(line) if line.isdigit() else None, key if message else "",
                    message or key)


def _check_feedback(loader: _Loader, content: Content) -> None:
    """``feedback.yaml`` is checked by its own module; its errors join the others."""
    feedback, errors = load_feedback(content.directory)
    _join_errors(loader, errors)
    if feedback is not None:
        content.feedback = feedback
        content.templates.update(feedback.templates)


def _check_tone(loader: _Loader, content: Content) -> None:
    """``tone.yaml`` is checked by its own module; its errors join the others."""
    tone, errors = load_tone(content.directory)
    _join_errors(loader, errors)
    content.tone = tone


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


def _check_seams(loader: _Loader, content: Content) -> None:
    """Render every draft, every check-in and every flow step about a contact or a case
    against the whole sample matrix, and report each seam ("Dear there,", "Ltd..",
    glued lines) with the sample that shows it: a draft must be sendable as is for any
    person, not just the one in the single sample."""
    samples = sample_cases(window=content.nudges.default_window.model_dump(),
                           upset_moods=content.coach.upset_moods)
    for key in sorted(_seam_checked_keys(content)):
        reported: set[str] = set()
        for sample in samples:
            try:
                text = content.templates[key].render(sample.context)
            except Exception:  # a failing render is _check_renders' report
                continue
            for seam in find_seams(text, values=sample.values, name_known=sample.name_known,
                                   contact_named=sample.contact_named):
                if seam.what in reported:
                    continue  # one line per kind of seam and template is enough
                reported.add(seam.what)
                file, line, dotted = content.origins.get(key, (key, None, ""))
                loader.fail(file, line, dotted,
                            f"sample {sample.name!r}: {seam} (a seam a person would have to "
                            "fix before sending)")


def _seam_checked_keys(content: Content) -> list[str]:
    """Drafts, check-in texts and drafts, and flow steps that mention a contact or case."""
    keys = [key for key in content.templates
            if key.startswith("draft:")
            or (key.startswith("nudge:") and not key.endswith(":title"))]
    for name, flow in content.flows.items():
        for step_id, step in flow.steps.items():
            if step.say and ("contact" in step.say or "case" in step.say):
                keys.append(f"{name}.{step_id}")
    return [key for key in keys if key in content.templates]


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
    shipped = _fill_from_shipped(content)
    for name, source in content.coach.texts.items():
        if name in shipped:
            loader.template(content, f"text:{name}", source, SHIPPED_FILE, None, ("texts", name))
        else:
            loader.template(content, f"text:{name}", source, "coach.yaml", doc, ("texts", name))
    loader.template(content, "status", content.coach.status, "coach.yaml", doc, ("status",))


SHIPPED_FILE = "coach.yaml (as shipped)"


def _fill_from_shipped(content: Content) -> set[str]:
    """Texts and labels an admin's copy lacks (it predates them, or left them out) are
    taken from the shipped ``coach.yaml`` and named in ``content.notes``: the copy keeps
    working after an upgrade, rather than failing at the first turn that needs one.
    Returns the names of the texts taken."""
    taken: set[str] = set()
    if content.directory.resolve() == DEFAULT_CONTENT_DIR.resolve():
        return taken
    try:
        shipped = yaml.safe_load((DEFAULT_CONTENT_DIR / "coach.yaml").read_text("utf-8"))
    except (OSError, yaml.YAMLError):  # an install without its content: nothing to add
        return taken
    for section, mine in (("texts", content.coach.texts), ("labels", content.coach.labels)):
        for name, source in (shipped.get(section) or {}).items():
            if name not in mine and isinstance(source, str):
                mine[name] = source
                if section == "texts":
                    taken.add(name)
                content.notes.append(f"coach.yaml: {section}.{name}: not in this copy, "
                                     "so the shipped one is used")
    return taken


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
        if step.ask == "text" and step.parse == "tone" and (step.save or step.append):
            loader.fail(file, line(*at), key, "a tone check's text is never saved")
        elif step.ask == "text" and step.parse != "tone" and not (step.save or step.append):
            loader.fail(file, line(*at), key, "a text step needs save or append")
        check_target(step.next, *at, "next")
        check_target(step.edit_next, *at, "edit_next")
        check_target(step.skip_to, *at, "skip_to")
        check_target(step.free_text_next, *at, "free_text_next")
        for index, option in enumerate(step.options):
            check_target(option.next, *at, "options", index, "next")
        values = [o.value for o in step.options]
        if len(values) != len(set(values)):
            loader.fail(file, line(*at, "options"), f"{key}.options", "option values repeat")


def _check_drafts(loader: _Loader, content: Content) -> None:
    for channel in DRAFT_CHANNELS:
        for variant in draft_variants(channel):
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
    sample = sample_context(window=spec.default_window.model_dump(),
                            upset_moods=content.coach.upset_moods)
    for kind, kind_spec in spec.kinds.items():
        for part in ("title", "text", "draft"):
            source = getattr(kind_spec, part)
            if source is not None:
                loader.template(content, f"nudge:{kind}:{part}", source, "nudges.yaml", doc,
                                ("kinds", kind, part), prose=part != "draft")
        # A draft with a length limit (a LinkedIn note) is measured as the sample case
        # renders it; one that cannot be rendered is reported by _check_renders.
        limit, draft = kind_spec.max_length, content.templates.get(f"nudge:{kind}:draft")
        if limit is not None and kind_spec.draft is None:
            loader.fail("nudges.yaml", doc.line_of(("kinds", kind, "max_length")) if doc else None,
                        f"kinds.{kind}.max_length", "a length limit needs a draft")
        elif limit is not None and draft is not None:
            try:
                length = len(draft.render(sample))
            except Exception:  # any render failure is reported by _check_renders
                length = 0
            if length > limit:
                loader.fail("nudges.yaml", doc.line_of(("kinds", kind, "draft")) if doc else None,
                            f"kinds.{kind}.draft",
                            f"{length} characters with the sample case; at most {limit}")
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
    """A tz database name exactly (``Europe/Berlin``): the value is used as it is, so a
    city a person could type ("Berlin") is not enough here."""
    if zone != "UTC" and zone not in available_timezones():
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
    if len(content.safety_patterns) == len(content.safety.patterns):
        content.safety_any = compile_any(content.safety.patterns)
    if len(content.ordinary_patterns) == len(content.safety.ordinary):
        content.ordinary_any = compile_any(content.safety.ordinary)
    for part in ("reply", "still_here", "confirm_resume", "resumed"):
        loader.template(content, f"safety:{part}", getattr(content.safety, part),
                        "safety.yaml", doc, (part,))
    if "default" not in content.safety.regions:
        loader.fail("safety.yaml", doc.line_of(("regions",)) if doc else None,
                    "regions.default", "a default region is required")
    for label in ("want_resume", "safe_resume", "confirm_safe", "not_yet"):
        if label not in content.safety.labels:
            loader.fail("safety.yaml", doc.line_of(("labels",)) if doc else None,
                        f"labels.{label}", "required label is missing")
    owner: dict[str, str] = {}
    for name, region in content.safety.regions.items():
        for index, country in enumerate(region.countries):
            where = doc.line_of(("regions", name, "countries", index)) if doc else None
            if country not in pytz.country_names:
                loader.fail("safety.yaml", where, f"regions.{name}.countries.{index}",
                            f"{country} is not an ISO 3166 country code")
            elif country in owner:
                loader.fail("safety.yaml", where, f"regions.{name}.countries.{index}",
                            f"{country} is already in regions.{owner[country]}")
            owner.setdefault(country, name)

"""The shape of every content file, as pydantic models.

Validation happens once, at start (and in ``notnow content check``); the engine then
works with these typed objects and never meets a missing key at run time.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CHANNEL_VARIANTS",
    "DRAFT_CHANNELS",
    "DRAFT_VARIANTS",
    "CadenceSpec",
    "CoachFile",
    "FlowFile",
    "NudgeKindSpec",
    "NudgesFile",
    "OptionSpec",
    "RegionSpec",
    "SafetyFile",
    "StepSpec",
    "draft_variants",
]

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

#: every channel a follow-up can take, each a ``drafts/<channel><variant>.j2`` per variant
DRAFT_CHANNELS = ("email", "letter", "call")
#: standard, shorter and more formal: every channel has all three
DRAFT_VARIANTS = ("", "_short", "_formal")
#: variants only some channels have: an email can also be a reply in the same thread
CHANNEL_VARIANTS: dict[str, tuple[str, ...]] = {"email": ("_reply",)}


def draft_variants(channel: str) -> tuple[str, ...]:
    """The variants ``channel`` must have a template for."""
    return DRAFT_VARIANTS + CHANNEL_VARIANTS.get(channel, ())


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OptionSpec(_Strict):
    value: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9 _.+/-]+$")
    label: str = Field(min_length=1, max_length=75)
    next: str | None = None
    style: Literal["default", "primary", "danger"] = "default"
    #: a correction: after the step at ``next`` is answered (and its ``edit_next``, if
    #: any), come back to the step that offered this option instead of going on
    edit: bool = False


class StepSpec(_Strict):
    """One state of a flow. A step without ``ask`` says its text and moves on to ``next``."""

    say: str | None = None
    ask: Literal["choice", "text"] | None = None
    options: list[OptionSpec] = Field(default_factory=list)
    free_text: bool = False
    free_text_next: str | None = None
    save: str | None = Field(default=None, pattern=r"^(case|settings)\.[a-z_]+$")
    append: str | None = Field(default=None, pattern=r"^case\.[a-z_]+$")
    #: ``place``: a city, country or zone name, saved as the time zone and the country;
    #: ``tone``: a message the person wrote, checked for tone and never saved
    parse: Literal["text", "date", "timezone", "window", "place", "tone"] = "text"
    max_length: int = Field(default=500, ge=1, le=4000)
    skippable: bool = False
    default: str | None = None
    skip_if: str | None = None
    #: where to go when ``skip_if`` holds (``next`` unless set)
    skip_to: str | None = None
    action: str | None = None
    pause: bool = False
    next: str | None = None
    #: during a correction, the step that belongs with this one (a contact's role after
    #: their name) is asked before going back
    edit_next: str | None = None


class FlowFile(_Strict):
    flow: str = Field(pattern=r"^[a-z_]+$")
    title: str
    start: str
    steps: dict[str, StepSpec]


class CoachFile(_Strict):
    limits: dict[Literal["max_message_length"], int]
    upset_moods: list[str]
    texts: dict[str, str]
    labels: dict[str, str]
    status: str
    #: other ways people type an answer, by the option's value (``yes``, ``done``)
    synonyms: dict[str, list[str]] = Field(default_factory=dict)
    #: one line per command (help, Discord's subcommand descriptions: 100 at most)
    commands: dict[str, Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=dict)
    #: one suggestion per stage kind (bot/conversation/stages.py), shown in ``status``
    #: once several rejections ended at that stage
    stage_advice: dict[Literal["application", "screen", "interview", "final", "offer",
                               "other"], str] = Field(default_factory=dict)


class WindowSpec(_Strict):
    start: str = Field(pattern=r"^\d{2}:\d{2}$")
    end: str = Field(pattern=r"^\d{2}:\d{2}$")
    days: list[Weekday] = Field(min_length=1)


NudgeButton = Literal[
    "continue", "show_draft", "feedback", "done", "outcome", "snooze_tomorrow", "snooze_week",
    "skip", "stop_contact", "stop_all",
]
NudgeAnswer = Literal[
    "done", "snoozed", "skipped", "stopped_contact", "stopped_all", "pick_outcome", "outcome",
    "already_handled",
]


class NudgeKindSpec(_Strict):
    title: str
    text: str
    draft: str | None = None
    #: the most characters the draft may have where it is sent (a LinkedIn connection
    #: note: 200); ``content check`` measures it rendered with the sample case
    max_length: int | None = Field(default=None, ge=1)
    extra_buttons: list[NudgeButton] = Field(default_factory=list)


class ScheduleItem(_Strict):
    after_days: int = Field(ge=1, le=3650)
    kind: str
    #: planned for every contact of the case (a few days apart), not only the primary one
    each_contact: bool = False


class RepeatSpec(_Strict):
    every_days: int = Field(ge=1, le=3650)
    kind: str


class CadenceSpec(_Strict):
    label: str
    schedule: list[ScheduleItem]
    repeat: RepeatSpec | None = None


class FollowupTiming(_Strict):
    reminder_after_days: int = Field(ge=1)
    heard_back_after_business_days: int = Field(ge=1)
    #: one polite chase of an unanswered feedback request, then the coach lets it go
    chase_after_business_days: int = Field(default=8, ge=1)
    #: the "apply again" check-in, after they invited a new application
    reapply_after_days: int = Field(default=90, ge=1)
    cooldown_after_days: int = Field(ge=1)


class NudgesFile(_Strict):
    default_window: WindowSpec
    default_timezone: str
    default_cadence: str
    buttons: dict[NudgeButton, str]
    standard_buttons: list[NudgeButton]
    outcomes: dict[str, str] = Field(min_length=1)
    answers: dict[NudgeAnswer, str]
    kinds: dict[str, NudgeKindSpec]
    followup: FollowupTiming
    cadences: dict[str, CadenceSpec]


class RegionSpec(_Strict):
    """Where to find help in one region, and how we know the numbers are right.

    A person's region is picked by their country (ISO 3166 alpha-2, ``DE``), then by a
    time-zone glob (``US/*``, for older content and zone aliases that name no country).
    Helplines change: every region says which source its numbers were checked against
    and when, so a reviewer knows what to re-check first.
    """

    countries: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] = Field(default_factory=list)
    timezones: list[str] = Field(default_factory=list)
    resources: str
    source: str = Field(min_length=1)
    checked: date


class SafetyFile(_Strict):
    patterns: list[str] = Field(min_length=1)
    ordinary: list[str] = Field(default_factory=list)
    reply: str
    still_here: str
    confirm_resume: str
    resumed: str
    labels: dict[Literal["want_resume", "safe_resume", "confirm_safe", "not_yet"], str]
    regions: dict[str, RegionSpec]

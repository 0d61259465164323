"""The shapes of the records the coach keeps: a person, their cases, their check-ins.

Stores move plain JSON documents (:data:`bot.interfaces.Record`); these TypedDicts say
what a person, case or nudge record holds, so a misspelt key is a type error rather
than a silent ``None``. Keys a record gained in later versions are optional
(``NotRequired``): older records are read as they are.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

__all__ = [
    "CaseRecord", "ContactRecord", "FlowState", "NudgeRecord", "PersonRecord", "SettingsRecord",
    "UserIds", "WindowRecord",
]


class WindowRecord(TypedDict):
    start: str
    end: str
    days: list[str]


class SettingsRecord(TypedDict):
    timezone: str
    timezone_source: str
    window: WindowRecord
    cadence: str
    name: NotRequired[str]
    #: ISO 3166 alpha-2, when the person named a city or country (holidays, helplines)
    country: NotRequired[str]


class FlowState(TypedDict):
    flow: str
    step: str
    case: str | None
    asked: NotRequired[bool]
    history: list[list[str]]
    #: during a correction: the step to go back to once the corrected answer is in
    return_after: NotRequired[str | None]


class UserIds(TypedDict):
    platform: str
    workspace: str
    id: str


class ContactRecord(TypedDict):
    """Someone else at the company the person keeps in touch with (the primary contact
    stays in ``CaseRecord.contact``, which the drafts are addressed to)."""

    id: str
    name: str
    role: str


class CaseRecord(TypedDict):
    id: str
    created_at: str
    status: str
    mood: str | None
    company: str
    role: str
    stage: str
    date: str
    contact: str
    contact_role: str
    reason: str
    channel: str
    variant: str
    draft_shown_at: str | None
    sent_at: str | None
    feedback: str
    improvements: list[str]
    cadence: str | None
    touches: list[dict[str, Any]]
    resume_at: FlowState | None
    outcomes: NotRequired[list[dict[str, Any]]]
    nudges_stopped: NotRequired[bool]
    #: contacts whose check-ins the person stopped (``primary``, or a ContactRecord id)
    stopped_contacts: NotRequired[list[str]]
    #: one specific thing the person remembers from the process, for the draft
    highlight: NotRequired[str]
    #: the other people at the company to keep warm, after the primary contact
    more_contacts: NotRequired[list[ContactRecord]]
    #: the kinds of feedback recognised in ``feedback`` (content/feedback.yaml)
    feedback_kinds: NotRequired[list[str]]
    #: a contact being added: their name, until their role is in
    new_contact: NotRequired[str]
    new_contact_role: NotRequired[str]
    #: logged from a pasted email: "email" (its draft is a reply in the same thread)
    source: NotRequired[str]
    #: filled from an email and not yet reviewed: step 1 skips what the email answered
    pasted: NotRequired[bool]


class PersonRecord(TypedDict):
    version: int
    user: UserIds
    created_at: str
    display_name: str | None
    settings: SettingsRecord
    flow: FlowState | None
    return_to: FlowState | None
    pending: dict[str, Any] | None
    paused_until: str | None
    safety: dict[str, Any] | None
    cases: list[CaseRecord]
    journal: list[dict[str, Any]]
    nudge_ids: list[str]
    updated_at: NotRequired[str]
    menu: NotRequired[list[list[str]] | None]
    #: the menu was shown with a flow question after it: unmatched text goes to the flow
    menu_beside_flow: NotRequired[bool]
    last_nudge_day: NotRequired[str | None]
    nudge_outbox: NotRequired[dict[str, Any] | None]
    #: Discord servers the person used /notnow in, first first (for the report's scope)
    servers: NotRequired[list[str]]
    #: ``{"outcomes": bool, "at": iso}``: whether anonymous outcome counts may be reported
    consent: NotRequired[dict[str, Any]]
    #: answers to the 90- and 180-day check-ins: ``{"at": iso, "days": 90, "answer": ...}``
    milestones: NotRequired[list[dict[str, Any]]]
    #: first contact's introduction (name, place, how check-ins work) was shown
    introduced: NotRequired[bool]
    #: "where are you based?" was asked once (answered or skipped)
    place_offered: NotRequired[bool]
    #: the consent question was shown once (no answer counts as no)
    consent_offered: NotRequired[bool]
    #: SHA-256 of the person's calendar feed token (``calendar feed``); never the token
    calendar_feed: NotRequired[str | None]
    #: the platform's id of the person's DM with the app (:attr:`Profile.dm_channel`)
    dm_channel: NotRequired[str | None]


class NudgeRecord(TypedDict):
    id: str
    key: NotRequired[str]
    user: str
    case: str
    kind: str
    due_at: str
    state: str
    attempts: int
    sequence: NotRequired[int | None]
    created_at: str
    due_key: NotRequired[str | None]
    retry_at: NotRequired[str | None]
    claimed_at: NotRequired[str]
    claimed_by: NotRequired[str | None]
    acted_at: NotRequired[str]
    sent_at: NotRequired[str]
    failed_at: NotRequired[str]
    last_error: NotRequired[str | None]
    snoozed: NotRequired[int]
    #: the contact (``ContactRecord.id``) a networking check-in is about; absent: primary
    contact: NotRequired[str]

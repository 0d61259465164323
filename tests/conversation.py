"""A conversation with the real engine, written the way a person talks (STYLE.md #9)."""

from __future__ import annotations

from typing import Any

from bot.conversation.engine import Coach
from bot.messages import Choice, Command, Input, Reply, Text, UserRef

__all__ = ["Conversation", "log_rejection", "skip_introduction"]


class Conversation:
    """Talk to the coach like a person would: send, then look at what came back."""

    def __init__(self, coach: Coach, user: UserRef) -> None:
        self.coach = coach
        self.user = user
        self.last: list[Reply] = []

    def send(self, event: Input | str) -> list[Reply]:
        if isinstance(event, str):
            event = Text(event)
        self.last = self.coach.handle(self.user, event)
        return self.last

    def command(self, name: str, arg: str = "") -> list[Reply]:
        return self.send(Command(name, arg))

    @property
    def text(self) -> str:
        return "\n\n".join(r.text for r in self.last)

    @property
    def options(self) -> list[str]:
        return [o.label for r in self.last for o in r.options]

    def pick(self, label_part: str) -> list[Reply]:
        """Press the button whose label contains ``label_part``."""
        for reply in reversed(self.last):
            for option in reply.options:
                if label_part.lower() in option.label.lower():
                    return self.send(Choice(option.value))
        raise AssertionError(f"no option like {label_part!r} in {self.options}")

    @property
    def draft(self) -> str | None:
        return next((r.draft for r in self.last if r.draft), None)

    @property
    def person(self) -> dict[str, Any]:
        from bot.conversation.people import PEOPLE

        record = self.coach.store.read(PEOPLE, self.user.key)
        assert record is not None
        return record


def log_rejection(conv: Conversation, *, company: str = "Acme Corp",
                  role: str = "Backend Engineer", contact: str = "Dana Reyes",
                  stage: str = "Final round") -> None:
    """Step 1 with ordinary answers, ending on the channel question of step 2. At first
    contact the introduction's name and place questions are skipped (UTC, no name)."""
    conv.command("start")
    skip_introduction(conv)
    conv.pick("Okay")
    conv.pick("write down")
    conv.send(company)
    conv.send(role)
    conv.pick(stage)
    conv.send("yesterday")
    conv.send(contact)
    conv.pick("Hiring manager")
    conv.pick("that's everyone")
    conv.send("They wanted more Kubernetes experience")
    conv.pick("that's right")


def skip_introduction(conv: Conversation) -> None:
    """Skip the first-contact questions (first name, place) if they are asked."""
    for _ in range(2):
        if any(step in _asking(conv) for step in ("intro.name", "intro.place")):
            conv.command("skip")


def _asking(conv: Conversation) -> str:
    from bot.conversation.people import PEOPLE

    try:
        record = conv.coach.store.read(PEOPLE, conv.user.key)
    except Exception:  # a test's broken store: nothing to skip
        return ""
    flow = (record or {}).get("flow") or {}
    return f"{flow.get('flow')}.{flow.get('step')}" if flow.get("asked") else ""



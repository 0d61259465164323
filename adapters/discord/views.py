"""Options as buttons or a menu whose clicks still work after the bot restarts.

The option value lives in the component's ``custom_id`` (``notnow:<value>``), and the
item classes are registered once at start as :class:`discord.ui.DynamicItem`, so no
per-message view has to be kept in memory: a button sent last week, before a restart,
is matched by its ``custom_id`` alone. Up to ten options are buttons (two rows, so a
check-in's done/snooze/skip/stop set stays one click away); more, or a value too long
for a ``custom_id``, become one string select whose option values carry the values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import discord

from adapters.common.layout import as_buttons
from bot.messages import Option

__all__ = ["BUTTON_PREFIX", "MENU_ID", "ChoiceButton", "ChoiceHandler", "ChoiceMenu", "choice_view"]

BUTTON_PREFIX = "notnow:"
MENU_ID = "notnow-menu"
MAX_MENU_OPTIONS = 25
_CUSTOM_ID_LIMIT = 100
_STYLES = {
    "default": discord.ButtonStyle.secondary,
    "primary": discord.ButtonStyle.primary,
    "danger": discord.ButtonStyle.danger,
}


@runtime_checkable
class ChoiceHandler(Protocol):
    """What the client does with a pick; the items only find the value and its label."""

    async def on_notnow_choice(
        self, interaction: discord.Interaction[Any], value: str, label: str
    ) -> None: ...


async def _hand_over(interaction: discord.Interaction[Any], value: str, label: str) -> None:
    client = interaction.client
    if isinstance(client, ChoiceHandler):
        await client.on_notnow_choice(interaction, value, label)


class ChoiceButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.escape(BUTTON_PREFIX) + r"(?P<value>.+)",
):
    """One option as a button; ``custom_id`` is ``notnow:`` + the option value."""

    def __init__(self, value: str, label: str, style: discord.ButtonStyle) -> None:
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label[:80], style=style, custom_id=BUTTON_PREFIX + value
        )
        super().__init__(button)
        self.value = value

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ChoiceButton:
        value = match["value"]
        label = getattr(item, "label", None) or value
        return cls(value, label, getattr(item, "style", discord.ButtonStyle.secondary))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _hand_over(interaction, self.value, self.item.label or self.value)


class ChoiceMenu(discord.ui.DynamicItem[discord.ui.Select[Any]], template=re.escape(MENU_ID)):
    """Many options as one string select; the picked option's value is the choice."""

    def __init__(self, options: Sequence[discord.SelectOption]) -> None:
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=MENU_ID, placeholder="Choose one…", options=list(options)
        )
        super().__init__(select)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ChoiceMenu:
        return cls(getattr(item, "options", []))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        if not self.item.values:
            return
        value = self.item.values[0]
        label = next((o.label for o in self.item.options if o.value == value), value)
        await _hand_over(interaction, value, label)


def _fits_custom_id(value: str) -> bool:
    return len(BUTTON_PREFIX + value) <= _CUSTOM_ID_LIMIT


def choice_view(options: Sequence[Option]) -> discord.ui.View:
    """Up to ten options as buttons (two rows of five), otherwise one menu of up to 25."""
    view = discord.ui.View(timeout=None)
    if as_buttons(options, value_fits=_fits_custom_id):
        for option in options:
            view.add_item(
                ChoiceButton(
                    option.value,
                    option.label,
                    _STYLES.get(option.style, discord.ButtonStyle.secondary),
                )
            )
        return view
    entries = [
        discord.SelectOption(label=o.label[:100], value=o.value)
        for o in options[:MAX_MENU_OPTIONS]
        if len(o.value) <= _CUSTOM_ID_LIMIT
    ]
    view.add_item(ChoiceMenu(entries))
    return view

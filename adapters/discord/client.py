"""The Discord client: slash command, DM messages and clicks in, coach replies out.

Every exchange follows the same shape: acknowledge Discord within its 3-second window
first (defer, or update the clicked message), then take the person's turn (one at a time
per person, the engine off the event loop: :class:`~adapters.common.turns.TurnRunner`),
then send what it said to the person's DMs. Conversations live in DMs so they stay
private; in a server the only visible trace is an ephemeral "check your DMs".
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import discord
from discord import app_commands

from adapters.common.turns import TurnRunner
from adapters.discord.attachments import read_attachment
from adapters.discord.commands import notnow_group, sync_if_changed
from adapters.discord.delivery import NO_MENTIONS, DMClosedError, send_replies, send_to_dm
from adapters.discord.hardening import guard_gateway
from adapters.discord.render import chosen_note
from adapters.discord.turns import display_name, profile_of, user_ref
from adapters.discord.views import ChoiceButton, ChoiceMenu
from bot.conversation.command_handlers import report_reply
from bot.conversation.engine import Coach
from bot.messages import Choice, Command, Input, Paste, Reply, Text

__all__ = ["CHECK_DMS", "DMS_CLOSED_HELP", "NotnowClient", "intents", "manages_server"]

log = logging.getLogger(__name__)

CHECK_DMS = "Check your DMs: I've continued there, just between us."
DMS_CLOSED_HELP = (
    "I couldn't send you a direct message, and our conversation happens there.\n"
    "To let me: click this server's name (on mobile, long-press its icon) → "
    '**Privacy Settings** → turn on **Direct Messages** ("Allow direct messages from '
    'server members"). Then run `/notnow start` again.'
)
SOMETHING_WENT_WRONG = "Sorry, something went wrong on my side. Please try again in a moment."
_TEXT_TYPES = (discord.MessageType.default, discord.MessageType.reply)


def intents() -> discord.Intents:
    """No privileged intents: DM content reaches a bot without the message content intent."""
    chosen = discord.Intents.none()
    chosen.guilds = True
    chosen.dm_messages = True
    return chosen


def manages_server(interaction: discord.Interaction[Any]) -> bool:
    """Whether the person asked from within a server where they hold Manage Server
    (``member.permissions`` of the interaction, as Discord computed it for them there).
    In a DM there is no server to check, so never."""
    return interaction.guild_id is not None and interaction.permissions.manage_guild


class NotnowClient(discord.AutoShardedClient):
    """Sharded so one process follows Discord's recommended shard count as it grows."""

    def __init__(self, coach: Coach, *, sync: bool = False) -> None:
        super().__init__(intents=intents(), allowed_mentions=NO_MENTIONS, max_messages=None)
        self.coach = coach
        self.force_sync = sync
        self.tree: app_commands.CommandTree[NotnowClient] = app_commands.CommandTree(self)
        self.tree.add_command(notnow_group(self.run_command, coach.content.coach.commands))
        self._turns = TurnRunner(coach=coach)
        guard_gateway(self)

    def _hold(self, user: discord.abc.Snowflake) -> contextlib.AbstractAsyncContextManager[None]:
        """``user``'s turn lock, held until the replies are sent so they stay in order."""
        return self._turns.hold(user_ref(user))

    async def _take_turn(self, user: discord.abc.Snowflake, event: Input) -> list[Reply] | None:
        """The engine's replies (``None`` if it failed, already logged); the display name
        is passed on when this process has not seen it yet."""
        return await self._turns.take_turn(user_ref(user), event, profile=profile_of(user),
                                           profile_version=display_name(user))

    async def setup_hook(self) -> None:
        self.add_dynamic_items(ChoiceButton, ChoiceMenu)
        try:
            await sync_if_changed(self.tree, force=self.force_sync)
        except discord.HTTPException:
            log.exception("Could not sync the /notnow command; keeping what Discord has")

    # -- slash command ------------------------------------------------------------------

    async def run_command(self, interaction: discord.Interaction[Any], name: str,
                          arg: str = "") -> None:
        """``/notnow <name>``: answered in place in the person's own DM, else via their DMs.

        "In place" only when the interaction's channel is the DM Discord opens for this
        user: followups go to whatever channel the interaction names, and the payload's
        channel is not proof of whose DM it is.
        """
        in_dm = interaction.guild_id is None
        await interaction.response.defer(ephemeral=not in_dm, thinking=True)
        user = interaction.user
        try:
            async with self._hold(user):
                if interaction.guild_id is not None:  # which server's report counts them
                    await self._turns.call(user_ref(user), self.coach.note_server,
                                           user_ref(user), str(interaction.guild_id))
                if name == "report" and manages_server(interaction):
                    replies = await self._report(user, arg, server=str(interaction.guild_id))
                else:  # anyone else asking for the report: the engine refuses
                    replies = await self._take_turn(user, Command(name, arg))
                if replies is None:
                    await self._whisper(interaction, SOMETHING_WENT_WRONG)
                    return
                channel = await self.create_dm(user)
                if in_dm and interaction.channel_id == channel.id:
                    await send_replies(interaction.followup, replies)
                    return
                await send_to_dm(channel, replies, str(user.id))
            await self._whisper(interaction, CHECK_DMS)
        except DMClosedError:
            await self._whisper(interaction, DMS_CLOSED_HELP)
        except Exception:
            log.exception("/notnow %s failed", name)
            await self._whisper(interaction, SOMETHING_WENT_WRONG)

    async def _report(self, user: discord.abc.Snowflake, fmt: str, *,
                      server: str) -> list[Reply] | None:
        """The programme report for the manager's own server, as an attachment: people
        count in the first server they used the coach from (see
        :func:`bot.report.build.workspace_of`)."""
        who = user_ref(user)
        coach = self.coach
        reply = await self._turns.call(who, lambda: report_reply(
            coach.store, content=coach.content, clock=coach.clock,
            workspace=f"discord:{server}", fmt=fmt or "html"))
        return [reply] if reply is not None else None

    async def _whisper(self, interaction: discord.Interaction[Any], text: str) -> None:
        """An ephemeral followup; a failure here is logged, there is no one else to tell."""
        try:
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.exception("Could not send an ephemeral followup")

    # -- DM messages ----------------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        if message.guild is not None or message.author.bot or message.type not in _TEXT_TYPES:
            return
        if not message.content.strip() and not message.attachments:
            return
        async with self._hold(message.author):
            # Only what the author said in their own DM with the bot is a turn: the event
            # names a channel without saying whose DM it is.
            channel = await self.create_dm(message.author)
            if message.channel.id != channel.id:
                log.warning("ignored a message outside its author's DM with the bot")
                return
            if message.attachments:
                replies = await self._attachment_turn(message)
            else:
                replies = await self._take_turn(message.author, Text(message.content))
            if not replies:
                return
            try:
                await send_to_dm(channel, replies, str(message.author.id))
            except DMClosedError:
                log.info("Discord user %s closed their DMs mid-conversation", message.author.id)

    async def _attachment_turn(self, message: discord.Message) -> list[Reply] | None:
        """An email or text file goes to the engine as a :class:`Paste`; anything else
        gets what is accepted, and the words typed with it (if any) are still a turn, so
        nothing the person said is dropped."""
        read = await read_attachment(message.attachments[0])
        if isinstance(read, Paste):
            return await self._take_turn(message.author, read)
        replies = [Reply(read)]
        if message.content.strip():
            replies += await self._take_turn(message.author, Text(message.content)) or []
        return replies

    # -- buttons and menus -------------------------------------------------------------

    async def on_notnow_choice(
        self, interaction: discord.Interaction[Any], value: str, label: str
    ) -> None:
        """A pick: take the buttons off the clicked message, say what was chosen, go on."""
        content = interaction.message.content if interaction.message else ""
        try:
            await interaction.response.edit_message(content=chosen_note(content, label), view=None)
        except discord.HTTPException:
            log.exception("Could not update the clicked message; handling the choice anyway")
        user = interaction.user
        async with self._hold(user):
            replies = await self._take_turn(user, Choice(value))
            if replies is None:
                return
            # The clicker's own DM, never the interaction's channel: that names a DM
            # without saying whose it is (Discord leaves its recipient out).
            channel = await self.create_dm(user)
            try:
                await send_to_dm(channel, replies, str(user.id))
            except DMClosedError:
                await self._whisper(interaction, DMS_CLOSED_HELP)

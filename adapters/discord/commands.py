"""The global ``/notnow`` command and syncing it only when it changed.

Bulk-overwriting global commands on every start is rate limited and makes Discord
clients refetch them, so the start-up fetches what Discord has, compares the parts that
matter (names, descriptions, options, where the command may be used) and overwrites only
on a difference, or when the operator asks with ``--sync``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import discord
from discord import app_commands

from bot.conversation.commands import COMMANDS, CommandSpec

__all__ = ["commands_differ", "notnow_group", "sync_if_changed"]

log = logging.getLogger(__name__)

GROUP_DESCRIPTION = "A coach for answering a job rejection"

CommandRunner = Callable[[discord.Interaction[Any], str, str], Awaitable[None]]


def _subcommand(spec: CommandSpec, description: str,
                run: CommandRunner) -> app_commands.Command[Any, ..., None]:
    """One ``/notnow`` subcommand; a command that takes an argument (``pause [days]``)
    gets it as an optional string option named after it."""
    if spec.argument is None:
        async def callback(interaction: discord.Interaction[Any]) -> None:
            await run(interaction, spec.name, "")
    else:
        @app_commands.rename(value=spec.argument)
        async def callback(interaction: discord.Interaction[Any],  # type: ignore[misc]
                           value: str | None = None) -> None:
            await run(interaction, spec.name, (value or "").strip())

    return app_commands.Command(name=spec.name, description=description, callback=callback)


def notnow_group(run: CommandRunner, summaries: Mapping[str, str]) -> app_commands.Group:
    """``/notnow <subcommand>``, usable in servers and in the bot's DMs: every command in
    :data:`bot.conversation.commands.COMMANDS`, described by its one-line summary from content."""
    group = app_commands.Group(
        name="notnow",
        description=GROUP_DESCRIPTION,
        allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=True),
        allowed_installs=app_commands.AppInstallationType(guild=True),
    )
    for spec in COMMANDS:
        group.add_command(_subcommand(spec, summaries[spec.name][:100], run))
    return group


def _signature(command: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a command payload that change what people see or where it works."""
    signature: dict[str, Any] = {
        "name": command["name"],
        "type": command.get("type") or 1,
        "description": command.get("description") or "",
        "options": [_signature(option) for option in command.get("options") or []],
        "required": bool(command.get("required", False)),
        "choices": [(c["name"], c["value"]) for c in command.get("choices") or []],
    }
    for key in ("contexts", "integration_types"):
        if key in command:
            signature[key] = sorted(command[key] or [])
    return signature


def commands_differ(local: list[Mapping[str, Any]], remote: list[Mapping[str, Any]]) -> bool:
    def by_name(commands: list[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
        return {c["name"]: _signature(c) for c in commands}

    return by_name(local) != by_name(remote)


async def sync_if_changed(tree: app_commands.CommandTree[Any], *, force: bool = False) -> bool:
    """Overwrite the global commands when they differ from ours; ``True`` if it did.

    :raises discord.HTTPException: Discord refused the fetch or the overwrite.
    """
    local = [command.to_dict(tree) for command in tree.get_commands()]
    if not force:
        # Raw payloads: AppCommand.to_dict() does not round-trip ``contexts`` in discord.py 2.7.
        client = tree.client
        remote = await client.http.get_global_commands(client.application_id or 0)
        if not commands_differ(local, remote):  # type: ignore[arg-type]
            log.info("Discord commands are up to date")
            return False
    await tree.sync()
    log.info("Discord commands synced")
    return True

"""Socket Mode (the manifest's default): the same app, fed over a websocket to Slack."""

from __future__ import annotations

import aiohttp

from adapters.slack import start_slack
from bot.conversation.engine import Coach
from bot.settings import Settings
from tests.standins.slack_api import (
    SlackStandIn,
    block_actions,
    dm_channel_id,
    dm_message,
    event_callback,
    option_values,
    slash_command,
)

TEAM, USER = "T0001", "U0SOCKET"


async def test_socket_mode_serves_commands_messages_and_clicks(
    settings: Settings, coach: Coach, slack_api: SlackStandIn
) -> None:
    socket_settings = settings.model_copy(
        update={"slack_app_token": "xapp-1-ANOTNOW01-1-standin", "slack_signing_secret": None}
    )
    service = await start_slack(socket_settings, coach, port=0, host="127.0.0.1")
    channel = dm_channel_id(TEAM, USER)

    def in_dm(call: object) -> bool:
        return call.params.get("channel") == channel  # type: ignore[attr-defined]

    try:
        assert service.socket_mode
        opened = await slack_api.wait_for("apps.connections.open")
        assert opened[0].token == "xapp-1-ANOTNOW01-1-standin"
        await slack_api.wait_for("socket.connect")

        envelope = await slack_api.push("slash_commands", slash_command(TEAM, USER))
        [ack] = await slack_api.wait_for(
            "socket.ack", where=lambda c: c.params.get("envelope_id") == envelope
        )
        assert ack.params["payload"]["response_type"] == "ephemeral"
        await slack_api.wait_for("chat.postMessage", 2, where=in_dm)
        await slack_api.settle(quiet=0.2)

        question = next(m for m in reversed(slack_api.messages[channel]) if option_values(m))
        value = next(v for v in option_values(question) if v.endswith("=okay"))
        posted = len(slack_api.posted(channel))
        await slack_api.push("interactive", block_actions(TEAM, USER, question, value))
        await slack_api.wait_for("chat.update")
        await slack_api.wait_for("chat.postMessage", posted + 1, where=in_dm)
        await slack_api.settle(quiet=0.2)

        posted = len(slack_api.posted(channel))
        event = event_callback(TEAM, dm_message(TEAM, USER, "help"))
        envelope = await slack_api.push("events_api", event)
        await slack_api.wait_for(
            "socket.ack", where=lambda c: c.params.get("envelope_id") == envelope
        )
        await slack_api.wait_for("chat.postMessage", posted + 1, where=in_dm)

        # Only the health check listens on the port in Socket Mode.
        async with aiohttp.ClientSession() as session:
            base = f"http://127.0.0.1:{service.port}"
            async with session.get(f"{base}/healthz") as health:
                assert health.status == 200
            async with session.post(f"{base}/slack/events", data="x") as events:
                assert events.status in (404, 405)
    finally:
        await service.stop()

"""``GET /metrics`` in HTTP mode: Prometheus text with turns, latency and API errors."""

from __future__ import annotations

import aiohttp

from adapters.slack import SlackService
from tests.standins.slack_api import Person, SlackStandIn


async def test_metrics_count_turns_and_web_api_errors(
        service: SlackService, person: Person, slack_api: SlackStandIn) -> None:
    await person.slash("start")
    slack_api.fail("chat.postMessage", "channel_not_found")
    await person.slack.dm(person.team, person.user, "okay")
    await slack_api.settle()
    url = f"http://127.0.0.1:{service.port}/metrics"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    assert 'notnow_turns_total{platform="slack"}' in text
    assert 'notnow_turn_seconds_bucket{le="0.1",platform="slack"}' in text
    assert 'notnow_platform_api_errors_total{error="channel_not_found",platform="slack"}' in text
    assert "notnow_nudges_sent_total" in text
    assert person.user not in text and person.team not in text

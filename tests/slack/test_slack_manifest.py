"""The Slack app manifest in deploy/ is one Slack would accept, and matches the code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from adapters.slack.listeners import COMMAND
from adapters.slack.oauth import BOT_SCOPES

REPO_ROOT = Path(__file__).resolve().parents[2]
MANIFEST = REPO_ROOT / "deploy" / "slack-manifest.yml"
SCHEMA_NAME = Path("slack") / "manifest.schema.1.0.0.json"
# CI checks out shared/ next to the repository; a local setup may keep it inside.
SCHEMA_CANDIDATES = (REPO_ROOT / ".." / "shared" / SCHEMA_NAME, REPO_ROOT / "shared" / SCHEMA_NAME)


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def _schema() -> dict[str, Any]:
    for candidate in SCHEMA_CANDIDATES:
        if candidate.is_file():
            return json.loads(candidate.read_text(encoding="utf-8"))
    tried = ", ".join(str(c.resolve()) for c in SCHEMA_CANDIDATES)
    pytest.skip(f"Slack's manifest schema not found (looked at {tried})")


def test_manifest_matches_slacks_json_schema(manifest: dict[str, Any]) -> None:
    validator = Draft7Validator(_schema())
    errors = sorted(validator.iter_errors(manifest), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)


def test_manifest_asks_for_what_the_adapter_uses(manifest: dict[str, Any]) -> None:
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == [COMMAND]
    assert manifest["features"]["slash_commands"][0]["usage_hint"]
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "message.im",
        "app_home_opened",
    }
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    home = manifest["features"]["app_home"]
    assert home["home_tab_enabled"] and home["messages_tab_enabled"]


def test_an_http_mode_manifest_is_valid_too(manifest: dict[str, Any]) -> None:
    """The switch described in the manifest's comments yields a manifest Slack accepts."""
    url = "https://notnow.example.org/slack/events"
    http = json.loads(json.dumps(manifest))
    http["settings"]["socket_mode_enabled"] = False
    http["features"]["slash_commands"][0]["url"] = url
    http["settings"]["event_subscriptions"]["request_url"] = url
    http["settings"]["interactivity"]["request_url"] = url
    http["oauth_config"]["redirect_urls"] = ["https://notnow.example.org/slack/oauth_redirect"]
    assert not list(Draft7Validator(_schema()).iter_errors(http))

"""Replies as Block Kit, and Slack bodies as engine inputs: pure translation, no server."""

from __future__ import annotations

import pytest

from adapters.slack.inputs import command_input, dm_text, picked_option
from adapters.slack.render import chosen_blocks, home_view, render_reply
from bot.messages import Choice, Command, Option, Reply, Text


def test_text_is_escaped_and_bullets_become_bullets() -> None:
    [message] = render_reply(Reply("Hi <!channel> & <@U1>\n\n- one\n- two <b>"))
    sections = [b["text"]["text"] for b in message.blocks]
    assert sections == ["Hi &lt;!channel&gt; &amp; &lt;@U1&gt;\n\n• one\n• two &lt;b&gt;"]
    assert message.text.startswith("Hi &lt;!channel&gt;")
    assert message.metadata is None


def test_up_to_five_options_are_buttons_with_unique_action_ids_and_styles() -> None:
    options = (
        Option("s=a", "Alpha", "primary"),
        Option("s=b", "Beta"),
        Option("s=c", "Gamma", "danger"),
    )
    [message] = render_reply(Reply("Pick one", options=options))
    actions = message.blocks[-1]
    assert actions["type"] == "actions"
    buttons = actions["elements"]
    assert [b["action_id"] for b in buttons] == [
        "notnow_choice_0",
        "notnow_choice_1",
        "notnow_choice_2",
    ]
    assert [b["value"] for b in buttons] == ["s=a", "s=b", "s=c"]
    assert [b.get("style") for b in buttons] == ["primary", None, "danger"]
    assert buttons[0]["text"] == {"type": "plain_text", "text": "Alpha", "emoji": True}


def test_more_than_ten_options_become_a_menu() -> None:
    options = tuple(Option(f"s={i}", f"Option {i}") for i in range(11))
    [message] = render_reply(Reply("Pick", options=options))
    [menu] = message.blocks[-1]["elements"]
    assert menu["type"] == "static_select"
    assert menu["action_id"].startswith("notnow_")
    assert [o["value"] for o in menu["options"]] == [f"s={i}" for i in range(11)]
    [message] = render_reply(Reply("Pick", options=options[:10]))
    assert [e["type"] for e in message.blocks[-1]["elements"]] == ["button"] * 10


def test_draft_is_a_code_block_that_cannot_be_closed_early() -> None:
    draft = "Dear <@U1>,\n```\nrm -rf & co\n```"
    [message] = render_reply(Reply("Here it is", draft=draft, draft_title="Your email"))
    texts = [b["text"]["text"] for b in message.blocks]
    assert texts[1] == "*Your email*"
    code = texts[2]
    assert code.startswith("```Dear &lt;@U1&gt;,") and code.endswith("```")
    assert code[3:-3].count("```") == 0
    assert "rm -rf &amp; co" in code


@pytest.mark.parametrize(
    "text", [("word & " * 2000).strip(), "&<" * 3000], ids=["words", "no spaces"]
)
def test_long_text_is_split_under_slacks_section_limit_without_breaking_escapes(text: str) -> None:
    messages = render_reply(Reply(text, options=(Option("s=x", "X"),)))
    sections = [b for m in messages for b in m.blocks if b["type"] == "section"]
    assert len(sections) > 1
    assert all(len(b["text"]["text"]) <= 3000 for b in sections)
    for section in sections:  # every escape whole: no "&am" at a cut
        body = section["text"]["text"]
        assert body.count("&") == body.count("&amp;") + body.count("&lt;")
    assert all(len(m.blocks) <= 50 for m in messages)
    assert messages[-1].blocks[-1]["type"] == "actions"


def test_nudge_id_goes_into_message_metadata() -> None:
    [message] = render_reply(Reply("Check in", nudge_id="n1"))
    assert message.metadata == {"event_type": "notnow_nudge", "event_payload": {"nudge_id": "n1"}}


def test_chosen_blocks_replace_the_buttons_with_the_escaped_choice() -> None:
    blocks = [
        {"type": "section", "block_id": "a", "text": {"type": "mrkdwn", "text": "Q?"}},
        {"type": "actions", "block_id": "notnow_options", "elements": []},
    ]
    out = chosen_blocks(blocks, "notnow_options", "Yes <!here>")
    assert out[0] == blocks[0]
    assert out[1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "You chose: *Yes &lt;!here&gt;*"}],
    }


def test_home_view_has_no_buttons_and_respects_the_block_limit() -> None:
    replies = [Reply(f"Case {i}", options=(Option("s=x", "X"),)) for i in range(80)]
    view = home_view(replies)
    assert view["type"] == "home"
    assert len(view["blocks"]) <= 100
    assert all(b["type"] != "actions" for b in view["blocks"])


def test_slash_command_text_becomes_a_command() -> None:
    assert command_input("") == Command("start")
    assert command_input("  status ") == Command("status")
    assert command_input("pause 14") == Command("pause", "14")
    assert command_input("hi") == Command("start")  # the engine's alias
    assert command_input("Whatever you like") == Command("whatever", "you like")


def test_dm_text_is_unescaped_for_the_engine_and_bots_are_ignored() -> None:
    event = {"type": "message", "channel_type": "im", "user": "U1", "text": "a &lt;b&gt; &amp;lt;"}
    assert dm_text(event) == Text("a <b> &lt;")
    assert dm_text(dict(event, bot_id="B1")) is None
    assert dm_text(dict(event, subtype="message_changed")) is None
    assert dm_text(dict(event, channel_type="channel")) is None


def test_picked_option_reads_buttons_and_menus() -> None:
    button = {"type": "button", "value": "s=a", "text": {"type": "plain_text", "text": "Alpha"}}
    assert picked_option(button) == (Choice("s=a"), "Alpha")
    menu = {"type": "static_select", "selected_option": {"value": "s=b", "text": {"text": "Beta"}}}
    assert picked_option(menu) == (Choice("s=b"), "Beta")
    assert picked_option({"type": "button"}) is None

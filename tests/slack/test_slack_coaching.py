"""A whole coaching run through Slack: slash command, DM answers and button clicks."""

from __future__ import annotations

import json

from tests.standins.slack_api import Person, SlackStandIn, blocks_text, option_values


async def test_three_steps_from_slash_command_to_keep_in_touch(
    person: Person, slack_api: SlackStandIn
) -> None:
    welcome = await person.slash()
    ack = person.last_response
    assert ack is not None
    assert ack.json()["response_type"] == "ephemeral"
    assert "direct message" in ack.json()["text"]

    # The coaching goes to the DM the app opened, never to the channel of the command.
    assert slack_api.calls_to("conversations.open")[0].params["users"] == person.user
    assert all(m["channel"] == person.channel for m in slack_api.posted())
    assert "notnow" in blocks_text(welcome[0])
    assert any(v.endswith("=okay") for v in option_values(welcome[-1]))

    # Step 1: stay composed.
    question = person.question()
    replies = await person.choose("okay")
    update = slack_api.calls_to("chat.update")[-1].params
    assert update["ts"] == question["ts"]
    assert "actions" not in [b["type"] for b in update["blocks"]]
    assert "You chose: *Okay, ready to move on*" in blocks_text(update)
    assert "What would help now?" in blocks_text(replies[-1])

    replies = await person.choose("log")
    assert "Which company" in blocks_text(replies[-1])
    replies = await person.say("Initech")
    assert "role at Initech" in blocks_text(replies[-1])
    await person.say("Backend Engineer")
    await person.choose("final round")
    await person.say("yesterday")
    await person.say("Dana Reyes")
    await person.choose("recruiter")
    await person.choose("none")  # nobody else to keep in touch with
    replies = await person.say("skip")
    assert "Here's what I have" in blocks_text(replies[0])
    assert "• Company: Initech" in blocks_text(replies[0])
    replies = await person.choose("right")
    assert "Logged" in blocks_text(replies[0])

    # Step 2: follow up, with a draft to copy.
    replies = await person.choose("email")
    draft = replies[-1]
    text = blocks_text(draft)
    assert "```Subject: Thank you" in text
    assert "Dana" in text
    assert len(option_values(draft)) == 8
    await person.choose("sent")
    replies = await person.choose("notyet")
    assert "Step 3" in blocks_text(replies[-1])

    # Step 3: keep in touch.
    replies = await person.choose("regular")
    assert "all three steps for Initech" in blocks_text(replies[-1])
    assert not option_values(replies[-1])

    # The user's time zone was asked for once and reached the engine.
    assert len(slack_api.calls_to("users.info")) == 1


async def test_export_is_uploaded_into_the_dm(person: Person, slack_api: SlackStandIn) -> None:
    await person.slash()
    await person.slash("export")
    done = await slack_api.wait_for("files.completeUploadExternal")
    assert done[0].params["channel_id"] == person.channel
    requested = slack_api.calls_to("files.getUploadURLExternal")[0].params
    assert requested["filename"] == "notnow-export.json"
    uploaded = slack_api.uploads[done[0].params["files"][0]["id"]]
    exported = json.loads(uploaded)
    assert exported["person"]["user"] == {
        "platform": "slack",
        "workspace": person.team,
        "id": person.user,
    }


async def test_export_falls_back_to_a_code_block_when_upload_is_refused(
    person: Person, slack_api: SlackStandIn
) -> None:
    await person.slash()
    slack_api.fail("files.getUploadURLExternal", "missing_scope")
    replies = await person.slash("export")
    assert any('"platform": "slack"' in blocks_text(m) for m in replies)
    assert not slack_api.calls_to("files.completeUploadExternal")

"""Replies as Discord messages, without a network: escaping, drafts, limits, components."""

from __future__ import annotations

from adapters.discord.render import MAX_CONTENT, chosen_note, escape_text, nonce_for, render_reply
from adapters.discord.views import ChoiceButton, ChoiceMenu
from bot.messages import ExportFile, Option, Reply


def test_typed_text_cannot_mention_or_format() -> None:
    text = escape_text("Hi @everyone and <@123456789012345678>, **this** is `code`")
    assert "@everyone" not in text and "<@123456789012345678>" not in text
    assert "\\*\\*this\\*\\*" in text and "\\`code\\`" in text


def test_the_engines_list_items_stay_a_list() -> None:
    assert escape_text("Plan:\n- call *Dana*\n- rest") == "Plan:\n- call \\*Dana\\*\n- rest"


def test_a_draft_is_a_code_block_that_cannot_be_closed_early() -> None:
    (message,) = render_reply(Reply("Here it is", draft="Hi\n```\n@everyone", draft_title="Email"))
    body = message.content.split("**Email**\n", 1)[1]
    assert body.startswith("```\n") and body.endswith("\n```")
    assert body.count("```") == 2


def test_long_replies_are_split_and_the_buttons_go_last() -> None:
    reply = Reply("word " * 900, options=(Option("a=1", "One"),), draft="x" * 3000)
    messages = render_reply(reply)
    assert len(messages) >= 4
    assert all(len(m.content) <= MAX_CONTENT for m in messages)
    assert [m.view is not None for m in messages] == [False] * (len(messages) - 1) + [True]


def test_up_to_ten_options_are_buttons_more_are_a_menu() -> None:
    ten = tuple(
        Option(f"q={n}", f"Answer {n}", "primary" if n == 0 else "default") for n in range(10)
    )
    (buttons,) = render_reply(Reply("Pick", options=ten))
    assert buttons.view is not None
    items = buttons.view.children
    assert all(isinstance(i, ChoiceButton) for i in items)
    assert [i.custom_id for i in items] == [f"notnow:q={n}" for n in range(10)]

    (menu,) = render_reply(Reply("Pick", options=(*ten, Option("q=10", "Answer 10"))))
    assert menu.view is not None
    (item,) = menu.view.children
    assert isinstance(item, ChoiceMenu) and len(item.item.options) == 11


def test_a_value_too_long_for_a_custom_id_goes_into_a_menu() -> None:
    (message,) = render_reply(Reply("Pick", options=(Option("v" * 99, "Long"),)))
    assert message.view is not None and isinstance(message.view.children[0], ChoiceMenu)


def test_the_export_file_and_the_nudge_nonce() -> None:
    (message,) = render_reply(
        Reply("", file=ExportFile("notnow.json", '{"a": 1}'), nudge_id="n" * 40)
    )
    file = message.discord_file()
    assert file is not None and file.filename == "notnow.json"
    assert message.nonce == nonce_for("n" * 40) and len(message.nonce or "") == 25
    assert nonce_for("short") == "short"


def test_the_chosen_label_is_escaped_and_fits() -> None:
    assert chosen_note("Q?", "@everyone") == "Q?\n\nYou chose: **@\u200beveryone**"
    assert len(chosen_note("x" * 2000, "Yes")) == MAX_CONTENT

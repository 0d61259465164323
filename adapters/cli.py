"""The ``notnow`` command: one entry point for every adapter and every admin task."""

from __future__ import annotations

import getpass
import logging
import sys

import click

from bot.content_loader import ContentErrors
from bot.interfaces import StoreError
from bot.settings import Settings

__all__ = ["main"]


def _settings() -> Settings:
    return Settings()


def _fail(message: str) -> None:
    click.echo(f"notnow: {message}", err=True)
    sys.exit(2)


def _coach(settings: Settings):  # type: ignore[no-untyped-def]
    from bot.app import build_coach

    try:
        return build_coach(settings)
    except ContentErrors as exc:
        _fail(f"the content in {settings.content_dir} has problems:\n{exc}")
    except StoreError as exc:
        _fail(str(exc))


@click.group()
@click.option("--verbose", "-v", is_flag=True, help="Log debug output.")
def main(verbose: bool) -> None:
    """notnow: turn a job rejection's "no" into a "not now"."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@main.command()
@click.option("--user", default=None, help="Whose conversation this is (default: your login).")
def console(user: str | None) -> None:
    """Talk to the coach in this terminal (no tokens, no network)."""
    from adapters.console import ConsoleAdapter
    from bot.messages import UserRef

    coach = _coach(_settings())
    who = UserRef(platform="console", workspace="local", user=user or getpass.getuser())
    try:
        ConsoleAdapter(coach, user=who).run()
    except KeyboardInterrupt:
        click.echo("\nBye for now. Your progress is saved.")
    finally:
        coach.store.close()


@main.group()
def content() -> None:
    """Work with the coaching content."""


@content.command("check")
def content_check() -> None:
    """Validate the content folder (NOTNOW_CONTENT_DIR) and say what is wrong, where."""
    from bot.app import load_checked_content

    settings = _settings()
    try:
        loaded = load_checked_content(settings)
    except ContentErrors as exc:
        click.echo(f"{len(exc.errors)} problem(s) in {settings.content_dir}:", err=True)
        for error in exc.errors:
            click.echo(f"  {error}", err=True)
        sys.exit(1)
    steps = sum(len(flow.steps) for flow in loaded.flows.values())
    click.echo(f"content OK: {settings.content_dir} ({len(loaded.flows)} flows, {steps} steps, "
               f"{len(loaded.templates)} templates)")


@main.group()
def nudges() -> None:
    """Inspect and send scheduled check-ins."""


@nudges.command("list")
@click.option("--user", "user_key", default=None, help="Only this person (platform:team:user).")
def nudges_list(user_key: str | None) -> None:
    """Upcoming and recent nudges with their state (opens the store read-only)."""
    from bot.storage import open_store

    store = open_store(_settings().db, read_only=True)
    rows = [store.read("nudges", key) for key in store.keys("nudges")]
    shown = sorted((r for r in rows if r and (user_key is None or r["user"] == user_key)),
                   key=lambda r: r["due_at"])
    if not shown:
        click.echo("no nudges")
        return
    click.echo(f"{'due (UTC)':<26} {'state':<10} {'kind':<18} {'tries':>5}  user")
    for row in shown:
        click.echo(f"{row['due_at'][:25]:<26} {row['state']:<10} {row['kind']:<18} "
                   f"{row.get('attempts', 0):>5}  {row['user']}")


if __name__ == "__main__":
    main()

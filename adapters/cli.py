"""The ``notnow`` command: one entry point for every adapter and every admin task."""

from __future__ import annotations

import asyncio
import getpass
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from bot.interfaces import Clock, Store, StoreError
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.conversation.engine import Coach

__all__ = ["main"]


def _settings() -> Settings:
    return Settings()


def _fail(message: str) -> NoReturn:
    click.echo(f"notnow: {message}", err=True)
    sys.exit(2)


def _open_store(settings: Settings, *, lock_timeout: float, in_use: str | None) -> Store:
    """The store, or a clear message and exit. ``in_use`` (with ``{root}``) replaces the
    store's own words when another process holds the data."""
    from bot.storage import open_store
    from bot.storage.tinydb_store import StoreInUseError

    try:
        return open_store(settings.db, lock_timeout=lock_timeout)
    except StoreInUseError as exc:
        if in_use is None:
            _fail(str(exc))
        click.echo(in_use.format(root=exc.root), err=True)
        sys.exit(1)
    except StoreError as exc:
        _fail(str(exc))


def _coach(settings: Settings, *, clock: Clock | None = None, lock_timeout: float = 10.0,
           in_use: str | None = None) -> Coach:
    """The coach, or a clear message and exit. The store is opened before the content is
    loaded (and the engine imported), so data in use elsewhere is said at once."""
    store = _open_store(settings, lock_timeout=lock_timeout, in_use=in_use)
    from bot.app import build_coach
    from bot.content.loader import ContentErrors

    try:
        return build_coach(settings, clock=clock, store=store)
    except ContentErrors as exc:
        store.close()
        _fail(f"the content in {settings.content_dir} has problems:\n{exc}")


@click.group()
@click.option("--verbose", "-v", is_flag=True, help="Log debug output.")
def main(verbose: bool) -> None:
    """notnow: turn a job rejection's "no" into a "not now"."""
    from bot.ops.logs import configure_logging

    settings = _settings()
    configure_logging(level=logging.DEBUG if verbose else logging.INFO,
                      json_lines=settings.log_format == "json", salt=settings.log_salt)


#: how long a console waits for data another process holds: long enough for one that is
#: just closing, short enough that a second console is told at once
CONSOLE_LOCK_WAIT = 0.2
CONSOLE_IN_USE = ("Another notnow is already open on this data ({root}), perhaps a console "
                  "in another terminal. Close it first, or point NOTNOW_DB somewhere else.")


@main.command()
@click.option("--user", default=None, help="Whose conversation this is (default: your login).")
@click.option("--export-dir", type=click.Path(file_okay=False, path_type=Path),
              default=".", show_default=True, envvar="NOTNOW_EXPORT_DIR", show_envvar=True,
              help="The folder `export` (and `report`) save their files in.")
def console(user: str | None, export_dir: Path) -> None:
    """Talk to the coach in this terminal (no tokens, no network)."""
    coach = _coach(_settings(), lock_timeout=CONSOLE_LOCK_WAIT, in_use=CONSOLE_IN_USE)
    from adapters.console import ConsoleAdapter  # after the store: data in use is said at once
    from bot.messages import UserRef

    who = UserRef(platform="console", workspace="local", user=user or getpass.getuser())
    try:
        ConsoleAdapter(coach, user=who, export_dir=export_dir).run()
    except KeyboardInterrupt:
        click.echo("\nBye for now. Your progress is saved.")
    finally:
        coach.store.close()


def _serve(settings: Settings, *, slack: bool, discord: bool, port: int = 3000,
           sync: bool = False) -> None:
    from adapters.serve import serve

    coach = _coach(settings)
    try:
        asyncio.run(serve(settings, coach, slack=slack, discord=discord, slack_port=port,
                          discord_sync=sync))
    except ValueError as exc:  # a missing token or secret, named by the adapter
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot listen on port {port}: {exc}")
    finally:
        coach.store.close()


@main.command()
@click.option("--port", default=3000, show_default=True, help="HTTP port (HTTP mode).")
def slack(port: int) -> None:
    """Run the Slack app with the nudge scheduler: Socket Mode when SLACK_APP_TOKEN is
    set, else HTTP on /slack/events (with /healthz)."""
    settings = _settings()
    if not (settings.slack_bot_token or settings.slack_client_id):
        _fail("set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (see deploy/slack-howto.md)")
    _serve(settings, slack=True, discord=False, port=port)


@main.command()
@click.option("--sync", is_flag=True, help="Re-register /notnow with Discord even if unchanged.")
def discord(sync: bool) -> None:
    """Run the Discord bot (DISCORD_TOKEN) with the nudge scheduler."""
    settings = _settings()
    if not settings.discord_token:
        _fail("set DISCORD_TOKEN (see deploy/discord-howto.md)")
    _serve(settings, slack=False, discord=True, sync=sync)


@main.command()
@click.option("--port", default=3000, show_default=True, help="Slack HTTP port (HTTP mode).")
def serve(port: int) -> None:
    """Every configured adapter (Slack, Discord) and the nudge scheduler in one process:
    the recommended single-machine deployment, since one process owns the TinyDB data."""
    settings = _settings()
    slack_on = bool(settings.slack_bot_token or settings.slack_client_id)
    if not (slack_on or settings.discord_token):
        _fail("nothing to serve: set SLACK_BOT_TOKEN (and SLACK_SIGNING_SECRET or "
              "SLACK_APP_TOKEN) and/or DISCORD_TOKEN")
    _serve(settings, slack=slack_on, discord=bool(settings.discord_token), port=port)


@main.group()
def content() -> None:
    """Work with the coaching content."""


@content.command("check")
def content_check() -> None:
    """Validate the content folder (NOTNOW_CONTENT_DIR) and say what is wrong, where."""
    from bot.app import load_checked_content
    from bot.content.loader import ContentErrors

    settings = _settings()
    try:
        loaded = load_checked_content(settings)
    except ContentErrors as exc:
        click.echo(f"{len(exc.errors)} problem(s) in {settings.content_dir}:", err=True)
        for error in exc.errors:
            click.echo(f"  {error}", err=True)
        sys.exit(1)
    for note in loaded.notes:
        click.echo(f"note: {note}")
    steps = sum(len(flow.steps) for flow in loaded.flows.values())
    click.echo(f"content OK: {settings.content_dir} ({len(loaded.flows)} flows, {steps} steps, "
               f"{len(loaded.templates)} templates)")


@main.command()
def doctor() -> None:
    """Check settings, content, the database and the tokens, and say what to fix."""
    from adapters.doctor import run_checks

    findings = run_checks(_settings())
    for finding in findings:
        click.echo(finding.line())
    if not all(f.ok for f in findings):
        sys.exit(1)


@main.group()
def db() -> None:
    """Work with the database."""


@db.command("migrate")
@click.option("--from", "source", required=True, metavar="PATH_OR_URL",
              help="The store to copy from (a TinyDB folder or postgresql://...).")
@click.option("--to", "target", required=True, metavar="PATH_OR_URL",
              help="The store to copy into; it must be empty.")
def db_migrate(source: str, target: str) -> None:
    """Copy every record between stores (TinyDB to PostgreSQL and back), verified by counts.
    Stop the bot first: TinyDB allows one process at a time."""
    from bot.storage import open_store
    from bot.storage.migrate import copy_store

    try:
        src = open_store(source, read_only=True)
        dst = open_store(target)
    except StoreError as exc:
        _fail(str(exc))
    try:
        report = copy_store(src, dst)
    except StoreError as exc:
        _fail(str(exc))
    finally:
        src.close()
        dst.close()
    click.echo(report.table())
    if not report.ok:
        _fail("counts differ: the copy is incomplete")
    click.echo(f"copied {sum(s for s, _ in report.counts.values())} records: counts match")


@main.group()
def nudges() -> None:
    """Inspect and send scheduled check-ins."""


@nudges.command("send-due")
@click.option("--now", "now_text", default=None, metavar="ISO-8601",
              help="Dispatch as if it were this moment (default: now).")
def nudges_send_due(now_text: str | None) -> None:
    """Send every nudge due now, once, then exit (for cron, and for tests)."""
    from bot.clock import ManualClock, SystemClock

    clock: ManualClock | SystemClock = SystemClock()
    if now_text:
        try:
            when = datetime.fromisoformat(now_text)
        except ValueError:
            _fail(f"--now {now_text!r} is not an ISO-8601 time, e.g. 2026-12-01T09:30:00+00:00")
        clock = ManualClock(when if when.tzinfo else when.replace(tzinfo=UTC))
    settings = _settings()
    coach = _coach(settings, clock=clock)
    from adapters.serve import send_due_once

    try:
        report = asyncio.run(send_due_once(settings, coach))
    finally:
        coach.store.close()
    click.echo(report.summary())
    for error in report.errors:
        click.echo(f"  error: {error}", err=True)
    if report.errors:
        sys.exit(1)


@nudges.command("list")
@click.option("--user", "user_key", default=None, help="Only this person (platform:team:user).")
def nudges_list(user_key: str | None) -> None:
    """Upcoming and recent nudges with their state (opens the store read-only)."""
    from bot.nudges.book import NudgeBook
    from bot.storage import open_store

    store = open_store(_settings().db, read_only=True)
    rows = NudgeBook(store).all()
    store.close()
    shown = sorted((r for r in rows if user_key is None or r["user"] == user_key),
                   key=lambda r: r["due_at"])
    if not shown:
        click.echo("no nudges")
        return
    click.echo(f"{'due (UTC)':<26} {'state':<10} {'kind':<18} {'tries':>5}  "
               f"{'user':<28} last error")
    for row in shown:
        click.echo(f"{row['due_at'][:25]:<26} {row['state']:<10} {row['kind']:<18} "
                   f"{row.get('attempts', 0):>5}  {row['user']:<28} {row.get('last_error') or ''}")


@main.command("report")
@click.option("--format", "fmt", type=click.Choice(["html", "csv", "json"]), default="html",
              show_default=True, help="What to write.")
@click.option("--workspace", default=None, metavar="PLATFORM:ID",
              help="One workspace or server (slack:T024BE7LH, discord:discord); default: all.")
@click.option("--since", default=None, metavar="YYYY-MM", help="First month (default: 11 "
              "months before --until).")
@click.option("--until", default=None, metavar="YYYY-MM",
              help="Last month, included (default: this month).")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file (default: standard output).")
def report_command(fmt: str, workspace: str | None, since: str | None, until: str | None,
           output: str | None) -> None:
    """The anonymous impact report: counts only, every small figure shown as "fewer than
    5" (opens the store read-only)."""
    from bot.clock import SystemClock
    from bot.report.build import build_report
    from bot.report.formats import render
    from bot.storage import open_store

    try:
        store = open_store(_settings().db, read_only=True)
    except StoreError as exc:
        _fail(str(exc))
    try:
        built = build_report(store, clock=SystemClock(), workspace=workspace, since=since,
                             until=until)
    except ValueError as exc:
        _fail(str(exc))
    except StoreError as exc:
        _fail(str(exc))
    finally:
        store.close()
    text = render(built, fmt)
    if output is None:
        click.echo(text, nl=False)
        return
    with open(output, "w", encoding="utf-8") as file:
        file.write(text)


if __name__ == "__main__":
    main()

"""Hardening of the core against faults and hostile content (issue 15).

Each test here was written to see a defect the rest of the suite could not: personal data
left behind by ``forget``, a PostgreSQL restart, files others can read, a turn saved
over another process's change, a durable write missing an fsync, a template reaching
Python internals, and two dispatchers sharing one in-memory store.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import stat
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from jinja2.exceptions import SecurityError

from bot.clock import ManualClock
from bot.content.loader import Content, ContentErrors, load_content
from bot.content.templates import compile_template
from bot.conversation.actions import ACTIONS
from bot.conversation.context import build_context
from bot.conversation.engine import Coach
from bot.conversation.people import PEOPLE
from bot.interfaces import Op, Record, Store
from bot.messages import Reply, UserRef
from bot.nudges.book import NUDGES, NudgeBook
from bot.nudges.dispatcher import NudgeDispatcher
from bot.settings import DEFAULT_CONTENT_DIR
from bot.storage import MemoryStore, TinyDBStore, atomic_json
from bot.storage.atomic_json import AtomicJSONStorage
from tests.conversation import Conversation, log_rejection, skip_introduction
from tests.pg_server import PostgresServer, find_pg_bin
from tests.store_wrappers import DelegatingStore

SOMEONE = UserRef("test", "T1", "U1")
STORAGE_ERROR = "Something went wrong saving"


class SharedStore(DelegatingStore):
    """The store as a second bot process sees it: every call goes to the same backend,
    and ``after_read`` runs right after a record was read (``before_write`` right before
    one is written), which is where another process's change lands when two race."""

    def __init__(self, inner: Store) -> None:
        super().__init__(inner)
        self.after_read: Callable[[str, str], None] | None = None
        self.before_write: Callable[[str, str], None] | None = None

    def read(self, namespace: str, key: str) -> Record | None:
        record = self.inner.read(namespace, key)
        if self.after_read is not None:
            self.after_read(namespace, key)
        return record

    def write(self, namespace: str, key: str, record: Record) -> None:
        if self.before_write is not None:
            self.before_write(namespace, key)
        self.inner.write(namespace, key, record)

    def before_commit(self, ops: Sequence[Op]) -> None:
        for op in ops:
            if self.before_write is not None:
                self.before_write(op.namespace, op.key)


def once_after_reading(shared: SharedStore, namespace: str, key: str,
                       action: Callable[[], object]) -> None:
    """Run ``action`` (the other process's change) once, just after the next read of
    ``namespace/key`` through ``shared``."""
    def hook(read_namespace: str, read_key: str) -> None:
        if (read_namespace, read_key) == (namespace, key):
            shared.after_read = None
            action()

    shared.after_read = hook


def two_coaches(store: Store, content: Content, clock: ManualClock
                ) -> tuple[SharedStore, Conversation, Conversation]:
    """Two bot processes on one store: separate coaches (separate per-person locks), the
    same person talking to both."""
    shared = SharedStore(store)
    racing = Conversation(Coach(store=shared, content=content, clock=clock), SOMEONE)
    other = Conversation(Coach(store=store, content=content, clock=clock), SOMEONE)
    return shared, racing, other


def export_of(conv: Conversation) -> dict[str, object]:
    conv.command("export")
    file = conv.last[0].file
    assert file is not None
    data: dict[str, object] = json.loads(file.content)
    return data


# -- item 3: forget and export cover every record that names the person ---------------


def test_forget_and_export_cover_nudges_the_person_record_does_not_list(
        store: Store, content: Content, clock: ManualClock) -> None:
    shared, racing, other = two_coaches(store, content, clock)
    log_rejection(racing)
    racing.pick("Email")
    # While this turn plans its check-in, the other process changes the person: the save
    # loses the race and the turn runs again. Since issue 10 the lost attempt writes no
    # nudge at all (tests/test_turn_commit.py); a nudge the record does not list can
    # still be in a store from before, as the one written here directly stands for.
    once_after_reading(shared, PEOPLE, SOMEONE.key,
                       lambda: other.coach.set_display_name(SOMEONE, "Sam"))
    racing.pick("later")
    listed = set(racing.person["nudge_ids"])
    assert listed and set(store.keys(NUDGES)) == listed, "the lost attempt left a nudge"
    racing.coach.nudge_book.add({"id": "unlisted", "user": SOMEONE.key, "case": "c0",
                                 "kind": "connect", "due_at": clock.now().isoformat(),
                                 "state": "planned", "attempts": 0})
    orphans = {key for key in store.keys(NUDGES)} - listed
    assert orphans == {"unlisted"}

    exported = {nudge["id"] for nudge in export_of(racing)["nudges"]}  # type: ignore[attr-defined]
    assert exported == listed | orphans

    racing.command("forget")
    racing.pick("delete everything")
    assert "deleted all your data" in racing.text
    assert store.namespaces() == []  # no nudge, due entry or index entry is left


def test_forget_removes_and_export_includes_a_quarantined_record(
        tmp_path: Path, content: Content, clock: ManualClock) -> None:
    store = TinyDBStore(tmp_path / "db")
    conv = Conversation(Coach(store=store, content=content, clock=clock), SOMEONE)
    conv.coach.set_display_name(SOMEONE, "Sam Quarantine")
    log_rejection(conv)
    store.sync_files()
    [path] = (tmp_path / "db" / PEOPLE).glob("*/*.json")
    damaged = path.read_bytes()[:-7]  # a torn record: ids, display name, settings
    path.write_bytes(damaged)
    conv.command("start")
    assert "couldn't read your saved progress" in conv.text
    assert len(list(path.parent.glob("*.corrupt-*"))) == 1

    unreadable = export_of(conv)["unreadable_copies"]
    assert unreadable == [damaged.decode()]
    assert "Sam Quarantine" in unreadable[0]  # type: ignore[index]

    conv.command("forget")
    conv.pick("delete everything")
    left = [p for p in (tmp_path / "db").rglob("*") if p.is_file() and p.name != ".lock"]
    assert left == [], f"forget left {left}"
    store.close()


# -- item 5: a PostgreSQL restart under a running bot --------------------------------


@pytest.fixture
def restartable_postgres() -> Iterator[PostgresServer]:
    """A server of this test's own, so restarting it disturbs no other test."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql); .ci/run installs it")
    server = PostgresServer(bin_dir).start()
    yield server
    server.stop()


def test_a_postgres_restart_costs_no_turn_and_no_dispatch(
        restartable_postgres: PostgresServer, content: Content, clock: ManualClock) -> None:
    from bot.storage.postgres import PostgresStore

    store = PostgresStore(restartable_postgres.url, min_size=2, max_size=4)
    coach = Coach(store=store, content=content, clock=clock)
    people = [Conversation(coach, UserRef("test", "T1", f"U{n}")) for n in range(3)]
    for conv in people:
        log_rejection(conv)
    store.write("probe", "k", {"v": 1})

    restartable_postgres.restart()  # every pooled connection is now dead

    for conv in people:  # the first three DMs after the restart
        conv.pick("Email")
        assert STORAGE_ERROR not in conv.text and "Subject:" in (conv.draft or "")
    report = asyncio.run(NudgeDispatcher.using(coach, senders={}).send_due())
    assert report.errors == []
    assert store.read("probe", "k") == {"v": 1}
    assert store.replace("probe", "k", {"v": 2}, expected={"v": 1})
    assert set(store.keys("probe")) == {"k"} and "probe" in store.namespaces()
    store.delete("probe", "k")
    assert store.read_many("probe", ["k"]) == {}
    store.close()


# -- item 7: private files whatever the umask -------------------------------------------


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_data_files_are_0600_and_folders_0700_under_umask_022(
        tmp_path: Path, content: Content, clock: ManualClock, umask_022: None) -> None:
    root = tmp_path / "db"
    root.mkdir(mode=0o755)  # made by hand, or by an older version
    store = TinyDBStore(root)
    conv = Conversation(Coach(store=store, content=content, clock=clock), SOMEONE)
    log_rejection(conv)
    conv.pick("Email")
    conv.pick("later")  # plans a check-in: nudge records and index entries
    store.sync_files()
    [path] = (root / PEOPLE).glob("*/*.json")
    path.write_bytes(b"not json")
    conv.command("start")  # the unreadable record is moved aside
    skip_introduction(conv)
    assert list(path.parent.glob("*.corrupt-*"))
    store.close()

    modes = {p.relative_to(tmp_path): stat.S_IMODE(p.stat().st_mode)
             for p in [root, *root.rglob("*")]}
    wrong = {p: oct(mode) for p, mode in modes.items()
             if mode != (0o700 if (tmp_path / p).is_dir() else 0o600)}
    assert wrong == {}
    assert any(p.name == ".lock" for p in modes) and any(".corrupt-" in p.name for p in modes)


# -- item 16(b): a turn's save never overwrites another process's change -----------------


def test_a_turn_racing_a_safety_hold_does_not_undo_the_hold(
        store: Store, content: Content, clock: ManualClock) -> None:
    shared, racing, other = two_coaches(store, content, clock)
    log_rejection(racing)
    once_after_reading(shared, PEOPLE, SOMEONE.key,
                       lambda: other.send("I want to kill myself"))
    assert other.person is not None
    racing.pick("Email")
    assert racing.person["safety"] is not None, "the turn saved over the safety hold"
    assert "Subject:" not in (racing.draft or "")  # it ran again, on hold, with no draft


def test_a_turn_racing_a_forget_does_not_bring_the_data_back(
        store: Store, content: Content, clock: ManualClock) -> None:
    shared, racing, other = two_coaches(store, content, clock)
    log_rejection(racing)
    other.command("forget")

    def forget() -> None:
        other.pick("delete everything")
        assert "deleted all your data" in other.text

    once_after_reading(shared, PEOPLE, SOMEONE.key, forget)
    racing.pick("Email")
    person = store.read(PEOPLE, SOMEONE.key)
    assert person is None or not any(c.get("company") for c in person["cases"]), (
        "the turn saved the forgotten person back")


def test_a_turn_racing_the_dispatcher_keeps_the_day_s_nudge(
        store: Store, content: Content, clock: ManualClock) -> None:
    shared, racing, other = two_coaches(store, content, clock)
    log_rejection(racing)
    day = clock.now().date().isoformat()
    once_after_reading(shared, PEOPLE, SOMEONE.key, lambda: other.coach.people.update(
        SOMEONE, lambda person: person.update(last_nudge_day=day)))
    racing.pick("Email")
    assert racing.person["last_nudge_day"] == day, "a second check-in could go out today"


# -- item 13: moving a nudge never loses it -----------------------------------------------


def test_a_dispatcher_between_a_save_s_writes_neither_loses_nor_doubles_the_nudge(
        store: Store, clock: ManualClock) -> None:
    shared = SharedStore(store)
    planner_side, dispatcher_side = NudgeBook(shared), NudgeBook(store)
    planned = (clock.now() - timedelta(hours=2)).isoformat()
    planner_side.add({"id": "n1", "user": SOMEONE.key, "case": "c1", "kind": "connect",
                      "due_at": planned, "state": "planned", "attempts": 0})
    moved = planner_side.get("n1")
    assert moved is not None
    moved["due_at"] = (clock.now() - timedelta(hours=1)).isoformat()
    seen_mid_save: list[list[str]] = []

    def dispatch_now(namespace: str, key: str) -> None:
        if namespace == NUDGES:  # the entries are written; the record is next
            seen_mid_save.append([n["due_at"] for n in dispatcher_side.due(clock.now())])

    shared.before_write = dispatch_now
    planner_side.save(moved)
    assert seen_mid_save == [[planned]]  # still due once, as it was
    for _ in range(2):  # and after, once, at its new time, however often anyone looks
        assert [n["due_at"] for n in dispatcher_side.due(clock.now())] == [moved["due_at"]]
        clock.advance(hours=1)


# -- the claim's compare-and-set, without PostgreSQL ------------------------------------


class PairedReads(SharedStore):
    """Holds the first two reads of each person until both dispatchers have made them.
    A dispatcher reads the nudge, then the person, then claims: paired there, both have
    seen the nudge due and the person not yet nudged today, and only the claim's
    compare-and-set can pick one."""

    def __init__(self, inner: Store) -> None:
        super().__init__(inner)
        self._guard = threading.Lock()
        self._barriers: dict[str, threading.Barrier] = {}
        self._reads: dict[str, int] = {}
        self.after_read = self._pair

    def _pair(self, namespace: str, key: str) -> None:
        if namespace != PEOPLE:
            return
        with self._guard:
            self._reads[key] = self._reads.get(key, 0) + 1
            barrier = self._barriers.setdefault(key, threading.Barrier(2, timeout=10))
            first_two = self._reads[key] <= 2
        if first_two:
            barrier.wait()


class SentLog:
    platform = "test"

    def __init__(self, sent: list[str]) -> None:
        self.sent = sent

    async def deliver(self, user: UserRef, replies: Sequence[Reply], *, nudge_id: str,
                      dm_channel: str | None = None) -> None:
        await asyncio.sleep(0.01)  # a platform round trip, while the other one goes on
        self.sent.append(nudge_id)

    async def was_delivered(self, user: UserRef, nudge_id: str) -> bool | None:
        return nudge_id in self.sent


def test_two_dispatchers_on_one_memory_store_send_each_nudge_once(
        content: Content, clock: ManualClock) -> None:
    store = MemoryStore()
    people = [Conversation(Coach(store=store, content=content, clock=clock),
                           UserRef("test", "T1", f"U{n}")) for n in range(3)]
    for conv in people:
        log_rejection(conv)
        conv.pick("Email")
        conv.pick("later")
    clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))  # a Tuesday, in the window
    shared = PairedReads(store)
    sent: list[str] = []
    coaches = [Coach(store=shared, content=content, clock=clock) for _ in range(2)]
    dispatchers = [NudgeDispatcher.using(coach, senders={"test": SentLog(sent)})
                   for coach in coaches]
    due = {n["id"] for n in coaches[0].nudge_book.due(clock.now())}
    assert len(due) >= 3
    threads = [threading.Thread(target=asyncio.run, args=(d.send_due(),)) for d in dispatchers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(sent) == len(set(sent)) == len(people), f"sent {sent}"  # one each, once


# -- item 16(c): the durable write's order -------------------------------------------------


def record_durability_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """Record every fsync (with the path and size of what it flushed), rename and replace."""
    calls: list[tuple[str, ...]] = []
    real_fsync, real_replace, real_rename = os.fsync, os.replace, os.rename

    def fsync(fd: int) -> None:
        path = os.readlink(f"/proc/self/fd/{fd}")
        info = os.fstat(fd)
        size = "dir" if stat.S_ISDIR(info.st_mode) else str(info.st_size)
        calls.append(("fsync", path, size))
        real_fsync(fd)

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls.append(("replace", str(src), str(dst)))
        real_replace(src, dst)

    def rename(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls.append(("rename", str(src), str(dst)))
        real_rename(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "rename", rename)
    return calls


def test_a_write_is_logged_and_synced_before_its_file_then_written_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commit log (issue 13): the write is durable once its log frame is
    fdatasynced; the record file is replaced when its log segment is written back (here,
    at close), and synced with its folder before the segment is deleted."""
    store = TinyDBStore(tmp_path / "db")
    store.write(PEOPLE, "slack:T1:U1", {"v": 1})  # its folders exist from now on
    store.sync_files()
    [path] = (tmp_path / "db" / PEOPLE).glob("*/*.json")
    calls = record_durability_calls(monkeypatch)
    real_syncfs = atomic_json._SYNCFS
    if real_syncfs is not None:
        monkeypatch.setattr(atomic_json, "_SYNCFS", lambda fd: (
            calls.append(("syncfs", os.readlink(f"/proc/self/fd/{fd}"), "dir")),
            real_syncfs(fd))[-1])
    real_fdatasync = os.fdatasync
    monkeypatch.setattr(os, "fdatasync", lambda fd: (
        calls.append(("fdatasync", os.readlink(f"/proc/self/fd/{fd}"),
                      str(os.fstat(fd).st_size))), real_fdatasync(fd))[-1])
    store.write(PEOPLE, "slack:T1:U1", {"v": 2, "name": "Zoë"})
    # Durable in the log (a new segment: its folder is fsynced first, then the frame);
    # the record file is untouched.
    assert [c[:2] for c in calls] == [("fsync", str(tmp_path / "db" / ".log")),
                                      ("fdatasync", calls[1][1])]
    assert Path(calls[1][1]).parent == tmp_path / "db" / ".log"
    store.close()  # closes the segment and writes it back
    [(_, tmp, _)] = [c for c in calls if c[0] == "replace"]
    assert Path(tmp).parent == tmp_path / "db" / ".tmp"
    assert calls[2][0] == "replace"  # durable, then applied
    del calls[:1]  # the segment folder's fsync: the checks below count from the frame
    if atomic_json._SYNCFS is not None:  # one syncfs of the store's filesystem
        assert calls[2:4] == [("syncfs", str(tmp_path / "db"), "dir"),
                              ("fsync", str(tmp_path / "db" / ".log"), "dir")]
    else:  # the file, then its folder
        size = str(path.stat().st_size)
        assert calls.index(("fsync", str(path), size)) < calls.index(
            ("fsync", str(path.parent), "dir"))
    assert not (tmp_path / "db" / ".log").exists()  # written back, the log is gone


def test_a_new_folder_is_made_durable_before_the_record_in_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a" / "b" / "record.json"
    (tmp_path / "tmp").mkdir()
    calls = record_durability_calls(monkeypatch)
    AtomicJSONStorage(target, tmp_dir=tmp_path / "tmp").write({"_default": {}})
    renamed = next(i for i, c in enumerate(calls) if c[0] == "replace")
    folders_synced = {c[1] for c in calls[:renamed] if c[0] == "fsync" and c[2] == "dir"}
    assert {str(tmp_path), str(tmp_path / "a")} <= folders_synced
    assert calls[renamed + 1:] == [("fsync", str(target.parent), "dir")]


# -- item 16(d): templates cannot reach Python internals or change data -------------------


HOSTILE = [
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ case.update({'company': 'pwned'}) }}",
    "{{ improvements.append('pwned') }}",
    "{% if false %}{{ ''.__class__.__mro__[1].__subclasses__() }}{% endif %}",
    "{{ case['__class__'] }}",
]
DYNAMIC = [  # names built at render time: only the sandbox can stop these
    "{{ '' | attr('__cla' ~ 'ss__') }}",
    "{{ (case | attr('upd' ~ 'ate'))({'company': 'pwned'}) }}",
    "{{ (improvements | attr('app' ~ 'end'))('pwned') }}",
]


def content_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, copy)
    return copy


def with_text(folder: Path, template: str) -> None:
    coach = folder / "coach.yaml"
    source = coach.read_text()
    assert "\n  welcome: |\n" in source
    coach.write_text(source.replace("\n  welcome: |\n",
                                    f"\n  probe: {json.dumps(template)}\n  welcome: |\n", 1))


@pytest.mark.parametrize("template", HOSTILE + DYNAMIC)
def test_content_check_refuses_a_template_that_reaches_internals_or_changes_data(
        tmp_path: Path, template: str) -> None:
    folder = content_copy(tmp_path)
    with_text(folder, template)
    with pytest.raises(ContentErrors) as caught:
        load_content(folder, known_actions=ACTIONS)
    assert [e.key for e in caught.value.errors] == ["texts.probe"]


def test_content_check_refuses_a_condition_that_changes_data(tmp_path: Path) -> None:
    folder = content_copy(tmp_path)
    flow = folder / "flows" / "compose.yaml"
    original = flow.read_text()
    changed = original.replace('skip_if: "case.get(\'pasted\')"',
                               "skip_if: \"case.update({'contact': 'x'})\"")
    assert changed != original  # the hostile condition really is in the copy
    flow.write_text(changed)
    with pytest.raises(ContentErrors, match="skip_if"):
        load_content(folder, known_actions=ACTIONS)


@pytest.mark.parametrize("template", DYNAMIC)
def test_rendering_a_hostile_template_changes_nothing(
        content: Content, clock: ManualClock, template: str) -> None:
    coach = Coach(store=MemoryStore(), content=content, clock=clock)
    person = coach.people.fresh(SOMEONE)
    person["cases"].append({"id": "c1", "company": "Acme", "improvements": ["SQL"]})
    before = json.dumps(person, sort_keys=True)
    context = build_context(person, person["cases"][0], now=clock.now(),
                            upset_moods=content.coach.upset_moods)
    with pytest.raises(SecurityError):
        compile_template(template).render(context)
    assert json.dumps(person, sort_keys=True) == before

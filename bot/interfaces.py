"""The core's seams, in one place: where records live and what time it is.

Both are small on purpose (see STYLE.md, "Narrow storage"): per-person and per-case
state is built on top of :class:`Store` in :mod:`bot.conversation.people`, never inside a
backend, so a new backend only has to move JSON documents by key.
"""

from __future__ import annotations

import copy
import marshal
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar, cast

if TYPE_CHECKING:
    from bot.messages import Reply, UserRef

__all__ = [
    "UNCONDITIONAL",
    "Clock",
    "CorruptRecordError",
    "Delete",
    "DeliveryError",
    "NudgeSender",
    "Op",
    "Put",
    "Record",
    "Store",
    "StoreError",
    "copy_json",
]

Record = dict[str, Any]
#: what a store accepts to write: any JSON object, a typed record (bot.records) included
JsonObject = Mapping[str, Any]

_Json = TypeVar("_Json")


def copy_json(value: _Json) -> _Json:
    """A deep copy of a JSON value (dicts, lists and scalars): a record a turn changes
    without touching the one it read. Made by a ``marshal`` round trip, in C: 20 us for
    a finished person where ``copy.deepcopy``, which keeps a memo for shared and cyclic
    objects JSON cannot have, takes 90. Only this process reads what it dumps, so
    marshal's format, private to the interpreter, is no concern; a value it refuses (not
    JSON after all) is deep-copied the slow way."""
    try:
        return cast(_Json, marshal.loads(marshal.dumps(cast(Any, value))))
    except ValueError:
        return copy.deepcopy(value)


class StoreError(Exception):
    """The store could not do what was asked (locked by another process, disk full...)."""


class CorruptRecordError(StoreError):
    """A record exists but cannot be read. The unreadable bytes are kept aside, not deleted."""

    def __init__(self, namespace: str, key: str, kept_at: str | None) -> None:
        super().__init__(f"record {namespace}/{key} is unreadable (kept at {kept_at})")
        self.namespace = namespace
        self.key = key
        self.kept_at = kept_at


class _Unconditional:
    """The type of :data:`UNCONDITIONAL` (a sentinel, since ``None`` means "absent")."""

    _instance: _Unconditional | None = None

    def __new__(cls) -> _Unconditional:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNCONDITIONAL"


#: ``Put(..., expected=UNCONDITIONAL)``: write whatever is stored now
UNCONDITIONAL: Final = _Unconditional()


@dataclass(frozen=True, slots=True)
class Put:
    """Create or replace a record, in a :meth:`Store.commit`. ``expected``: the record
    as the writer read it (``None``: it must not exist); the whole commit is refused if
    the stored one differs. :data:`UNCONDITIONAL` (the default) writes regardless."""

    namespace: str
    key: str
    record: JsonObject
    expected: JsonObject | _Unconditional | None = UNCONDITIONAL


@dataclass(frozen=True, slots=True)
class Delete:
    """Remove a record (and its unreadable copies, as :meth:`Store.delete`), in a
    :meth:`Store.commit`. Removing one that does not exist is not an error."""

    namespace: str
    key: str


Op = Put | Delete


class Store(ABC):
    """JSON documents addressed by (namespace, key).

    Every method is safe to call from several threads of one process. A write is durable
    when the call returns: a crash right after it never loses it, a crash during it
    leaves the previous version.
    """

    #: how many threads can usefully wait on this store at once (turns waiting for
    #: their commit); adapters size their worker pool by it
    workers: int = 8
    #: whether :meth:`lease` hands disjoint batches to dispatchers sharing the store;
    #: a store only one process writes does not, and is read in one ordered pass
    leases: bool = False

    @abstractmethod
    def read(self, namespace: str, key: str) -> Record | None:
        """The record, or ``None`` if there is none.

        :raises CorruptRecordError: the stored bytes cannot be parsed.
        """

    @abstractmethod
    def write(self, namespace: str, key: str, record: JsonObject) -> None:
        """Create or replace a record.

        :raises StoreError: the write could not be made durable.
        """

    @abstractmethod
    def delete(self, namespace: str, key: str) -> None:
        """Remove a record, and every unreadable copy of it kept aside (see
        :meth:`kept_aside`): ``forget`` must leave nothing of a person behind. Removing
        one that does not exist is not an error."""

    def kept_aside(self, namespace: str, key: str) -> list[str]:
        """The text of unreadable copies of a record that were moved aside
        (:class:`CorruptRecordError`), oldest first, for ``export``. A backend that never
        keeps any returns none."""
        return []

    def add(self, namespace: str, key: str, record: JsonObject) -> bool:
        """Create a record only if the key is free; ``True`` if this call created it."""
        return self.replace(namespace, key, record, expected=None)

    def replace(self, namespace: str, key: str, record: JsonObject, *,
                expected: JsonObject | None) -> bool:
        """Write only if the stored record still equals ``expected`` (``None``: absent).

        This is how two processes sharing a backend avoid overwriting each other (a nudge
        claimed twice, a turn saved over another). The default is atomic within one
        process, because backends serialise their writes; a backend that several
        processes share overrides it with one atomic statement.
        """
        if self.read(namespace, key) != expected:
            return False
        self.write(namespace, key, record)
        return True

    def commit(self, ops: Sequence[Op]) -> bool:
        """Apply ``ops`` in order, all or none, durably: the one write a turn makes
        (the person, the check-ins it plans or cancels, the event it acted on) and the
        one a dispatcher makes per claim or mark. Returns ``False``, having written
        nothing, when a :class:`Put`'s ``expected`` does not hold.

        A crash during the call leaves either every op applied or none; once it
        returns ``True``, no crash loses any of them. A key appears at most once in a
        commit with an ``expected`` (where its check would see the commit's own earlier
        ops is left to the backend).

        The default checks and then writes one op at a time: correct only for a backend
        whose writer is alone and never crashes (a test double). Every real backend
        overrides it.

        :raises StoreError: the commit could not be made durable (nothing was applied,
            or, if the backend cannot tell, the caller must treat it as unknown).
        """
        for op in ops:
            if isinstance(op, Put) and not isinstance(op.expected, _Unconditional) and (
                    self.read(op.namespace, op.key) != op.expected):
                return False
        for op in ops:
            if isinstance(op, Put):
                self.write(op.namespace, op.key, op.record)
            else:
                self.delete(op.namespace, op.key)
        return True

    def keys_through(self, namespace: str, last: str, *, after: str = "") -> Iterator[str]:
        """Keys ``k`` with ``after < k <= last``, in ascending order, read lazily: the
        nudge dispatcher's due index is keyed by time, so a pass reads only what is due
        and can start on the first entries before the last are read. A backend lays
        such a namespace out so this does not list the whole namespace; the default
        (for test doubles) does."""
        return iter(sorted(k for k in self.keys(namespace) if after < k <= last))

    def lease(self, namespace: str, *, after: str, through: str, limit: int, holder: str,
              now: str, until: str) -> list[str]:
        """Up to ``limit`` keys in ``(after, through]``, ascending, that no other
        ``holder`` has leased (or whose lease ended by ``now``), now leased to
        ``holder`` until ``until``. Several dispatchers sharing a database take disjoint
        batches of the due index this way (PostgreSQL: ``FOR UPDATE SKIP LOCKED``)
        instead of racing for every check-in. A store only one process writes has
        nobody to share with: the default leases nothing and returns the keys."""
        keys: list[str] = []
        for key in self.keys_through(namespace, through, after=after):
            keys.append(key)
            if len(keys) >= limit:
                break
        return keys

    def read_many(self, namespace: str, keys: Sequence[str]) -> dict[str, Record]:
        """The records that exist among ``keys``; a backend may fetch them in one go."""
        found = ((key, self.read(namespace, key)) for key in keys)
        return {key: record for key, record in found if record is not None}

    @abstractmethod
    def keys(self, namespace: str) -> Iterator[str]:
        """Every key in a namespace, in no particular order."""

    @abstractmethod
    def namespaces(self) -> list[str]:
        """Every namespace holding at least one record (for copying a whole store)."""

    def close(self) -> None:  # noqa: B027 - a no-op default is the right default
        """Release files, locks and connections."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Clock(Protocol):
    """What time it is, always timezone-aware UTC. Injected so tests move time, not sleep."""

    def now(self) -> datetime: ...


class DeliveryError(Exception):
    """A platform refused a message. ``retryable`` says whether trying later can help:
    closed DMs or a revoked token may be fixed; a user who left the workspace will not be.
    """

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class NudgeSender(Protocol):
    """How the dispatcher reaches people on one platform; adapters implement it."""

    platform: str

    async def deliver(self, user: UserRef, replies: Sequence[Reply], *, nudge_id: str,
                      dm_channel: str | None = None) -> None:
        """Send a nudge to the person's DM, tagged with ``nudge_id`` where the platform
        allows (Slack message metadata, a Discord nonce). ``dm_channel``: that DM's id
        as the platform opened it at one of the person's turns (kept in their record),
        so it need not be opened again; a platform may ignore it.

        :raises DeliveryError: the platform refused it.
        """

    async def was_delivered(self, user: UserRef, nudge_id: str) -> bool | None:
        """Whether a message tagged ``nudge_id`` already reached the person; ``None``
        when the platform offers no way to tell."""

"""Wake the nudge dispatcher on a timer: APScheduler, kept behind a small class of ours.

APScheduler 3 removes a one-off job from its store before running it and drops a run
that is more than ``misfire_grace_time`` late, so it is only ever the alarm clock here:
one interval job that rings a bell. Our own task hears the bell and asks the dispatcher
what is due *now*, according to the store. Owning that task means a shutdown can let a
pass finish instead of cancelling it halfway (which would leave a claimed nudge behind),
and rings that come while a pass runs fold into one more pass, never an overlap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.nudges.dispatcher import DispatchReport, NudgeDispatcher

__all__ = ["NudgeScheduler"]

log = logging.getLogger(__name__)

JOB_ID = "notnow-dispatch"


class NudgeScheduler:
    """``start()`` on a running event loop, ``await stop()`` to finish; ``wake()`` to
    dispatch right away (e.g. after a person resumes)."""

    def __init__(self, dispatcher: NudgeDispatcher, *, every_seconds: float = 60.0) -> None:
        self._dispatcher = dispatcher
        self._every = every_seconds
        self._scheduler: AsyncIOScheduler | None = None
        self._bell = asyncio.Event()
        self._pass_done = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._worker: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.passes = 0
        self.last_report: DispatchReport | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._worker = asyncio.create_task(self._work(), name="notnow-nudges")
        self._scheduler = AsyncIOScheduler(timezone=UTC, event_loop=self._loop)
        self._scheduler.add_job(
            self._ring, "interval", seconds=self._every, id=JOB_ID,
            next_run_time=datetime.now(UTC),  # catch up on what was missed while down
            coalesce=True, max_instances=1, misfire_grace_time=None,
        )
        self._scheduler.start()

    async def _ring(self) -> None:
        """The job APScheduler runs: a coroutine, so it runs on our loop, at once."""
        self._bell.set()

    def wake(self) -> None:
        """Ring the bell now instead of at the next tick; safe from any thread."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._bell.set)

    async def wait_for_pass(self, after: int) -> DispatchReport | None:
        """Wait until more than ``after`` passes have run; for tests and shutdown."""
        while self.passes <= after:
            self._pass_done.clear()
            await self._pass_done.wait()
        return self.last_report

    async def _work(self) -> None:
        while True:
            await self._bell.wait()  # parked here, cancelling the worker is harmless
            self._bell.clear()
            self._idle.clear()
            try:
                report = await self._dispatcher.send_due()
                if report.summary() != "nothing due":
                    log.info("nudge pass: %s", report.summary())
                self.last_report = report
            except Exception:  # a failed pass must not stop the next one
                log.exception("nudge pass failed")
            finally:
                self.passes += 1
                self._pass_done.set()
                self._idle.set()

    async def stop(self, *, timeout: float = 30.0) -> None:
        """Stop the timer; a pass in progress finishes first (up to ``timeout``)."""
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # let a ring APScheduler already submitted complete
        self._scheduler = None
        worker, self._worker = self._worker, None
        if worker is None:
            return
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.warning("a nudge pass was still running at shutdown")
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker

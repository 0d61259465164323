"""Wake the nudge dispatcher on a timer: APScheduler, kept behind a small class of ours.

APScheduler 3 removes a one-off job from its store before running it and drops a run
that is more than ``misfire_grace_time`` late, so it is only ever the alarm clock here:
one interval job that asks the dispatcher what is due *now*, according to the store.
Coalescing and ``max_instances=1`` make a slow pass delay the next one, never overlap it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.dispatcher import DispatchReport, NudgeDispatcher

__all__ = ["NudgeScheduler"]

log = logging.getLogger(__name__)

JOB_ID = "notnow-dispatch"


class NudgeScheduler:
    """``start()`` on a running event loop; ``wake()`` to dispatch right away."""

    def __init__(self, dispatcher: NudgeDispatcher, *, every_seconds: float = 60.0) -> None:
        self._dispatcher = dispatcher
        self._every = every_seconds
        self._scheduler: AsyncIOScheduler | None = None
        self.passes = 0
        self.last_report: DispatchReport | None = None
        self._pass_done = asyncio.Event()

    def start(self) -> None:
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._scheduler.add_job(
            self._pass, "interval", seconds=self._every, id=JOB_ID,
            next_run_time=datetime.now(UTC),  # catch up on what was missed while down
            coalesce=True, max_instances=1, misfire_grace_time=None,
        )
        self._scheduler.start()

    def wake(self) -> None:
        """Run a pass now instead of at the next tick (e.g. after a person resumes)."""
        if self._scheduler is not None:
            self._scheduler.modify_job(JOB_ID, next_run_time=datetime.now(UTC))

    async def wait_for_pass(self, after: int) -> DispatchReport | None:
        """Wait until more than ``after`` passes have run; for tests and shutdown."""
        while self.passes <= after:
            self._pass_done.clear()
            await self._pass_done.wait()
        return self.last_report

    async def _pass(self) -> None:
        try:
            report = await self._dispatcher.send_due()
            if report.summary() != "nothing due":
                log.info("nudge pass: %s", report.summary())
            self.last_report = report
        except Exception:  # a failed pass must not stop the timer
            log.exception("nudge pass failed")
        finally:
            self.passes += 1
            self._pass_done.set()

    def shutdown(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._scheduler = None

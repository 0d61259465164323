"""What every chat adapter needs and none should rebuild: the per-person turn runner,
profile sync, text layout and the adapter interface ``notnow serve`` loops over.

Nothing here imports a platform library; each adapter brings its own escaping and its
own way of asking the platform who someone is.
"""

from __future__ import annotations

from adapters.common.adapter import Adapter
from adapters.common.profile import Profile, ProfileSource, ProfileSync
from adapters.common.recent import RecentMap
from adapters.common.turns import CoachPort, PersonLocks, TurnRunner

__all__ = [
    "Adapter",
    "CoachPort",
    "PersonLocks",
    "Profile",
    "ProfileSource",
    "ProfileSync",
    "RecentMap",
    "TurnRunner",
]

"""Prometheus metrics: what operators watch (``/metrics`` in HTTP mode).

Counters live in prometheus_client's default registry, so every part of the process
(engine, dispatcher, adapters) adds to the same numbers without passing objects around.
Labels never carry a person's id: a metric series per person would be both a privacy
leak and a cardinality bomb.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

__all__ = [
    "CONTENT_TYPE_LATEST",
    "NUDGES_FAILED",
    "NUDGES_RETRYING",
    "NUDGES_SENT",
    "PLATFORM_API_ERRORS",
    "SAFETY_REFERRALS",
    "TURNS",
    "TURN_SECONDS",
    "render_metrics",
]

TURNS = Counter("notnow_turns", "Conversation turns handled by the engine", ["platform"])
TURN_SECONDS = Histogram(
    "notnow_turn_seconds", "Time the engine spent on one turn (load, think, save)",
    ["platform"], buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
NUDGES_SENT = Counter("notnow_nudges_sent", "Nudges delivered", ["platform"])
NUDGES_FAILED = Counter("notnow_nudges_failed", "Nudges given up on", ["platform"])
NUDGES_RETRYING = Counter("notnow_nudges_retrying", "Nudge deliveries to try again later",
                          ["platform"])
PLATFORM_API_ERRORS = Counter("notnow_platform_api_errors",
                              "Errors answered by a platform's API", ["platform", "error"])
SAFETY_REFERRALS = Counter("notnow_safety_referrals",
                           "Times the coaching paused to offer crisis resources")


def render_metrics() -> bytes:
    """The text exposition format of everything registered."""
    return generate_latest()

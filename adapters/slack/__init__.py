"""notnow in Slack: a Bolt app that translates Slack requests for the engine and back.

Entry points:

- :func:`start_slack` starts on a running event loop and returns a :class:`SlackService`
  to ``await service.stop()`` later; ``notnow serve`` runs it beside other adapters.
- :class:`SlackAdapter` is the same behind the adapter interface ``notnow serve`` uses.
- :func:`build_slack_app` is the bare Bolt app, for tests and custom servers.
"""

from __future__ import annotations

from adapters.slack.app import SlackConfigError, build_slack_app
from adapters.slack.service import SlackAdapter, SlackService, start_slack

__all__ = [
    "SlackAdapter",
    "SlackConfigError",
    "SlackService",
    "build_slack_app",
    "start_slack",
]

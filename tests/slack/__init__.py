"""Tests of the Slack adapter, over real loopback sockets against a Slack stand-in."""

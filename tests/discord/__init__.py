"""Discord adapter tests: the real discord.py client against a local Discord stand-in."""

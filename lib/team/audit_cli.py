"""`python -m lib audit [--since] [--person] [--action] [--json]`: see lib.team.cli."""

from lib.team.cli import audit_main as main

__all__ = ["main"]

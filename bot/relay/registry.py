"""The built-in staff commands, by name: the registry ``RelayService`` starts from (others add theirs)."""

from __future__ import annotations

from bot.relay.commands import StaffCommand, builtin_commands
from bot.relay.week_commands import week_commands


def default_registry() -> dict[str, StaffCommand]:
    return {c.name: c for c in [*builtin_commands(), *week_commands()]}

"""The channel-neutral conversation-state engine (imports no channel, database or scheduler)."""

from bot.engine.dispatch import Engine
from bot.engine.model import Button, Effects, Frame, Inbound, Outbound, ParticipantState

__all__ = ["Button", "Effects", "Engine", "Frame", "Inbound", "Outbound", "ParticipantState"]

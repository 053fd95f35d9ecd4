"""Safety: risk screening of participant text and answers, the crisis message, and log hygiene.

Pure code (no I/O, no YAML parsing): the engine may import it. Content is loaded by bot/content.
"""

from bot.safety.crisis import CrisisResources, SafetySite, StaffAvailability, crisis_message
from bot.safety.rules import SafetyRules
from bot.safety.screen import RiskHit, item_risk, level, screen

__all__ = [
    "CrisisResources",
    "RiskHit",
    "SafetyRules",
    "SafetySite",
    "StaffAvailability",
    "crisis_message",
    "item_risk",
    "level",
    "screen",
]

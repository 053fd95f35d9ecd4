"""The crisis message: the site's real numbers, and only claims that are true at that moment.

With a reachable staff chat the participant is told an alert is on its way to the team; with the staff
chat unreachable just now, that the team could not be reached; in no-staff mode, that nobody reads this
chat in real time. Either way the emergency number and a named crisis line come first. An urgent hit
gets the crisis text, a concern hit the warmer concern text of the same three kinds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from bot.safety.rules import SafetyRules


class SiteSafetySettings(Protocol):
    """The part of ``bot.settings.Settings`` this module reads (kept as a protocol: no settings import here)."""

    crisis_country: str
    emergency_number: str
    crisis_line_name: str
    crisis_line_number: str
    crisis_line_hours: str
    crisis_line_url: str
    staff_mode: str
    staff_chat_id: int | None


@dataclass(frozen=True)
class CrisisResources:
    """A site's crisis numbers (from settings; the defaults are Sweden's)."""

    country: str
    emergency_number: str
    line_name: str
    line_number: str
    line_hours: str = ""
    line_url: str = ""

    @classmethod
    def from_settings(cls, settings: SiteSafetySettings) -> CrisisResources:
        return cls(
            country=settings.crisis_country,
            emergency_number=settings.emergency_number,
            line_name=settings.crisis_line_name,
            line_number=settings.crisis_line_number,
            line_hours=settings.crisis_line_hours,
            line_url=settings.crisis_line_url,
        )

    def crisis_line(self) -> str:
        """One line naming the crisis line, e.g. "Mind Självmordslinjen, 90101 (open around the clock, mind.se)"."""
        extra = ", ".join(part for part in (self.line_hours, self.line_url) if part)
        return f"{self.line_name}, {self.line_number}" + (f" ({extra})" if extra else "")


class StaffAvailability(Enum):
    """Whether a human will see a safety alert: decides what the crisis message may promise."""

    TEAM = "team"  # a staff chat is configured and reachable
    UNREACHABLE = "unreachable"  # a staff chat is configured but refuses the bot just now (degraded mode)
    NONE = "none"  # explicit no-staff mode: nobody reads this chat in real time

    @classmethod
    def from_settings(cls, settings: SiteSafetySettings) -> StaffAvailability:
        """TEAM only when a staff chat is configured; ``icbt run`` also checks it is reachable before start."""
        return cls.TEAM if settings.staff_mode == "telegram" and settings.staff_chat_id is not None else cls.NONE


def crisis_message(
    resources: CrisisResources,
    staff: StaffAvailability,
    lang: str,
    safety: Mapping[str, SafetyRules],
    level: str = "urgent",
) -> str:
    """The participant's text for a hit of ``level`` in ``lang`` (else the first language loaded), with
    the numbers in ``resources`` and only the claim about the team that is true for ``staff``."""
    rules = safety.get(lang) or next(iter(safety.values()))
    replies = rules.crisis if level == "urgent" else rules.concern
    template = {
        StaffAvailability.TEAM: replies.with_staff,
        StaffAvailability.UNREACHABLE: replies.unreachable,
        StaffAvailability.NONE: replies.no_staff,
    }[staff]
    return template.format_map(
        {
            "emergency_number": resources.emergency_number,
            "crisis_line": resources.crisis_line(),
            "crisis_line_name": resources.line_name,
            "crisis_line_number": resources.line_number,
            "country": resources.country,
        }
    ).strip()


@dataclass
class StaffStatus:
    """Whether the staff group takes the bot's messages right now: set at start-up (``getChat``) and by
    the sender on every refusal or delivery there, read by the crisis message (degraded mode)."""

    chat_id: str
    reachable: bool = True

    def seen(self, chat_id: str, delivered: bool) -> None:
        if chat_id == self.chat_id:
            self.reachable = delivered


@dataclass(frozen=True)
class SafetySite:
    """What the engine needs from the site's settings to answer a risk hit (built once in bootstrap)."""

    resources: CrisisResources
    staff: StaffAvailability
    status: StaffStatus | None = None  # the staff group's reachability as the sender last saw it

    @classmethod
    def from_settings(
        cls, settings: SiteSafetySettings, status: StaffStatus | None = None, staff_posted: bool | None = None
    ) -> SafetySite:
        """``staff_posted``: whether this run posts to a staff chat at all (the demo's console staff view
        counts); None decides from the settings alone."""
        staff = StaffAvailability.from_settings(settings)
        if staff_posted is not None:
            staff = StaffAvailability.TEAM if staff_posted else StaffAvailability.NONE
        return cls(CrisisResources.from_settings(settings), staff, status)

    def staff_now(self) -> StaffAvailability:
        """The configured availability, or UNREACHABLE while the staff group refuses the bot."""
        if self.staff is StaffAvailability.TEAM and self.status is not None and not self.status.reachable:
            return StaffAvailability.UNREACHABLE
        return self.staff

    def crisis_message(
        self,
        lang: str,
        safety: Mapping[str, SafetyRules],
        level: str = "urgent",
        resources: CrisisResources | None = None,
        staff: StaffAvailability | None = None,
    ) -> str:
        """The site's message, or one with a participant's own country's ``resources`` and the team's
        reachability as it is now (``staff``)."""
        return crisis_message(resources or self.resources, staff or self.staff_now(), lang, safety, level)

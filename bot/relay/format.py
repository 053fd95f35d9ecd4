"""What the therapists read: topic names, items, reports and template drafts (pure formatting).

Everything is built from pseudonymous codes and the participant's own words; Telegram names and
account ids never appear. Texts come from ``content/relay/<lang>.yaml``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from statistics import fmean
from typing import Any
from zoneinfo import ZoneInfo

from bot.relay.content import RelayContent, Template

KIND_WORDS = {"question": "question", "free": "message", "report": "weekly report", "safety": "URGENT alert",
              "concern": "concern alert", "alert": "alert", "interview": "interview",
              "technical": "technical help"}  # fmt: skip


def item_kind(kind: str, source: str) -> str:
    """Safety records from before ``kind`` existed say so in their source ("SAFETY", "safety:<where>")."""
    if kind in ("safety", "concern"):
        return kind
    return "safety" if source.lower().startswith("safety") else kind


def found_text(data: Mapping[str, Any]) -> str:
    """What the screen found and where, from a safety record's data (never the words themselves)."""
    found = ", ".join(str(data[k]) for k in ("category", "phrase") if data.get(k)) or "risk"
    return f"{found} · in: {data.get('where', '?')}"


def contact_text(content: RelayContent, position: Mapping[str, Any] | None) -> str:
    """The participant's phone for safety calls and their GP or health centre, as they gave them at the
    application ("" when none were asked), ending in a blank line."""
    contact = (position or {}).get("safety_contact") or {}
    phone, doctor = contact.get("phone"), contact.get("doctor")
    if not phone and not doctor:
        return ""
    return content.text("contact", phone=phone or "not given", doctor=doctor or "not given") + "\n\n"


def topic_name(code: str, arm: str | None, week: int | None) -> str:
    parts = [code] + ([arm] if arm else []) + ([f"week {week + 1}"] if week is not None else [])
    return " · ".join(parts)[:128]


def when_text(moment: datetime | None, tz: str) -> str:
    if moment is None:
        return "none"
    return moment.astimezone(ZoneInfo(tz)).strftime("%a %d %b %H:%M")


def participant_when(moment: datetime, tz: str) -> str:
    """For the participant, in their zone: ``Tuesday 6 January, 17:00``."""
    local = moment.astimezone(ZoneInfo(tz))
    return f"{local:%A} {local.day} {local:%B}, {local:%H:%M}"


def where_text(source: str) -> str:
    if source == "free":
        return "free text"
    if source.startswith("@ask"):
        return "/ask"
    return f"step {source}"


def homework_text(content: RelayContent, homework: Any) -> str:
    """``[{"title": "Calm breathing", "done": true}, …]`` → ``2 of 3 done (✓ Calm breathing, …)``."""
    if not isinstance(homework, list) or not homework:
        return content.text("homework_none")
    done = sum(1 for h in homework if isinstance(h, dict) and h.get("done"))
    marks = ", ".join(f"{'✓' if h.get('done') else '✗'} {h.get('title', '?')}" for h in homework if isinstance(h, dict))
    return f"{done} of {len(homework)} done ({marks})"


def diary_summary(content: RelayContent, days: Mapping[date, float | None]) -> str:
    """Entries of the last seven days (one value per day: that day's average pain, if given)."""
    if not days:
        return content.text("no_diary")
    pains = [p for p in days.values() if p is not None]
    pain = content.text("diary_pain", mean=f"{fmean(pains):.1f}") if pains else ""
    return content.text("diary_summary", days=len(days), pain=pain)


def goals_text(content: RelayContent, goals: Sequence[str]) -> str:
    return "; ".join(goals) if goals else content.text("no_goals")


def item_post(
    content: RelayContent,
    *,
    kind: str,
    source: str,
    code: str,
    week: int | None,
    text: str,
    data: Mapping[str, Any],
    due: str,
    therapist: str,
    diary: str,
    contact: str = "",
) -> str:
    """The first post of an item in the participant's topic (a long one is split by the channel, never cut)."""
    week_text = "?" if week is None else str(week + 1)  # as the participant counts (see store.shown_week)
    if kind == "safety":
        body = content.text("urgent", code=code, text=text, found=found_text(data), contact=contact)
    elif kind == "concern":
        body = content.text("concern", code=code, week=week_text, text=text, found=found_text(data), due=due,
                            therapist=therapist, contact=contact)  # fmt: skip
    elif kind == "report":
        words = str(data.get("words") or text or "–")
        body = content.text("report", code=code, week=data.get("week", week_text), homework=homework_text(
            content, data.get("homework")), diary=data.get("diary_text") or diary, words=words, due=due,
            therapist=therapist)  # fmt: skip
    elif kind == "alert":
        body = content.text("alert", code=code, week=week_text, text=text)
    elif kind == "interview":
        body = content.text("interview", code=code, text=text, therapist=therapist)
    elif kind == "free":
        body = content.text("free", code=code, week=week_text, text=text, due=due, therapist=therapist)
    else:
        body = content.text("question", code=code, week=week_text, where=where_text(source), text=text, due=due,
                            therapist=therapist)  # fmt: skip
    return body


def fill_template(template: Template, **values: Any) -> str:
    return template.text.format(**values)


def lines(header: str, rows: Iterable[str], empty: str) -> str:
    body = list(rows)
    return "\n".join([header, *body]) if body else empty

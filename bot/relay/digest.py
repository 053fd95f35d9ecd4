"""The weekly drop-out digest: on Monday morning (site time), one post in the staff group's general
thread naming who to contact first — the participants with a high or medium drop-out risk, highest
first, with their therapist and the reasons.

Once a week: the post carries the dedup key ``dropout-digest:<chat>:<ISO year-week>`` (unique in the
outbox), and a pass that finds the key already written does nothing. A pass before Monday
``DIGEST_HOUR`` waits; a bot that was down on Monday posts at its first pass later that week.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.content.programme import Programme
from bot.relay.content import RelayContent
from bot.relay.dropout import LOW, describe
from bot.relay.dropout_store import risk_of, week_start
from bot.relay.store import RelayStore

log = logging.getLogger(__name__)
DIGEST_HOUR = 8  # local time on Monday from which the week's digest is posted
DIGEST_LINES = 20  # at most this many names: the digest says who first, /caseload has everyone


def digest_key(chat_id: str, now: datetime, timezone: str) -> str:
    year, week, _ = now.astimezone(ZoneInfo(timezone)).isocalendar()
    return f"dropout-digest:{chat_id}:{year}-W{week:02d}"


async def digest_text(store: RelayStore, content: RelayContent, programme: Programme | None, now: datetime) -> str:
    """The digest's words: who is at risk, highest first, or that nobody is."""
    ranked = []
    for assignment, participant in await store.assignments():
        if participant.status not in ("onboarding", "active") or participant.quarantined_at is not None:
            continue  # a quarantined record may not be readable; staff have its own alert
        try:
            risk = await risk_of(store, programme, participant, now)
        except Exception as exc:  # one unreadable record never keeps the digest from everyone else
            log.warning("drop-out risk of %s could not be read (%s); left out of the digest", participant.code,
                        type(exc).__name__)  # fmt: skip
            continue
        if risk.level != LOW:
            ranked.append((risk.rank, participant.id, participant.code or "?", assignment.therapist_id, risk))
    if not ranked:
        return content.text("dropout_digest_none")
    ranked.sort(key=lambda r: (r[0], r[1]))
    lines = [content.text("dropout_digest_header")]
    for _, _, code, therapist, risk in ranked[:DIGEST_LINES]:
        lines.append(content.text("dropout_digest_line", code=code, therapist=store.config.name_of(therapist),
                                  risk=describe(content, risk)))  # fmt: skip
    lines.append(content.text("dropout_digest_footer"))
    return "\n".join(lines)


async def post_digest(store: RelayStore, content: RelayContent, programme: Programme | None, now: datetime) -> bool:
    """Post this week's digest if it is due and not yet posted; True when posted now."""
    config = store.config
    due = week_start(now, config.timezone) + timedelta(hours=DIGEST_HOUR)
    key = digest_key(config.staff_chat_id, now, config.timezone)
    if now < due or await store.posted(key):
        return False
    text = await digest_text(store, content, programme, now)
    await store.post_staff(now, text, None, dedup_key=key)
    store.audit(None, "relay", "dropout_digest_posted", now, key=key)
    return True

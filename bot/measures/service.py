"""The service's side of the measures: store each administration's score and run the symptom check.

Called by ``ConversationService`` inside the event's transaction, after the engine decided and before
the state is saved, so a score, the answers it came from and any note to the therapist are written
together or not at all. Kept out of bot/conversation/service.py so the service stays one small edge.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from bot.content.programme import Programme
from bot.engine.charts import ChartWords, LookBack, LookBackChart
from bot.engine.model import Effects, Outbound, RelayRecord, ScoreRecord
from bot.measures.store import SCORES, insert_score
from bot.measures.symptoms import staff_text, symptom_check

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SymptomPolicy:
    """Which instrument is the symptom check (PHQ-9 unless the site chose another) and what rise is flagged."""

    instrument: str = "phq9"
    threshold: float = 5.0
    look_back_at: str = "week09"  # the check in this module also shows the participant their start and now


def record_scores(
    conn: Connection,
    programme: Programme,
    participant_id: int,
    code: str,
    language: str,
    effects: Effects,
    policy: SymptomPolicy,
    now: datetime,
) -> None:
    """Store every score in ``effects``; a repeat of the symptom instrument adds a note for the therapist."""
    for record in effects.scores:
        if record.instrument == policy.instrument:
            earlier = _earlier_totals(conn, participant_id, record)
            if earlier:
                # Named by the programme week: module 4's check is "week05", the waiting list's "week06".
                week = record.step if record.module == programme.spec.symptom_watch else record.module
                check = symptom_check(code, week, record.score, earlier, policy.threshold)
                text = staff_text(check, lambda key, **params: programme.msg(language, key, **params))
                source = f"alert:symptom_check:{record.module}.{record.step}"  # posted by the relay like any alert
                effects.relays.append(RelayRecord(source=source, text=text, kind="alert",
                                                  data={"score": record.score.total, "flagged": check.flagged}))  # fmt: skip
                effects.audit.append(("symptom_check", {"module": record.module, "flagged": check.flagged}))
                log.info("symptom check for %s at %s: flagged=%s", code, record.module, check.flagged)
                picture = (
                    _look_back(programme, language, record, earlier[0])
                    if record.module == policy.look_back_at
                    else None
                )
                if picture is not None:
                    effects.outbound.insert(0, picture)
        insert_score(conn, participant_id, record.module, record.step, record.score, programme.version, now)


_EARLIER = (
    select(SCORES.c.total, SCORES.c.module_id, SCORES.c.step_id)
    .where(SCORES.c.participant_id == bindparam("pid"), SCORES.c.instrument == bindparam("instrument"))
    .order_by(SCORES.c.at, SCORES.c.id)
)


def _earlier_totals(conn: Connection, participant_id: int, record: ScoreRecord) -> list[float | None]:
    """This instrument's earlier totals, oldest (the baseline) first; the administration itself excluded."""
    rows = conn.execute(_EARLIER, {"pid": participant_id, "instrument": record.instrument})
    return [total for total, module, step in rows if (module, step) != (record.module, record.step)]


def _look_back(programme: Programme, language: str, record: ScoreRecord, baseline: float | None) -> Outbound | None:
    """The week-8 look back: the participant's own score at the start beside the one just given."""
    instrument = programme.instruments[record.instrument]
    scale = instrument.total_scale
    if scale is None or baseline is None or record.score.total is None:
        return None
    items = instrument.scale_items(scale)
    low, high = sum(i.min for i in items), sum(i.max for i in items)
    label = programme.msg(language, "measures.lookback_label", title=programme.text(instrument.title, language))
    words = ChartWords.from_messages(lambda key: programme.msg(language, key))
    chart = LookBackChart((LookBack(label, baseline, record.score.total, low, high),), words)
    return Outbound(text=programme.msg(language, "measures.lookback_caption"), chart=chart)

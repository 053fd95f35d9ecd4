"""``/mydata`` done with storage: the participant's own export, sent to them as a JSON file.

The export is ``ParticipantData.export`` (the same one staff get with ``icbt participants export``):
answers and diaries, consents, the application, the allocation arm, messages to the therapist and the
bot's messages. It is audited as ``export`` by ``participant``. The file travels as an outbox row whose
payload has a ``document`` part (``{"filename", "content"}``): Telegram sends it with ``sendDocument``,
the console writes it to a file and says where. Like every payload it is blanked by the outbox purge
after ``trial_outbox_purge_days`` and removed by an erasure.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.content.programme import Programme
from bot.engine.model import TrialRequest
from bot.storage.database import Database
from bot.storage.models import Participant
from bot.storage.outbox import outbox_message
from bot.trial.privacy import ParticipantData, as_document

log = logging.getLogger(__name__)


class MyData:
    def __init__(self, data: ParticipantData) -> None:
        self.data = data

    @classmethod
    def build(cls, db: Database, programme: Programme, clock: Clock, retention_days: int, purge_days: int) -> MyData:
        return cls(ParticipantData(db, programme, clock, retention_days=retention_days, outbox_purge_days=purge_days))

    async def run(self, session: AsyncSession, participant_id: int, request: TrialRequest) -> None:
        """The conversation's durable request outside a trial: only ``/mydata`` to do."""
        if request.kind == "mydata":
            await self.send(session, participant_id)

    async def send(self, session: AsyncSession, participant_id: int) -> None:
        """Export the participant's data and queue it for them as one document message (in the
        caller's transaction: the export's audit entry and the message commit together)."""
        programme = self.data.programme
        row = await session.get(Participant, participant_id)
        if row is None or row.code is None:
            return
        filename, content = as_document(await self.data.export_in(session, row.code, by="participant"))
        now = self.data.clock.now()
        caption = programme.msg(programme.language(row.language), "trial.mydata_caption")
        payload = {"text": caption, "buttons": [], "image": None,
                   "document": {"filename": filename, "content": content.decode("utf-8")}}  # fmt: skip
        session.add(outbox_message(row.id, (row.channel, row.chat_id), payload, now))
        log.info("data export of %s queued for the participant", row.code)

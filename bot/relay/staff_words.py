"""Which staff words reach a participant, and which stay among staff.

A therapist's message goes to the participant only when it is meant for them: a reply to one of the
participant's posts in the topic, ``/reply P-0002 …``, or a message confirmed with the "Send to
P-0002" button. Anything else written in a topic is kept among staff, and the bot says so under it
(with the button, for a message that was meant after all). An edit of a message already sent reaches
the participant as a marked correction; an edit of a kept message changes what the button would send.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.content.programme import Programme
from bot.relay.content import RelayContent
from bot.relay.model import StaffInbound
from bot.relay.replies import deliver, signed
from bot.relay.store import RelayStore
from bot.storage.models import Participant
from bot.storage.tables_relay import RelayLog, RelayTask

SEND = "staff:send:"  # button data: SEND + the kept message's relay_log id
TASK = "staff:task:"  # button data: TASK + the relay_tasks id it closes
KEPT, KEPT_FILE, KEPT_SENT, SENT = "kept", "kept_file", "kept_sent", "sent"


async def keep(
    store: RelayStore, content: RelayContent, now: datetime, msg: StaffInbound, participant: Participant
) -> None:
    """Keep a topic message among staff and say so under it, with a button to send it after all."""
    row = RelayLog(at=now, participant_id=participant.id, therapist_id=msg.user_id,
                   kind=KEPT_FILE if msg.has_attachment else KEPT, text=msg.text, message_id=msg.message_id)  # fmt: skip
    store.session.add(row)
    await store.session.flush()
    code = participant.code or "?"
    buttons = [[{"label": content.text("send_button", code=code), "data": f"{SEND}{row.id}"}]]
    await store.post_staff(now, content.text("kept", code=code), participant, buttons=buttons,
                           topic_name=await store.topic_name(participant.id))  # fmt: skip
    store.audit(participant.id, f"therapist:{msg.user_id}", "staff_message_kept", now)


async def send_kept(store: RelayStore, content: RelayContent, now: datetime, msg: StaffInbound) -> str:
    """The "Send to P-0002" button: deliver the kept message once; the answer shown to the presser."""
    data = msg.button or ""
    row = await store.session.get(RelayLog, int(data[len(SEND) :])) if data[len(SEND) :].isdigit() else None
    if row is None or row.participant_id is None or row.kind not in (KEPT, KEPT_FILE, KEPT_SENT):
        return content.text("send_gone")
    participant = await store.participant(row.participant_id)
    if participant is None:
        return content.text("send_gone")
    if row.kind == KEPT_SENT:
        return content.text("send_already", code=participant.code)
    copy = {"chat_id": store.config.staff_chat_id, "message_id": row.message_id} if row.kind == KEPT_FILE else None
    therapist = row.therapist_id or msg.user_id
    await deliver(store, now, participant, therapist, row.text or "", copy, message_id=row.message_id, content=content)
    row.kind = KEPT_SENT
    await store.post_staff(now, content.text("send_done", code=participant.code), participant,
                           topic_name=await store.topic_name(participant.id))  # fmt: skip
    return content.text("send_done", code=participant.code)


async def edited(
    store: RelayStore, content: RelayContent, programme: Programme, now: datetime, msg: StaffInbound
) -> bool:
    """A staff message was edited: correct the participant's copy, or the kept text. False: not ours."""
    row = await store.session.scalar(
        select(RelayLog).where(RelayLog.message_id == msg.message_id, RelayLog.kind.in_((SENT, KEPT, KEPT_FILE)))
        .order_by(RelayLog.id.desc()).limit(1)
    )  # fmt: skip
    if row is None or row.participant_id is None:
        return False
    participant = await store.participant(row.participant_id)
    if participant is None:
        return False
    text = _without_reply_command(msg.text)
    if row.kind in (KEPT, KEPT_FILE):
        row.text = text
        return True
    lang = programme.language(participant.language)
    words = programme.msg(lang, "relay_delivery.correction", text=text.strip())
    await store.post_participant(now, participant, signed(store.config, row.therapist_id or msg.user_id, words))
    store.session.add(RelayLog(at=now, participant_id=participant.id, therapist_id=msg.user_id, kind="correction",
                               text=text))  # fmt: skip
    store.audit(participant.id, f"therapist:{msg.user_id}", "relay_correction", now)
    await store.post_staff(now, content.text("correction_sent", code=participant.code), participant,
                           topic_name=await store.topic_name(participant.id))  # fmt: skip
    return True


async def close_task(store: RelayStore, content: RelayContent, now: datetime, msg: StaffInbound) -> str:
    """A task's "Done" button: close it (once), recorded as done by whoever pressed it."""
    data = (msg.button or "")[len(TASK) :]
    task = await store.session.get(RelayTask, int(data)) if data.isdigit() else None
    participant = await store.participant(task.participant_id) if task is not None else None
    if task is None or participant is None:
        return content.text("send_gone")
    if task.status != "open":
        return content.text("task_already", code=participant.code)
    task.status, task.done_at = "done", now
    task.therapist_id = task.therapist_id or msg.user_id
    store.log(task.kind, now, participant, msg.user_id, text="")
    store.audit(participant.id, f"therapist:{msg.user_id}", f"{task.kind}_done", now)
    answer = content.text("task_done", code=participant.code, therapist=store.config.name_of(msg.user_id))
    await store.post_staff(now, answer, participant, topic_name=await store.topic_name(participant.id))
    return answer


def _without_reply_command(text: str) -> str:
    """``/reply P-0002 words`` → ``words``; any other text as it is."""
    stripped = text.strip()
    if stripped.lower().startswith("/reply"):
        parts = stripped.split(maxsplit=2)
        return parts[2] if len(parts) == 3 else ""
    return stripped

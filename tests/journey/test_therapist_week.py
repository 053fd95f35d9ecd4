"""A therapist gives feedback on three weeks of one participant from the topic alone (no export).

The participant works through the baseline and modules 1 to 3 on the fake clock through the real
service; the therapist works in the staff group through a real PTB Application over the fake Bot API:
reads the week post, asks for a /tpl draft, talks to a colleague in the topic (kept among staff), and
replies to the week post with the feedback (delivered, signed). What the therapist saw and sent is
kept in docs/therapist-week.md; regenerate it after a content or relay change with
``ICBT_WRITE_TRANSCRIPTS=1 ./dev test tests/journey/test_therapist_week.py`` and read the difference.
"""

from __future__ import annotations

import os
from datetime import timedelta

from sqlalchemy import select

from bot.engine import Inbound
from bot.storage.models import OutboxMessage, Participant
from tests.conftest import ROOT
from tests.support.fake_bot_api import group_message
from tests.support.staff_telegram import CHAT, STAFF

DOC = ROOT / "docs" / "therapist-week.md"
P = "P-0001"
OPEN, CLOSE = "## Transcript\n\n```text\n", "\n```\n"
WORDS = {  # what this participant writes, by the question they are asked
    "What is your goal": "Walk to the park and back, 20 minutes, three times a week",
    "How will you know": "I can sit on the park bench and walk home without stopping",
    "first small step": "Ten minutes around the block on Sunday",
    "could get in the way": "Rain, and the days my back is bad",
    "What will you do if that happens": "Walk in the shopping centre instead, or go for ten minutes only",
    "What matters to you in this area": "Being a patient, playful dad",
    "small step in that direction": "Play cards with my son on Wednesday",
    "What was hardest": "Sitting still through long meetings at work",
    "Anything you want to note": "Long drive to my sister's",
    "ask your therapist": "",
    "What exercise or activity will you do?": "A walk round the lake",
    "On which days and at what time?": "Monday, Wednesday and Saturday mornings",
    "Where will you start?": "Half the lake, slowly",
    "How will you increase it": "Two minutes more each week",
    "How do you know a flare-up has started": "A hot, tight band across my lower back",
    "What will you do first?": "Slow breathing and a warm shower",
    "Which activities will you keep doing": "Short walks and light cooking",
    "What will you say to yourself?": "It hurts, but it is not harm. It will settle.",
    "How will you build back up": "Half my usual plan, then a little more each day",
    "Who can help you during a flare-up": "My partner can take over the shopping",
    "What is the activity?": "Walk to the corner shop",
    "How much will you do?": "15 minutes, with one short break",
    "Does this activity link to one of your goals?": "Yes, the walking goal",
    "What was happening?": "Sitting in a long meeting at work",
    "What went through your mind?": "My back will never get better",
    "What did you feel?": "Worried and tired",
    "How strong was that feeling": "70",
    "What could be a more balanced way to see it?": "It has been better on days when I walk",
    "What was the situation?": "Pain after carrying the shopping",
    "What did you do to cope?": "Breathing and a short rest, then on with the day",
    "question for your therapist": "Is a heat pad all right during a flare-up?",
}
FEEDBACK = {
    3: "Thank you for week 3. Your goal to walk to the park three times a week is clear and sized well. "
    "Calm breathing on most days is a good start. For long meetings: could you stand up once every half hour?",
    4: "Thank you for week 4. You kept up the body scan and the stretching. Your exercise plan looks realistic; "
    "start low and build up slowly.",
    5: "Thank you for week 5. Pacing is hard at first. Your flare-up plan is a good one to keep on the fridge.",
}


class Journey:
    """The participant on one side (the service), the therapist on the other (the staff group)."""

    def __init__(self, harness, clock) -> None:
        self.tg, self.clock = harness, clock
        self.events = 0
        self.lines: list[str] = []

    async def send(self, inbound: Inbound) -> None:
        self.events += 1
        await self.tg.service.handle("telegram", str(CHAT), f"journey-{self.events}", inbound)
        await self.tg.settle()

    async def participant(self) -> Participant:
        async with self.tg.db.reading() as session:
            return (await session.scalars(select(Participant).where(Participant.chat_id == str(CHAT)))).one()

    async def answer_once(self) -> None:
        last = self.tg.to_participant()[-1]
        rows = (last.get("reply_markup") or {}).get("inline_keyboard", [])
        buttons = [b for row in rows for b in row]
        labels = [b["text"] for b in buttons]
        for wanted in ("Continue ›", "I agree to take part", "Fill it in now"):
            if wanted in labels:
                await self.send(Inbound(kind="choice", text=buttons[labels.index(wanted)]["callback_data"]))
                return
        if labels and labels != ["Skip"]:
            chosen = buttons[min(4, len(buttons) - 1)] if labels[0] == "0" else buttons[0]
            await self.send(Inbound(kind="choice", text=chosen["callback_data"]))
            return
        text = last["text"]
        words = next((w for key, w in WORDS.items() if key in text), None)
        if words == "":
            await self.send(Inbound(kind="command", text="skip"))
            return
        numeric = ("minute", "number", "0 (", "from 0", "100")
        await self.send(
            Inbound(kind="text", text=words or ("10" if any(k in text for k in numeric) else "It went fine"))
        )

    async def busy(self) -> bool:
        row = await self.participant()
        last = self.tg.to_participant()[-1] if self.tg.to_participant() else None
        rows = (last.get("reply_markup") or {}).get("inline_keyboard", []) if last else []
        offer = any(b["text"] == "Fill it in now" for row in rows for b in row)
        return bool(row.position.get("frames")) or offer

    async def answer_until_idle(self, limit: int = 600) -> None:
        for _ in range(limit):
            if not await self.busy():
                return
            await self.answer_once()
        raise AssertionError("the participant never became idle")

    async def live_until_week_post(self, week: int, days: int = 24) -> str:
        """Hour by hour, the participant answering, until the week's post reaches the topic."""
        for _ in range(days * 24):
            self.clock.advance(timedelta(hours=1))
            await self.tg.service.tick_due()
            await self.tg.settle()
            await self.answer_until_idle()
            post = await self.week_post(week)
            if post is not None:
                return post[0]
        row = await self.participant()
        raise AssertionError(
            f"no post for week {week}: {row.status}, {row.start_date}, {self.tg.to_participant()[-1]['text'][:300]}"
        )

    async def week_post(self, week: int) -> tuple[str, int] | None:
        async with self.tg.db.reading() as session:
            rows = await session.scalars(
                select(OutboxMessage).where(OutboxMessage.chat_id == str(STAFF), OutboxMessage.status == "sent")
            )
            for row in rows:
                if row.payload.get("text", "").startswith(f"📋 Week {week} ·"):
                    return row.payload["text"], int(row.channel_message_id or 0)
        return None

    async def therapist(self, text: str, reply_to: int | None = None) -> str:
        """The therapist writes in the topic; returns what the bot answered there (if anything)."""
        before = len(self.tg.to_staff())
        self.tg.update_id += 1
        thread = await self.tg.thread((await self.participant()).id)
        await self.tg.feed(group_message(self.tg.update_id, STAFF, 11, text, thread=thread, reply_to=reply_to))
        self.lines.append(
            f"[{self.clock.now():%a %d %b %H:%M}] Anna{' (reply to the week post)' if reply_to else ''}: {text}"
        )
        answers = [m["text"] for m in self.tg.to_staff()[before:]]
        for answer in answers:
            self.lines.append("  bot (staff group): " + answer.replace("\n", "\n  "))
        return "\n".join(answers)


async def test_a_therapist_gives_three_weeks_of_feedback_from_the_topic_alone(tg, clock):
    journey = Journey(tg, clock)
    await journey.send(Inbound(kind="command", text="start"))
    await journey.answer_until_idle()
    for week in (3, 4, 5):  # modules 1 to 3, in the weeks as both sides count them
        post = await journey.live_until_week_post(week)
        journey.lines += ["", f"===== week {week} =====", f"[{clock.now():%a %d %b %H:%M}] in the topic:", post]
        _, post_id = await journey.week_post(week)  # type: ignore[misc]
        await journey.send(Inbound(kind="command", text="menu"))
        menu = [m["text"] for m in tg.to_participant()[-3:]]
        assert any(f"This is week {week} of " in text for text in menu), "the same week number on both sides"
        await journey.answer_until_idle()
        assert "Homework in their words:" in post and "Practice:" in post and "Pain diary:" in post
        if week == 3:
            assert "→ Walk to the park and back, 20 minutes, three times a week" in post
            assert "→ Being a patient, playful dad" in post
            assert "→ Sitting still through long meetings at work" in post
        clock.advance(timedelta(hours=14))
        draft = await journey.therapist("/tpl steady")
        assert f"week {week} (Module {week - 2}:" in draft and "You did: " in draft
        heard = len(tg.to_participant())
        kept = await journey.therapist("Ben, this one is going well; no call needed from you this week.")
        assert kept.startswith("🔒 Kept among staff") and len(tg.to_participant()) == heard, "staff talk stays"
        clock.advance(timedelta(minutes=12))  # reading the week and writing the feedback
        timed = await journey.therapist(FEEDBACK[week], reply_to=post_id)
        assert (
            timed
            == f"⏱ 12 min recorded for {P}: from your first look at the week to this feedback. /time 12 corrects it."
        )
        received = tg.to_participant()[-1]["text"]
        assert received == FEEDBACK[week] + "\n\n— Your therapist Anna"
        journey.lines.append("  participant received: " + received.replace("\n", "\n  "))
    transcript = "\n".join(journey.lines).strip()
    notes = DOC.read_text().split(OPEN)[0] if DOC.exists() else ""
    if os.environ.get("ICBT_WRITE_TRANSCRIPTS"):
        DOC.write_text(notes + OPEN + transcript + CLOSE)
    kept_doc = DOC.read_text().split(OPEN)[1].removesuffix(CLOSE)
    assert kept_doc == transcript, (
        "docs/therapist-week.md is out of date: ICBT_WRITE_TRANSCRIPTS=1 ./dev test tests/journey/test_therapist_week.py"
    )

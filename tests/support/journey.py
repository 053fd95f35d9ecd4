"""One participant in Telegram and the staff group over the fake Bot API, for the risk journeys."""

from __future__ import annotations

import json

from sqlalchemy import select
from telegram import Update

from bot.storage.models import Participant, RelayItem
from tests.support.fake_bot_api import callback_update, text_update
from tests.support.staff_telegram import CHAT, STAFF

CARRY_ON = "Carry on when I'm ready"


class Journey:
    """One participant in Telegram and the staff group, over the fake Bot API."""

    def __init__(self, application, api, service, sender, relay, db, programme, clock) -> None:
        self.application, self.api, self.service, self.sender, self.relay = application, api, service, sender, relay
        self.db, self.programme, self.clock = db, programme, clock
        self.update_id = 0

    async def feed(self, data: dict) -> None:
        await self.application.process_update(Update.de_json(data, self.application.bot))
        await self.sender.drain()

    async def settle(self) -> None:
        """What the background loops do after an event: post relay items, then send the outbox."""
        await self.relay.process_pending()
        await self.sender.drain()

    def _next(self) -> int:
        self.update_id += 1
        return self.update_id

    async def text(self, text: str) -> None:
        await self.feed(text_update(self._next(), CHAT, text))

    async def edit(self, text: str, message_id: int) -> None:
        """The participant edits an earlier message of theirs (Telegram's ``edited_message``)."""
        update = text_update(self._next(), CHAT, text)
        message = update.pop("message")
        message["message_id"], message["edit_date"] = message_id, 1767600100
        await self.feed({**update, "edited_message": message})

    def to_participant(self) -> list[dict]:
        return [p for p in self.api.sent() if int(p["chat_id"]) == CHAT]

    def to_staff(self) -> list[dict]:
        return [p for p in self.api.sent() if int(p["chat_id"]) == STAFF]

    def keyboard(self, params: dict) -> list[dict]:
        markup = params.get("reply_markup")
        if not markup:
            return []
        markup = markup if isinstance(markup, dict) else json.loads(markup)
        return [b for row in markup["inline_keyboard"] for b in row]

    async def press(self, label: str | None = None) -> None:
        """A button of the latest message that has it (by label), or the last message's first."""
        if label is None:
            button = self.keyboard(self.to_participant()[-1])[0]
        else:
            sent = reversed(self.to_participant())
            button = next(b for params in sent for b in self.keyboard(params) if b["text"] == label)
        await self.feed(callback_update(self._next(), CHAT, button["callback_data"]))

    async def frame(self) -> dict | None:
        async with self.db.reading() as session:
            row = await session.scalar(select(Participant))
        frames = (row.position or {}).get("frames") or []
        return frames[-1] if frames else None

    async def answer_along(self) -> None:
        """The answer a cooperative participant gives to the last message."""
        labels = [b["text"] for b in self.keyboard(self.to_participant()[-1])]
        if "I agree to take part" in labels:
            await self.press("I agree to take part")
        elif "Continue ›" in labels:
            await self.press("Continue ›")
        elif labels and labels != ["Skip"]:
            await self.press()
        else:
            await self.text("5")

    async def to_typed_field(self, module: str, limit: int = 300) -> dict:
        """Answer along until a field of a form in ``module`` waits for typed words."""
        for _ in range(limit):
            frame = await self.frame()
            labels = [b["text"] for b in self.keyboard(self.to_participant()[-1])]
            typed = not labels or labels == ["Skip"]
            if frame and frame["module"] == module and typed and not frame["daily"]:
                return frame
            await self.answer_along()
        raise AssertionError(f"no typed field in {module}")

    async def alerts(self) -> list[RelayItem]:
        async with self.db.reading() as session:
            return list(await session.scalars(select(RelayItem).where(RelayItem.kind == "safety")))

    async def risk_answered_at_once(self, before: int, words: str) -> None:
        """Since message ``before``: the crisis resources, then only the pause with its button; and
        in the staff group an URGENT alert with the words, pinned in the participant's topic."""
        said = self.to_participant()[before:]
        assert "112" in said[0]["text"] and "90101" in said[0]["text"], "the crisis resources come first"
        assert said[-1]["text"] == self.programme.msg("en", "safety.hold"), "nothing after the crisis but the pause"
        assert [b["text"] for b in self.keyboard(said[-1])] == [CARRY_ON]
        assert len(said) == 2, [s["text"][:60] for s in said]
        pins_before = len(self.api.sent("pinChatMessage"))
        staff_before = len(self.to_staff())
        await self.settle()
        posted = self.to_staff()[staff_before:]
        alert = next((m for m in posted if m["text"].startswith("🚨 URGENT · P-0001")), None)
        assert alert is not None, [m["text"][:80] for m in posted]
        assert words in alert["text"], "the participant's own words"
        assert alert.get("message_thread_id") is not None, "in the participant's own topic"
        assert len(self.api.sent("pinChatMessage")) == pins_before + 1, "pinned"

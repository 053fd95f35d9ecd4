"""One participant's chat through the real conversation service: a driver that sends events as a channel would."""

from __future__ import annotations

from bot.conversation.service import ConversationService
from bot.engine import Inbound

CHAT = "4242"


def pressing(sent: list[dict], label: str | None = None) -> Inbound:
    """A press of the newest message's button called ``label`` (the first button when None)."""
    for payload in reversed(sent):
        buttons = [b for row in payload["buttons"] for b in row]
        if buttons:
            chosen = buttons[0] if label is None else next(b for b in buttons if b["label"] == label)
            return Inbound(kind="choice", text=chosen["data"])
    raise AssertionError("no buttons")


class Driver:
    """Sends events through the service the way a channel would, with increasing update ids."""

    def __init__(self, service: ConversationService, sender, transport) -> None:
        self.service, self.sender, self.transport = service, sender, transport
        self.update_id = 1000

    async def send(self, inbound: Inbound, update_id: int | None = None) -> None:
        if update_id is None:
            self.update_id += 1
            update_id = self.update_id
        await self.service.handle("test", CHAT, str(update_id), inbound)
        await self.sender.drain()

    async def press(self, label: str | None = None) -> None:
        await self.send(pressing(self.transport.sent[CHAT], label))

    async def through_consent(self) -> None:
        await self.send(Inbound(kind="command", text="start"))
        for _ in range(20):
            last = self.transport.sent[CHAT][-1]
            labels = [b["label"] for row in last["buttons"] for b in row]
            if "I agree to take part" in labels:
                await self.press("I agree to take part")
                return
            await self.press()
        raise AssertionError("consent not reached")

"""A fake Bot API behind python-telegram-bot's own ``BaseRequest`` seam (as PTB's tests do).

Real ``Application``/``Bot`` objects run unchanged; only the HTTP exchange is replaced by a recorder
that answers like Telegram, and can be told to answer 429 or 403 (for send* calls, or for any method
through ``method_errors``). ``getChat`` answers a forum supergroup unless ``chats`` says otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_USER = {"id": 777, "is_bot": True, "first_name": "icbt", "username": "icbt_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}  # fmt: skip


@dataclass
class Call:
    url: str
    method: str
    params: dict[str, Any]


@dataclass
class FakeBotAPI(BaseRequest):
    calls: list[Call] = field(default_factory=list)
    errors: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # queued (status, body) for send*
    next_message_id: int = 100
    method_errors: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)  # queued per method
    chats: dict[int, dict[str, Any]] = field(default_factory=dict)  # what getChat answers, by chat id

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float:
        return 1.0

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **_: Any
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        self.calls.append(Call(url=url, method=endpoint, params=params))
        if self.method_errors.get(endpoint):
            status, body = self.method_errors[endpoint].pop(0)
            return status, json.dumps(body).encode()
        if endpoint.startswith("send") and self.errors:
            status, body = self.errors.pop(0)
            return status, json.dumps(body).encode()
        return 200, json.dumps({"ok": True, "result": self._result(endpoint, params)}).encode()

    def _result(self, endpoint: str, params: dict[str, Any]) -> Any:
        if endpoint == "getMe":
            return BOT_USER
        if endpoint in ("sendMessage", "sendPhoto"):
            self.next_message_id += 1
            return {"message_id": self.next_message_id, "date": 1767600000,
                    "chat": {"id": int(params["chat_id"]), "type": "private"}, "text": params.get("text", "")}  # fmt: skip
        if endpoint == "getChat":
            chat_id = int(params["chat_id"])
            return {"id": chat_id, "accent_color_id": 0, "max_reaction_count": 11,
                    "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                            "unique_gifts": False, "premium_subscription": False,
                                            "gifts_from_channels": False},
                    **self.chats.get(chat_id, {"type": "supergroup", "title": "Staff", "is_forum": True})}  # fmt: skip
        return True

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]


def user(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Pat", "language_code": "en"}


def text_update(update_id: int, chat_id: int, text: str, chat_type: str = "private") -> dict[str, Any]:
    message: dict[str, Any] = {"message_id": update_id, "date": 1767600000,
                               "chat": {"id": chat_id, "type": chat_type}, "from": user(chat_id), "text": text}  # fmt: skip
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": update_id, "message": message}


def callback_update(update_id: int, chat_id: int, data: str) -> dict[str, Any]:
    return {"update_id": update_id, "callback_query": {
        "id": f"cb{update_id}", "from": user(chat_id), "chat_instance": "ci", "data": data,
        "message": {"message_id": 1, "date": 1767600000, "chat": {"id": chat_id, "type": "private"}, "text": "…"},
    }}  # fmt: skip

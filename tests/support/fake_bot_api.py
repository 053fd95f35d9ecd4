"""A fake Bot API behind python-telegram-bot's own ``BaseRequest`` seam (as PTB's tests do).

Real ``Application``/``Bot`` objects run unchanged; only the HTTP exchange is replaced by a recorder
that answers like Telegram, and can be told to answer 429 or 403 (for send* calls, or for any method
through ``method_errors``). ``getChat`` answers a forum supergroup unless ``chats`` says otherwise.
``lose_replies`` makes a method *take effect* and then answer 502, as when Telegram did the work but
its reply was lost on the way (the caller cannot tell whether anything happened).
"""

from __future__ import annotations

import asyncio
import contextlib
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
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # uploads: field -> (file name, bytes)


@dataclass
class FakeBotAPI(BaseRequest):
    calls: list[Call] = field(default_factory=list)
    errors: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # queued (status, body) for send*
    next_message_id: int = 100
    method_errors: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)  # queued per method
    lose_replies: dict[str, int] = field(default_factory=dict)  # method -> how many replies to lose after doing it
    chat_errors: dict[int, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)  # queued for send* per chat
    chats: dict[int, dict[str, Any]] = field(default_factory=dict)  # what getChat answers, by chat id
    # the staff group (relay): forum topics, threads deleted by a person, chats that refuse the bot
    forum: bool = True
    next_thread_id: int = 1000
    topics: dict[int, str] = field(default_factory=dict)
    deleted_threads: set[int] = field(default_factory=set)
    refusing_chats: set[int] = field(default_factory=set)
    deleted_messages: set[int] = field(default_factory=set)  # messages a person deleted (editMessageText: 400)
    # getUpdates: the updates Telegram holds, and every offset asked for (an offset confirms what is below it)
    updates: list[dict[str, Any]] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def deliver(self, *updates: dict[str, Any]) -> None:
        """Telegram receives these updates; a waiting ``getUpdates`` returns them."""
        self.updates.extend(updates)
        self._arrived.set()

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
        files = {}
        if request_data is not None and request_data.contains_files:
            files = {key: (value[0], value[1]) for key, value in (request_data.multipart_data or {}).items()}
        self.calls.append(Call(url=url, method=endpoint, params=params, files=files))
        if self.method_errors.get(endpoint):
            status, body = self.method_errors[endpoint].pop(0)
            return status, json.dumps(body).encode()
        if endpoint == "getUpdates":
            return 200, json.dumps({"ok": True, "result": await self._get_updates(params)}).encode()
        chat_queue = self.chat_errors.get(int(params.get("chat_id") or 0))
        if (endpoint.startswith("send") or endpoint == "copyMessage") and chat_queue:
            status, body = chat_queue.pop(0)
            return status, json.dumps(body).encode()
        if endpoint.startswith("send") and self.errors:
            status, body = self.errors.pop(0)
            return status, json.dumps(body).encode()
        refused = self._refusal(endpoint, params)
        if refused is not None:
            return refused[0], json.dumps({"ok": False, "error_code": refused[0], "description": refused[1]}).encode()
        result = self._result(endpoint, params)
        if self.lose_replies.get(endpoint):
            self.lose_replies[endpoint] -= 1
            return 502, json.dumps({"ok": False, "error_code": 502, "description": "Bad Gateway"}).encode()
        return 200, json.dumps({"ok": True, "result": result}).encode()

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Like Telegram: an offset drops every update below it for good; long polling waits for more."""
        offset = int(params.get("offset") or 0)
        self.offsets.append(offset)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), timeout=float(params.get("timeout") or 0))
        return list(self.updates)

    def _refusal(self, endpoint: str, params: dict[str, Any]) -> tuple[int, str] | None:
        chat = int(params["chat_id"]) if "chat_id" in params else None
        if chat in self.refusing_chats and endpoint in ("sendMessage", "copyMessage", "createForumTopic"):
            return 403, "Forbidden: bot was kicked from the supergroup chat"
        if endpoint == "createForumTopic" and not self.forum:
            return 400, "Bad Request: the chat is not a forum"
        if endpoint == "editMessageText" and int(params["message_id"]) in self.deleted_messages:
            return 400, "Bad Request: message to edit not found"
        thread = params.get("message_thread_id")
        if thread is not None and int(thread) in self.deleted_threads:
            return 400, "Bad Request: message thread not found"
        return None

    def _result(self, endpoint: str, params: dict[str, Any]) -> Any:
        if endpoint == "getMe":
            return BOT_USER
        if endpoint in ("sendMessage", "sendPhoto", "sendDocument"):
            self.next_message_id += 1
            chat = int(params["chat_id"])
            return {"message_id": self.next_message_id, "date": 1767600000, "text": params.get("text", ""),
                    "chat": {"id": chat, "type": "private" if chat > 0 else "supergroup"}}  # fmt: skip
        if endpoint == "editMessageText":
            chat = int(params["chat_id"])
            return {"message_id": int(params["message_id"]), "date": 1767600000, "text": params.get("text", ""),
                    "chat": {"id": chat, "type": "private" if chat > 0 else "supergroup"}}  # fmt: skip
        if endpoint == "copyMessage":
            self.next_message_id += 1
            return {"message_id": self.next_message_id}
        if endpoint == "createForumTopic":
            self.next_thread_id += 1
            self.topics[self.next_thread_id] = params["name"]
            return {"message_thread_id": self.next_thread_id, "name": params["name"], "icon_color": 7322096}
        if endpoint == "editForumTopic":
            self.topics[int(params["message_thread_id"])] = params["name"]
            return True
        if endpoint == "getChat":
            chat_id = int(params["chat_id"])
            return {"id": chat_id, "accent_color_id": 0, "max_reaction_count": 11,
                    "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                            "unique_gifts": False, "premium_subscription": False,
                                            "gifts_from_channels": False},
                    **self.chats.get(chat_id, {"type": "supergroup", "title": "Therapists", "is_forum": self.forum})}  # fmt: skip
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


def group_message(
    update_id: int,
    chat_id: int,
    user_id: int,
    text: str = "",
    *,
    thread: int | None = None,
    reply_to: int | None = None,
    photo: str | None = None,
    document: str | None = None,
    chat_type: str = "supergroup",
) -> dict[str, Any]:
    """A message in a group: in a forum topic (``thread``), replying to a message, with a photo/document."""
    message: dict[str, Any] = {"message_id": 5000 + update_id, "date": 1767600000,
                               "chat": {"id": chat_id, "type": chat_type, "title": "Therapists", "is_forum": True},
                               "from": {"id": user_id, "is_bot": False, "first_name": "Staff"}}  # fmt: skip
    key = "caption" if photo or document else "text"
    if text:
        message[key] = text
        if text.startswith("/"):
            message[key + "_entities" if key == "caption" else "entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
    if thread is not None:
        message["message_thread_id"], message["is_topic_message"] = thread, True
        message["reply_to_message"] = {"message_id": thread, "date": 1767600000, "chat": message["chat"],
                                       "forum_topic_created": {"name": "topic", "icon_color": 7322096}}  # fmt: skip
    if reply_to is not None:  # a reply to one of the bot's posts (in a topic too: Telegram says which)
        message["reply_to_message"] = {"message_id": reply_to, "date": 1767600000, "chat": message["chat"],
                                       "text": "…", "from": BOT_USER}  # fmt: skip
    if photo:
        message["photo"] = [{"file_id": photo + "-small", "file_unique_id": "s", "width": 90, "height": 90},
                            {"file_id": photo, "file_unique_id": "b", "width": 800, "height": 800}]  # fmt: skip
    if document:
        message["document"] = {"file_id": document, "file_unique_id": "d", "file_name": "plan.pdf"}
    return {"update_id": update_id, "message": message}


def edited_group_message(update_id: int, message: dict[str, Any], text: str) -> dict[str, Any]:
    """The staff member edited ``message`` (a ``group_message(...)["message"]``) to say ``text``."""
    return {"update_id": update_id, "edited_message": {**message, "text": text, "edit_date": 1767600100}}


def staff_button(update_id: int, chat_id: int, user_id: int, message_id: int, data: str) -> dict[str, Any]:
    """A staff member pressed a button under the bot's message ``message_id`` in the staff group."""
    return {"update_id": update_id, "callback_query": {
        "id": f"cb{update_id}", "from": {"id": user_id, "is_bot": False, "first_name": "Staff"},
        "chat_instance": "staff", "data": data,
        "message": {"message_id": message_id, "date": 1767600000, "from": BOT_USER, "text": "…",
                    "chat": {"id": chat_id, "type": "supergroup", "title": "Therapists", "is_forum": True}},
    }}  # fmt: skip


def photo_update(update_id: int, chat_id: int, file_id: str, caption: str = "") -> dict[str, Any]:
    """A participant's photo in their private chat."""
    message: dict[str, Any] = {"message_id": update_id, "date": 1767600000, "chat": {"id": chat_id, "type": "private"},
                               "from": user(chat_id), "photo": [{"file_id": file_id, "file_unique_id": "p",
                                                                 "width": 800, "height": 600}]}  # fmt: skip
    if caption:
        message["caption"] = caption
    return {"update_id": update_id, "message": message}


def bot_added(update_id: int, chat_id: int, by: int, chat_type: str = "group") -> dict[str, Any]:
    """``my_chat_member``: someone added the bot to a chat."""
    chat = {"id": chat_id, "type": chat_type, "title": "Somewhere"}
    return {"update_id": update_id, "my_chat_member": {
        "chat": chat, "from": {"id": by, "is_bot": False, "first_name": "X"}, "date": 1767600000,
        "old_chat_member": {"user": BOT_USER, "status": "left"},
        "new_chat_member": {"user": BOT_USER, "status": "member"},
    }}  # fmt: skip

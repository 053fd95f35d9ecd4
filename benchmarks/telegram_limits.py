"""What a strict Bot API enforces, as one small judge that the fake server and the tests share.

Per bot: more than 30 messages in the trailing second is refused. Per private chat: a bucket of three
(a short burst) refilled at one a second. Per group (a chat id starting with "-"): more than 20 in the
trailing minute is refused. A refused message is not counted and gets ``retry_after`` like Telegram's 429.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass, field


@dataclass
class BotApiLimits:
    per_bot_per_second: int = 30
    private_burst: float = 3.0
    private_per_second: float = 1.0
    group_per_minute: int = 20
    refused: int = 0
    refused_by: Counter[str] = field(default_factory=Counter)
    _bot: deque[float] = field(default_factory=deque)
    _groups: dict[str, deque[float]] = field(default_factory=dict)
    _private: dict[str, tuple[float, float]] = field(default_factory=dict)  # chat -> (tokens, stamp)

    def admit(self, chat_id: str, now: float) -> int:
        """0 when a message to ``chat_id`` at ``now`` is accepted (and counted), else ``retry_after``."""
        bot_wait, chat_wait = self._bot_wait(now), self._chat_wait(chat_id, now)
        if bot_wait > 0 or chat_wait > 0:
            self.refused += 1
            self.refused_by["bot" if bot_wait > 0 else "group" if chat_id.startswith("-") else "private"] += 1
            return max(1, math.ceil(max(bot_wait, chat_wait)))
        self._bot.append(now)
        if chat_id.startswith("-"):
            self._groups[chat_id].append(now)
        else:
            tokens, _ = self._private[chat_id]
            self._private[chat_id] = (tokens - 1, now)
        return 0

    def _bot_wait(self, now: float) -> float:
        while self._bot and self._bot[0] <= now - 1.0:
            self._bot.popleft()
        return self._bot[0] + 1.0 - now if len(self._bot) >= self.per_bot_per_second else 0.0

    def _chat_wait(self, chat_id: str, now: float) -> float:
        if chat_id.startswith("-"):
            window = self._groups.setdefault(chat_id, deque())
            while window and window[0] <= now - 60.0:
                window.popleft()
            return window[0] + 60.0 - now if len(window) >= self.group_per_minute else 0.0
        tokens, stamp = self._private.get(chat_id, (self.private_burst, now))
        tokens = min(self.private_burst, tokens + (now - stamp) * self.private_per_second)
        self._private[chat_id] = (tokens, now)
        return 0.0 if tokens >= 1 else (1 - tokens) / self.private_per_second

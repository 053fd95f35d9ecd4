"""A loopback fake Bot API over real HTTP (asyncio streams, 127.0.0.1 only) for the sender benchmark.

It enforces what a strict Bot API would (``benchmarks/telegram_limits.py``: 30/s per bot, a burst of
three then 1/s per private chat, 20/min per group), answers 429 with ``retry_after`` when a limit is
exceeded, and holds every answer for a fixed round trip (50 ms by default). A message is judged when
it arrives, as Telegram would. The benchmark runs it in a process of its own, as the real Bot API is
another machine, so the two sides do not share one event loop. Enough HTTP/1.1 for httpx (what python-telegram-bot's HTTPXRequest
uses): keep-alive, Content-Length bodies, form or JSON parameters.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from benchmarks.telegram_limits import BotApiLimits

BOT_USER = {"id": 777, "is_bot": True, "first_name": "icbt", "username": "icbt_bench_bot"}


@dataclass
class FakeBotServer:
    round_trip: float = 0.05
    limits: BotApiLimits = field(default_factory=BotApiLimits)
    accepted: int = 0
    too_many: int = 0
    port: int = 0
    _server: asyncio.Server | None = None
    _next_id: int = 1

    async def start(self) -> str:
        """Listen on a free loopback port; return the base URL for the Bot (``…/bot``)."""
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{self.port}/bot"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while request := await _read_request(reader):
                path, params = request
                status, body = await self._answer(path.rsplit("/", 1)[-1], params)
                payload = json.dumps(body).encode()
                writer.write(
                    f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\nConnection: keep-alive\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client went away, or the server is shutting down
        finally:
            writer.close()

    async def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        arrived = asyncio.get_running_loop().time()
        if method == "stats":  # for the benchmark, which runs this server in its own process
            return 200, {
                "ok": True,
                "result": {"accepted": self.accepted, "too_many": self.too_many, "by": dict(self.limits.refused_by)},
            }
        if method == "getMe":
            result: Any = BOT_USER
        elif method.startswith("send"):
            chat_id = str(params.get("chat_id", ""))
            if wait := self.limits.admit(chat_id, arrived):
                self.too_many += 1
                await asyncio.sleep(self.round_trip)
                return 429, {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {wait}",
                             "parameters": {"retry_after": wait}}  # fmt: skip
            self.accepted += 1
            self._next_id += 1
            chat_type = "supergroup" if chat_id.startswith("-") else "private"
            result = {"message_id": self._next_id, "date": 1767600000, "chat": {"id": int(chat_id), "type": chat_type},
                      "text": params.get("text", "")}  # fmt: skip
        else:
            result = True
        await asyncio.sleep(self.round_trip)
        return 200, {"ok": True, "result": result}


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, dict[str, Any]] | None:
    """One HTTP/1.1 request: its path and parameters; None when the client closed the connection."""
    head = await reader.readuntil(b"\r\n\r\n") if not reader.at_eof() else b""
    if not head:
        return None
    lines = head.decode("latin-1").split("\r\n")
    path = lines[0].split(" ")[1]
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    if headers.get("content-type", "").startswith("application/json"):
        return path, json.loads(body or b"{}")
    return path, dict(parse_qsl(body.decode()))


async def serve(round_trip: float) -> None:
    """Run until standard input closes; print the base URL first (``python -m benchmarks.fake_bot_server``)."""
    server = FakeBotServer(round_trip=round_trip)
    print(await server.start(), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # the parent closes our stdin to stop us
    await server.stop()


if __name__ == "__main__":
    asyncio.run(serve(float(sys.argv[1]) if len(sys.argv) > 1 else 0.05))

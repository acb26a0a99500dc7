"""A minimal, single-threaded Bot API stand-in on tornado for throughput benchmarks: it answers getMe and
sendMessage and counts messages. The tests' fake server (threads, stdlib) tops out near 350 requests/s here,
which would measure the server rather than the sender. Prints its URL, serves until stdin closes, then
prints how many messages it accepted."""

from __future__ import annotations

import asyncio
import json
import sys
import time

from tornado.web import Application, RequestHandler

BOT = {"id": 999000, "is_bot": True, "first_name": "tdc-bot", "username": "tdc_test_bot"}
accepted = 0


class Method(RequestHandler):
    def post(self, token: str, method: str) -> None:
        global accepted
        result: object = True
        if method == "getMe":
            result = BOT
        elif method == "sendMessage":
            accepted += 1
            chat = int(self.get_body_argument("chat_id"))
            result = {"message_id": accepted, "date": int(time.time()), "chat": {"id": chat, "type": "private"},
                      "text": self.get_body_argument("text")}
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"ok": True, "result": result}))


async def main() -> None:
    server = Application([(r"/bot([^/]+)/(\w+)", Method)]).listen(0, address="127.0.0.1")
    port = next(iter(server._sockets.values())).getsockname()[1]
    print(f"http://127.0.0.1:{port}/bot", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    print(accepted, flush=True)


if __name__ == "__main__":
    asyncio.run(main())

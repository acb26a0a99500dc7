"""Webhook mode: calls without the right secret are refused and not processed, on Telegram as on Zalo; the
health check says whether the database and the scheduler are alive."""

from __future__ import annotations

import asyncio
import time

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from tornado.netutil import bind_sockets

from bot.channels.telegram import build_application
from bot.channels.zalo import ZaloClient
from bot.service import wire_telegram, wire_zalo
from bot.runtime.conversation import Conversation
from bot.runtime.leader import SchedulerLeader
from bot.runtime.scheduler import ReminderCycle
from bot.runtime.sender import Sender
from bot.settings import Settings
from bot.channels.telegram import SECRET_HEADER as TELEGRAM_HEADER
from bot.channels.zalo import SECRET_HEADER as ZALO_HEADER
from bot.runtime.webhooks import server
from models import InboundUpdate
from tests.conftest import NOW, invite
from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import FakeZalo

SECRET = "s3cret-webhook-token"


def telegram_update(update_id: int, text: str) -> dict:  # type: ignore[type-arg]
    user = {"id": 4321, "is_bot": False, "first_name": "An"}
    return {"update_id": update_id, "message": {"message_id": update_id, "date": int(time.time()), "from": user,
                                                "chat": {"id": 4321, "type": "private"}, "text": text}}


def zalo_update(message_id: str, text: str, documented: bool = True) -> dict:  # type: ignore[type-arg]
    """A Zalo webhook call's body as the platform documents it (`{"ok": true, "result": …}`, the sender's
    `display_name`), or bare, as one public client reports receiving it."""
    update = {"event_name": "message.text.received",
              "message": {"message_id": message_id, "date": int(time.time() * 1000), "text": text,
                          "from": {"id": "z-77", "display_name": "Phạm Thị Dung", "is_bot": False},
                          "chat": {"id": "z-77", "chat_type": "PRIVATE"}}}
    return {"ok": True, "result": update} if documented else update


async def wait_until(check, timeout: float = 10) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_secrets_are_checked_and_good_calls_are_answered(engine: Engine, settings: Settings) -> None:
    with FakeTelegram() as telegram, FakeZalo() as zalo_api:
        settings = Settings(database_url=settings.database_url, telegram_token=telegram.token,
                            telegram_api_url=telegram.api_url, _env_file=None)
        conversation = Conversation(engine, settings, clock=lambda: NOW)
        application = build_application(settings)
        zalo = ZaloClient(zalo_api.api_url, zalo_api.token)
        leader = SchedulerLeader(engine, lambda: ReminderCycle(engine, Sender(engine, {}), lambda: NOW).start(
            "Asia/Ho_Chi_Minh"))
        async with application:
            inbox = wire_telegram(application.bot, conversation)
            stopping = asyncio.Event()
            http = server(engine, SECRET, [inbox.hook(), wire_zalo(zalo, conversation).hook()], leader,
                          stopping=stopping)
            sockets = bind_sockets(0, "127.0.0.1")
            http.add_sockets(sockets)
            base = f"http://127.0.0.1:{sockets[0].getsockname()[1]}"
            async with httpx.AsyncClient() as client:
                code = invite(engine, "21040")
                for headers in ({}, {TELEGRAM_HEADER: "wrong"}):
                    refused = await client.post(f"{base}/telegram", json=telegram_update(1, f"/start {code}"),
                                                headers=headers)
                    assert refused.status_code == 401
                wrong_header = await client.post(f"{base}/zalo", json=zalo_update("a", "xin chao"),
                                                 headers={TELEGRAM_HEADER: SECRET})  # Telegram's header on Zalo
                assert wrong_header.status_code == 401
                await asyncio.sleep(0.3)
                assert telegram.sent == [] and zalo_api.sent == []
                assert journal(engine) == []  # refused calls are not even stored

                accepted = await client.post(f"{base}/telegram", json=telegram_update(2, f"/start {code}"),
                                             headers={TELEGRAM_HEADER: SECRET})
                assert accepted.status_code == 200
                await wait_until(lambda: telegram.messages_to(4321))
                assert "đăng ký thành công" in telegram.messages_to(4321)[0]["text"]  # the refused code still works
                await asyncio.sleep(0.5)  # the welcome comes in several messages
                answered_before = len(telegram.messages_to(4321))
                again = await client.post(f"{base}/telegram", json=telegram_update(2, f"/start {code}"),
                                          headers={TELEGRAM_HEADER: SECRET})  # Telegram redelivers it
                await asyncio.sleep(0.3)
                assert again.status_code == 200 and len(telegram.messages_to(4321)) == answered_before
                answered = await client.post(f"{base}/zalo", json=zalo_update("b", "xin chao"),
                                             headers={ZALO_HEADER: SECRET})
                assert answered.status_code == 200
                await wait_until(lambda: zalo_api.messages_to("z-77"))
                assert "Bạn chưa đăng ký" in zalo_api.messages_to("z-77")[0]
                bare = await client.post(f"{base}/zalo", json=zalo_update("c", "xin chao", documented=False),
                                         headers={ZALO_HEADER: SECRET})
                assert bare.status_code == 200

                await conversation.drain()
                assert journal(engine) == [("telegram", "2", "answered"), ("zalo", "b", "answered"),
                                           ("zalo", "c", "answered")]

                health = await client.get(f"{base}/healthz")  # this process takes updates, leader or not
                assert health.status_code == 200 and health.json() == {"database": True, "scheduler": "nowhere",
                                                                       "stopping": False}
                assert leader.try_lead()
                health = await client.get(f"{base}/healthz")
                assert health.status_code == 200 and health.json() == {"database": True, "scheduler": "here",
                                                                       "stopping": False}

                stopping.set()  # SIGTERM: updates are turned away before they are stored, health says so
                turned_away = await client.post(f"{base}/telegram", json=telegram_update(3, "/nhiemvu"),
                                                headers={TELEGRAM_HEADER: SECRET})
                assert turned_away.status_code == 503 and len(journal(engine)) == 3
                health = await client.get(f"{base}/healthz")
                assert health.status_code == 503 and health.json()["stopping"] is True
            http.stop()
            leader.release()
        await zalo.close()


def journal(engine: Engine) -> list[tuple[str, str, str]]:
    with Session(engine) as session:
        return [(e.channel, e.update_id, e.status) for e in session.exec(select(InboundUpdate)
                                                                         .order_by(InboundUpdate.id))]


async def raw_request(port: int, head: str, body: bytes = b"") -> tuple[int, float]:
    """Sends `head` (and `body`, if any) on a bare connection; the status line's code and how long it took."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head.encode() + body)
    await writer.drain()
    line = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    return int(line.split()[1]), time.monotonic() - started


async def test_the_webhook_server_holds_against_abuse(engine: Engine, settings: Settings) -> None:
    """The secret is checked before a body is read, a body is capped, what is not an update gets 400, and
    half-sent requests cannot keep a genuine update out for longer than the idle timeout."""
    with FakeTelegram() as telegram:
        settings = Settings(database_url=settings.database_url, telegram_token=telegram.token,
                            telegram_api_url=telegram.api_url, _env_file=None)
        conversation = Conversation(engine, settings, clock=lambda: NOW)
        application = build_application(settings)
        leader = SchedulerLeader(engine, lambda: ReminderCycle(engine, Sender(engine, {}), lambda: NOW).start(
            "Asia/Ho_Chi_Minh"))
        async with application:
            inbox = wire_telegram(application.bot, conversation)
            http = server(engine, SECRET, [inbox.hook()], leader, idle=1.5, connections=40)
            sockets = bind_sockets(0, "127.0.0.1")
            http.add_sockets(sockets)
            port = sockets[0].getsockname()[1]
            huge = "Content-Length: 95000000\r\nContent-Type: application/json\r\n"
            status, took = await raw_request(port, f"POST /telegram HTTP/1.1\r\nHost: x\r\n{huge}"
                                                   f"{TELEGRAM_HEADER}: wrong\r\n\r\n")
            assert status == 401  # answered on the headers alone: not a byte of the 95 MB was needed
            status, _ = await raw_request(port, f"POST /telegram HTTP/1.1\r\nHost: x\r\n{huge}"
                                                f"{TELEGRAM_HEADER}: {SECRET}\r\n\r\n")
            assert status == 413
            async with httpx.AsyncClient() as client:
                for body in ({"hello": "world"}, {"update_id": "x"}, [1, 2]):
                    refused = await client.post(f"http://127.0.0.1:{port}/telegram", json=body,
                                                headers={TELEGRAM_HEADER: SECRET})
                    assert refused.status_code == 400, body
                not_json = await client.post(f"http://127.0.0.1:{port}/telegram", content=b"\xff{",
                                             headers={TELEGRAM_HEADER: SECRET})
                assert not_json.status_code == 400

            # Any other method or path is refused on its headers: a 1 MiB body is never read (the answer comes
            # while the body has not been sent), and a body nested 100,000 deep is a 400, not a 500.
            body = "Content-Length: 1048576\r\nContent-Type: application/json\r\n"
            for method, path, status in (("PUT", "/telegram", 405), ("DELETE", "/telegram", 405),
                                         ("PATCH", "/telegram", 405), ("POST", "/healthz", 405),
                                         ("POST", "/elsewhere", 404), ("GET", "/telegram", 405)):
                answered, _ = await raw_request(port, f"{method} {path} HTTP/1.1\r\nHost: x\r\n{body}\r\n")
                assert answered == status, (method, path)
            async with httpx.AsyncClient() as client:
                deep = await client.post(f"http://127.0.0.1:{port}/telegram", content=b"[" * 100_000,
                                         headers={TELEGRAM_HEADER: SECRET})
                assert deep.status_code == 400

            stalled = []
            for _ in range(60):  # more than the server serves at once, each stuck in its headers
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(b"POST /telegram HTTP/1.1\r\nHost: x\r\n")
                stalled.append(writer)
            await asyncio.sleep(2.5)  # the idle timeout closes them
            async with httpx.AsyncClient() as client:
                genuine = await client.post(f"http://127.0.0.1:{port}/telegram", json=telegram_update(7, "xin chao"),
                                            headers={TELEGRAM_HEADER: SECRET})
            assert genuine.status_code == 200
            await wait_until(lambda: telegram.messages_to(4321))
            for writer in stalled:
                writer.close()
            http.stop()
            await conversation.drain()


def test_a_repeated_error_is_logged_once_a_minute() -> None:
    import io
    import logging

    from bot.runtime.logs import JsonLines, OncePerInterval

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(OncePerInterval(60))
    handler.setFormatter(JsonLines())
    log = logging.getLogger("tdc.test-flood")
    log.addHandler(handler)
    log.propagate = False
    try:
        for _ in range(1000):
            log.error("accept failed", extra={"error": "EMFILE"})
        log.error("another event")
    finally:
        log.removeHandler(handler)
    assert len(stream.getvalue().splitlines()) == 2

"""Real SMTP servers on 127.0.0.1 that record what they receive, and misbehave on demand.

`SmtpServer` is aiosmtpd. `mode` makes it misbehave the way mail servers do: "ok",
"busy" (451 on DATA), "reject" (554 on DATA), "drop" (takes the whole message, then
closes the connection without replying: the client cannot know it was delivered),
"stall" (takes the whole message and never replies). Addresses in `refuse` get 550 at
RCPT, those in `defer` 450. `smtputf8` makes it offer SMTPUTF8 (RFC 6531); without it,
it refuses any command with letters beyond ASCII, as a strict server does.

`SilentServer` accepts TCP connections and never says a word (a hung server, a
firewall that holds connections): each connection is counted.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Recorder:
    mode: str = "ok"
    refuse: set[str] = field(default_factory=set)
    defer: set[str] = field(default_factory=set)
    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # each message's bytes as they came
    mail_options: list[list[str]] = field(default_factory=list)
    waiting: asyncio.Event | None = None  # "stall": set when the server stops

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          mail_options: list[str]) -> str:
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        if address in self.defer:
            return "450 4.2.1 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.mode == "busy":
            return "451 4.3.0 try again later"
        if self.mode == "reject":
            return "554 5.7.1 message refused"
        content = envelope.original_content or envelope.content
        message = message_from_bytes(content, policy=policy.default)
        self.received.append(message)  # type: ignore[arg-type]
        self.raw.append(content)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.mail_options.append(list(envelope.mail_options))
        if self.mode == "drop":  # delivered, and the client never hears so
            server.transport.close()
        elif self.mode == "stall":
            self.waiting = asyncio.Event()
            await self.waiting.wait()
        return "250 Message accepted"


class SmtpServer:
    def __init__(self, *, smtputf8: bool = False) -> None:
        self.port = free_port()
        self.recorder = Recorder()
        self.smtputf8 = smtputf8
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port,
                                     enable_SMTPUTF8=self.smtputf8)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            waiting = self.recorder.waiting
            if waiting is not None:  # a stalled session is let go
                self.controller.loop.call_soon_threadsafe(waiting.set)
            self.controller.stop()
            self.controller = None


class SilentServer:
    """Accepts connections on 127.0.0.1 and never answers; counts them."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = int(self.listener.getsockname()[1])
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:  # closed: the server stops
                return
            self.connections.append(conn)

    def stop(self) -> None:
        self.listener.close()
        for conn in self.connections:
            conn.close()

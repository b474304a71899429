"""Getting a message out: SMTP when configured, else `.eml` files in an outbox folder.

`KIEMTRA_SMTP_URL` is `smtp://[user[:password]@]host[:port][?starttls=1]` or
`smtps://…`; the password may instead come from `KIEMTRA_SMTP_PASSWORD`. It is
never printed: `describe()` leaves it out. Failures are sorted for the ledger:
4xx replies and connection trouble are temporary (retried later), 5xx replies
are permanent.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
from email.message import Message
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit


class DeliveryError(Exception):
    def __init__(self, message: str, code: int | None = None, *, permanent: bool) -> None:
        super().__init__(message)
        self.code = code
        self.permanent = permanent


class Transport(Protocol):
    def send(self, message: Message) -> dict[str, str]:
        """Send; return the recipients refused (address → reply) when others were accepted."""

    def describe(self) -> str: ...

    def close(self) -> None: ...


class OutboxTransport:
    """Writes each message as an `.eml` file named by the day it was sent and what it is
    (`2026-08-06_KTD-TKT-2026_kt_report_0_2026-08-11_-3.eml`: campaign, unit, kind,
    finding, due date, stage), so a folder listing reads as a register; the product works
    with no mail server."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: Message) -> dict[str, str]:
        from email.utils import parsedate_to_datetime

        from kiemtra.workflow import VIETNAM

        self.folder.mkdir(parents=True, exist_ok=True)
        key = message.get("X-Kiemtra-Key")
        if key:
            day = parsedate_to_datetime(str(message["Date"])).astimezone(VIETNAM).date()
            name = f"{day.isoformat()}_{str(key).replace('/', '_')}"
        else:
            name = str(message["Message-ID"]).strip("<>")
        name = re.sub(r"[^A-Za-z0-9._+-]", "_", name)
        target = self.folder / f"{name}.eml"
        partial = target.with_suffix(".eml.part")
        partial.write_bytes(message.as_bytes())
        partial.replace(target)  # a reader never sees half a file
        return {}

    def describe(self) -> str:
        return f"outbox {self.folder}"

    def close(self) -> None:
        return None


class SmtpTransport:
    """One SMTP session reused for a whole tick, reopened if the server drops it."""

    def __init__(self, url: str, password: str | None = None, timeout: float = 30) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            msg = "KIEMTRA_SMTP_URL must look like smtp://user@host:587?starttls=1 or smtps://…"
            raise ValueError(msg)
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else password
        self.starttls = parse_qs(parts.query).get("starttls", ["0"])[0] in ("1", "true", "yes")
        self.timeout = timeout
        self.session: smtplib.SMTP | None = None

    def describe(self) -> str:
        who = f"{self.user}@" if self.user else ""
        return f"{'smtps' if self.tls else 'smtp'}://{who}{self.host}:{self.port}"

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        session: smtplib.SMTP
        if self.tls:
            session = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                       context=context)
        else:
            session = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                session.starttls(context=context)
        if self.user:
            session.login(self.user, self.password or "")
        return session

    def send(self, message: Message) -> dict[str, str]:
        try:
            if self.session is None:
                self.session = self._connect()
            try:
                refused = self.session.send_message(message)
            except smtplib.SMTPServerDisconnected:
                self.session = self._connect()  # a dropped idle session: one more try
                refused = self.session.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            self.close()
            msg = f"every recipient refused: {_replies(exc.recipients)}"
            raise DeliveryError(msg,
                                max(codes), permanent=all(c >= 500 for c in codes)) from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            text = exc.smtp_error.decode(errors="replace") if isinstance(
                exc.smtp_error, bytes) else str(exc.smtp_error)
            msg = f"{exc.smtp_code} {text}"
            raise DeliveryError(msg, exc.smtp_code,
                                permanent=exc.smtp_code >= 500) from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            msg = f"{type(exc).__name__}: {exc}"
            raise DeliveryError(msg, permanent=False) from None
        return {addr: f"{code} {_text(reply)}" for addr, (code, reply) in refused.items()}

    def close(self) -> None:
        if self.session is not None:
            try:
                self.session.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.session = None


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _replies(recipients: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{addr}: {code} {_text(reply)}" for addr, (code, reply) in
                     recipients.items())


def transport_from_environment(outbox: Path) -> Transport:
    url = os.environ.get("KIEMTRA_SMTP_URL", "").strip()
    if not url:
        return OutboxTransport(outbox)
    try:
        return SmtpTransport(url, os.environ.get("KIEMTRA_SMTP_PASSWORD"))
    except ValueError as exc:
        from kiemtra.workflow import InvalidSetting

        raise InvalidSetting(name="KIEMTRA_SMTP_URL", detail=str(exc)) from None

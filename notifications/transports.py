"""Getting a message out: SMTP when configured, else `.eml` files in an outbox folder.

`KIEMTRA_SMTP_URL` is `smtp://[user[:password]@]host[:port][?starttls=1]` or
`smtps://…`; the password may instead come from `KIEMTRA_SMTP_PASSWORD`. It is
never printed: `describe()` leaves it out. `KIEMTRA_SMTP_TIMEOUT` is how many seconds
to wait for the server at each step (default 30, from 1 to 300).

Failures are sorted for the ledger (`DeliveryError`): 4xx replies and connection
trouble are temporary (retried later), 5xx replies are permanent. The envelope is
walked step by step (MAIL, RCPT for each recipient, DATA) so that what a failure means
is known: a connection lost before the end of the message's data means it was not
sent; lost after it (the server's reply never came) is an *unknown outcome* — the
message may have been delivered. Recipients refused at RCPT are returned one by one,
with their reply, while the others get the message.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from kiemtra.notifications.message import Letter, NeedsSmtpUtf8, ascii_address

DEFAULT_TIMEOUT, MIN_TIMEOUT, MAX_TIMEOUT = 30.0, 1.0, 300.0  # seconds

Refusals = dict[str, tuple[int, str]]  # address → (reply code, reply text)


class DeliveryError(Exception):
    """A message not sent, or not known to be. `unknown`: it was sent whole and the
    reply never came; `timeout`: the seconds the server was waited for in vain;
    `refused`: every recipient was refused, each with its reply; `reason`: a ledger
    word (`domain/ledger.py`) when the cause is not a server's reply."""

    def __init__(self, message: str, code: int | None = None, *, permanent: bool,
                 unknown: bool = False, timeout: float | None = None,
                 reason: str | None = None, refused: Refusals | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.permanent = permanent
        self.unknown = unknown
        self.timeout = timeout
        self.reason = reason
        self.refused = refused or {}


class Transport(Protocol):
    def send(self, letter: Letter) -> Refusals:
        """Send `letter` to its envelope; return the recipients refused (address →
        (code, reply)) while others were accepted. Raises DeliveryError."""

    def describe(self) -> str: ...

    def close(self) -> None: ...


class OutboxTransport:
    """Writes each message as an `.eml` file named by the day it was sent and what it is
    (`2026-08-06_KTD-TKT-2026_kt_report_0_2026-08-11_-3.eml`: campaign, unit, kind,
    finding, due date, stage), so a folder listing reads as a register; the product works
    with no mail server. Addresses are written IDNA-encoded, or as they are (an SMTPUTF8
    message, RFC 6532) when only that form can hold them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, letter: Letter) -> Refusals:
        from kiemtra.workflow import VIETNAM

        try:
            message = letter.message()
        except NeedsSmtpUtf8:
            message = letter.message(utf8=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        if letter.key:
            day = letter.date.astimezone(VIETNAM).date()
            name = f"{day.isoformat()}_{letter.key.replace('/', '_')}"
        else:
            name = letter.message_id.strip("<>")
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


class _Phases:
    """Knows whether the end of a message's data (CRLF . CRLF) was handed to the
    connection: after that, a lost reply is an unknown outcome, not a failure."""

    in_data = False
    data_sent = False

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.in_data, self.data_sent = True, False
        try:
            return super().data(msg)  # type: ignore[misc, no-any-return]
        finally:
            self.in_data = False

    def send(self, s: Any) -> None:
        super().send(s)  # type: ignore[misc]
        if self.in_data and isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self.data_sent = True


class _Session(_Phases, smtplib.SMTP):
    pass


class _TlsSession(_Phases, smtplib.SMTP_SSL):
    pass


class SmtpTransport:
    """One SMTP session reused for a whole tick, reopened if the server drops it."""

    def __init__(self, url: str, password: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
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
        self.session: _Session | _TlsSession | None = None

    def describe(self) -> str:
        who = f"{self.user}@" if self.user else ""
        return f"{'smtps' if self.tls else 'smtp'}://{who}{self.host}:{self.port}"

    def _connect(self) -> _Session | _TlsSession:
        context = ssl.create_default_context()
        session: _Session | _TlsSession
        if self.tls:
            session = _TlsSession(self.host, self.port, timeout=self.timeout, context=context)
        else:
            session = _Session(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                session.starttls(context=context)
        if self.user:
            session.login(self.user, self.password or "")
        session.ehlo_or_helo_if_needed()
        return session

    def send(self, letter: Letter) -> Refusals:
        try:
            fresh = self.session is None
            if self.session is None:
                self.session = self._connect()
            try:
                return self._transaction(self.session, letter)
            except smtplib.SMTPServerDisconnected as exc:
                if fresh or self.session.data_sent or _timed_out(exc):
                    raise
                self.session = self._connect()  # a dropped idle session: one more try
                return self._transaction(self.session, letter)
        except DeliveryError:
            raise
        except smtplib.SMTPResponseException as exc:
            self.close()
            msg = f"{exc.smtp_code} {_text(exc.smtp_error)}"
            raise DeliveryError(msg, exc.smtp_code,
                                permanent=exc.smtp_code >= 500) from None
        except (OSError, smtplib.SMTPException, UnicodeError) as exc:
            sent = self.session is not None and self.session.data_sent
            self.close()
            raise self._lost(exc, sent) from None

    def _transaction(self, session: _Session | _TlsSession, letter: Letter) -> Refusals:
        """MAIL, RCPT for each recipient, DATA: refusals at RCPT are the recipient's."""
        session.data_sent = False
        utf8 = letter.international and session.has_extn("smtputf8")
        try:
            message = letter.message(utf8=utf8)
            envelope = {a if utf8 else ascii_address(a): a for a in letter.envelope}
            sender = letter.sender[1] if utf8 else ascii_address(letter.sender[1])
        except NeedsSmtpUtf8 as exc:
            from kiemtra.domain.ledger import SMTPUTF8

            msg = f"{exc} ({self.describe()} does not offer SMTPUTF8)"
            raise DeliveryError(msg, permanent=True, reason=SMTPUTF8) from None
        options = (["SMTPUTF8", "BODY=8BITMIME"] if session.has_extn("8bitmime") else
                   ["SMTPUTF8"]) if utf8 else []
        code, reply = session.mail(sender, options)
        if code != 250:
            self._reset(session)
            msg = f"{code} {_text(reply)}"
            raise DeliveryError(msg, code, permanent=code >= 500)
        refused: Refusals = {}
        for wire, address in envelope.items():
            code, reply = session.rcpt(wire)
            if code not in (250, 251):
                refused[address] = (code, _text(reply))
        if len(refused) == len(envelope):
            self._reset(session)
            msg = f"every recipient refused: {_replies(refused)}"
            codes = [c for c, _ in refused.values()]
            raise DeliveryError(msg, max(codes), permanent=all(c >= 500 for c in codes),
                                refused=refused)
        from email.generator import BytesGenerator
        from io import BytesIO

        flat = BytesIO()
        BytesGenerator(flat, mangle_from_=False).flatten(message, linesep="\r\n")
        code, reply = session.data(flat.getvalue())
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)
        return refused

    def _reset(self, session: smtplib.SMTP) -> None:
        try:
            session.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def _lost(self, exc: BaseException, data_sent: bool) -> DeliveryError:
        """A connection that failed, timed out or was dropped, sorted by when."""
        from kiemtra.domain.ledger import DISCONNECTED, HEADER, TIMEOUT

        if isinstance(exc, UnicodeError):  # some value the wire cannot carry
            return DeliveryError(f"{type(exc).__name__}: {exc}", permanent=True, reason=HEADER)
        timeout = self.timeout if _timed_out(exc) else None
        what = (f"no answer within {self.timeout:g} seconds" if timeout is not None else
                f"{type(exc).__name__}: {exc}")
        if data_sent:
            return DeliveryError(f"the connection was lost after the whole message was sent, "
                                 f"before the server's reply ({what})", permanent=False,
                                 unknown=True, timeout=timeout,
                                 reason=TIMEOUT if timeout is not None else DISCONNECTED)
        return DeliveryError(what, permanent=False, timeout=timeout,
                             reason=TIMEOUT if timeout is not None else None)

    def close(self) -> None:
        if self.session is not None:
            session, self.session = self.session, None
            if session.sock is None:
                return
            try:
                session.quit()
            except (OSError, smtplib.SMTPException):
                session.close()


def _timed_out(exc: BaseException) -> bool:
    """Whether `exc` came from a socket timeout: smtplib reports a reply that never came
    as a lost connection, with the timeout as its context."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _replies(recipients: Mapping[str, tuple[int, str]]) -> str:
    return "; ".join(f"{addr}: {code} {reply}" for addr, (code, reply) in recipients.items())


def timeout_from_environment() -> float:
    """KIEMTRA_SMTP_TIMEOUT: seconds, from 1 to 300 (default 30); InvalidSetting otherwise."""
    text = os.environ.get("KIEMTRA_SMTP_TIMEOUT", "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    seconds = float(text) if re.fullmatch(r"[0-9]{1,4}(\.[0-9]{1,3})?", text) else None
    if seconds is None or not MIN_TIMEOUT <= seconds <= MAX_TIMEOUT:
        from kiemtra.workflow import InvalidSetting

        raise InvalidSetting(name="KIEMTRA_SMTP_TIMEOUT", detail=(
            f"phải là số giây từ {MIN_TIMEOUT:g} đến {MAX_TIMEOUT:g}, không phải “{text}”",
            f"it must be a number of seconds from {MIN_TIMEOUT:g} to {MAX_TIMEOUT:g}, "
            f"not '{text}'"))
    return seconds


def transport_from_environment(outbox: Path) -> Transport:
    url = os.environ.get("KIEMTRA_SMTP_URL", "").strip()
    if not url:
        return OutboxTransport(outbox)
    timeout = timeout_from_environment()
    try:
        return SmtpTransport(url, os.environ.get("KIEMTRA_SMTP_PASSWORD"), timeout=timeout)
    except ValueError:
        from kiemtra.workflow import InvalidSetting

        raise InvalidSetting(name="KIEMTRA_SMTP_URL", detail=(
            "phải có dạng smtp://user@host:587?starttls=1 hoặc smtps://…",
            "it must look like smtp://user@host:587?starttls=1 or smtps://…")) from None

"""Building a reminder email, refusing anything that could smuggle in a header.

Every header value is checked twice: as given, and after decoding any RFC 2047
encoded words in it, because Python 3.11.7's email package still turns an
encoded newline into a real header line when it folds (CVE-2024-6923). Plans are
checked at import already; this is the second wall, at the point of sending.

An address with Vietnamese letters in its domain (`kinhte@khúcthừadụ.vn`, which plans
may hold) is written in one of two forms, chosen when the server is known: as it is,
in a message for a server that offers SMTPUTF8 (RFC 6531: the headers carry UTF-8), or
with its domain IDNA-encoded (`kinhte@xn--khcthad-71a0500ewba.vn`) in a plain ASCII
message for any other server and for the outbox. An address whose part before the @
has such letters can only travel by SMTPUTF8 (`NeedsSmtpUtf8`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from email.header import Header, decode_header, make_header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, getaddresses, make_msgid
from functools import lru_cache

FORBIDDEN = {"Cc", "Zl", "Zp"}  # control characters (CR, LF, NUL, …), U+2028, U+2029

class UnsafeHeader(ValueError):
    """A header value that could inject or break headers."""


class NeedsSmtpUtf8(ValueError):
    """An address whose local part (before the @) is not ASCII: only a server offering
    SMTPUTF8 can take it."""

    def __init__(self, address: str) -> None:
        super().__init__(f"{address}: the part before the @ has letters beyond ASCII, "
                         "which only a server offering SMTPUTF8 can take")
        self.address = address


class BadSender(ValueError):
    """KIEMTRA_MAIL_FROM is not one safe address; `vi` and `en` say why."""

    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.vi, self.en = vi, en


def _bad_characters(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) in FORBIDDEN]


def _codes(bad: list[str]) -> str:
    return ", ".join(f"U+{ord(c):04X}" for c in dict.fromkeys(bad))


def check_header(name: str, value: str) -> str:
    """Return `value` if it is safe in header `name`; raise UnsafeHeader otherwise."""
    bad = _bad_characters(value)
    if not bad:
        try:
            decoded = str(make_header(decode_header(value)))
        except (ValueError, LookupError, UnicodeDecodeError) as exc:
            msg = f"{name}: undecodable encoded word ({exc})"
            raise UnsafeHeader(msg) from None
        bad = _bad_characters(decoded)
    if bad:
        msg = f"{name}: control characters ({_codes(bad)}) are not allowed in a header"
        raise UnsafeHeader(msg)
    return value


def ascii_address(email: str) -> str:
    """`email` as a plain ASCII message and envelope can carry it: its domain
    IDNA-encoded; NeedsSmtpUtf8 when the part before the @ is not ASCII."""
    if email.isascii():
        return email
    local, _, domain = email.rpartition("@")
    if not local.isascii():
        raise NeedsSmtpUtf8(email)
    from email_validator import EmailNotValidError, validate_email

    try:  # the rules the plan's addresses were checked by at import
        ascii_domain = validate_email(email, check_deliverability=False,
                                      allow_smtputf8=True).ascii_domain
    except EmailNotValidError as exc:
        msg = f"address: {email!r} has a domain that cannot be IDNA-encoded ({exc})"
        raise UnsafeHeader(msg) from None
    return f"{local}@{ascii_domain}"


def address(name: str, email: str, *, utf8: bool = False) -> str:
    """`Name <addr>` with the name RFC 2047-encoded, after checking both parts; the
    address IDNA-encoded, or (`utf8`, for an SMTPUTF8 message) as it is."""
    check_header("display name", name)
    check_header("address", email)
    if email.count("@") != 1 or any(c in email for c in " <>,;\"\\"):
        msg = f"address: {email!r} is not one email address"
        raise UnsafeHeader(msg)
    if not utf8 or email.isascii():
        return formataddr((name, ascii_address(email)), charset="utf-8")
    if not name:
        return _raw(email)
    shown = formataddr((name, "x@x"), charset="utf-8")  # the name as formataddr writes it
    return _raw(f"{shown[:-len('<x@x>')]}<{email}>")


def _raw(text: str) -> str:
    """UTF-8 header text that the classic `email` classes write out as it is, unencoded
    (they keep such "surrogate-escaped" bytes verbatim): an SMTPUTF8 message's header."""
    return text.encode("utf-8").decode("ascii", "surrogateescape")


def new_message_id(domain: str) -> str:
    """A Message-ID on the sender's domain (IDNA-encoded: a Message-ID is ASCII)."""
    try:
        domain = ascii_address(f"x@{domain}").partition("@")[2]
    except ValueError:
        domain = "kiemtra.invalid"
    return make_msgid(idstring="kiemtra", domain=domain)


def build(*, sender: tuple[str, str], to: list[tuple[str, str]], subject: str, text: str,
          html: str, message_id: str, date: datetime, utf8: bool = False) -> Message:
    """A multipart/alternative message (plain text and HTML), with checked headers.

    Built with the email package's classic MIME classes: they fold encoded words
    within RFC 2047's limits, leave the commas of an address list alone, and cost a
    fifth of `EmailMessage` with a modern policy. `utf8`: for a server that offers
    SMTPUTF8, addresses stay as written (see the module's docstring).
    """
    msg = MIMEMultipart("alternative")
    msg["From"] = address(*sender, utf8=utf8)
    msg["To"] = ", ".join(address(name, email, utf8=utf8) for name, email in to)
    msg["Subject"] = Header(check_header("Subject", subject), "utf-8")  # type: ignore[assignment]
    msg["Message-ID"] = check_header("Message-ID", message_id)
    msg["Date"] = format_datetime(date)
    msg["Auto-Submitted"] = "auto-generated"
    msg.attach(MIMEText(text, "plain", "utf-8"))
    msg.attach(MIMEText(html, "html", "utf-8"))
    return msg


@dataclass(frozen=True)
class Letter:
    """A reminder ready to go: the transport builds its message (`message`) once it
    knows what the server can take."""

    sender: tuple[str, str]
    to: list[tuple[str, str]]
    subject: str
    text: str
    html: str
    message_id: str
    date: datetime
    key: str | None = None  # X-Kiemtra-Key: what the reminder is (its outbox file's name)
    recipients: list[str] = field(default_factory=list)  # the envelope; default: `to`

    @property
    def envelope(self) -> list[str]:
        return self.recipients or [email for _, email in self.to]

    @property
    def international(self) -> bool:
        """Some address in it has letters beyond ASCII."""
        return not all(a.isascii() for a in [self.sender[1], *self.envelope,
                                             *(email for _, email in self.to)])

    def message(self, *, utf8: bool = False) -> Message:
        msg = build(sender=self.sender, to=self.to, subject=self.subject, text=self.text,
                    html=self.html, message_id=self.message_id, date=self.date, utf8=utf8)
        if self.key:
            msg["X-Kiemtra-Key"] = check_header("X-Kiemtra-Key", self.key)
        return msg


@lru_cache(maxsize=8)  # read for every message of a tick
def parse_sender(value: str) -> tuple[str, str]:
    """KIEMTRA_MAIL_FROM ("Tên <địa chỉ>", or the address alone) as (name, address);
    BadSender when it holds a control character (also in an encoded word), is not
    exactly one address, or the address is not valid."""
    bad = _bad_characters(value)
    if not bad:
        try:
            bad = _bad_characters(str(make_header(decode_header(value))))
        except (ValueError, LookupError, UnicodeDecodeError):
            vi = "có từ mã hóa (RFC 2047) không giải mã được"
            en = "it holds an encoded word (RFC 2047) that cannot be decoded"
            raise BadSender(vi, en) from None
    if bad:
        vi = f"có ký tự điều khiển ({_codes(bad)}), không được có trong tiêu đề thư"
        en = f"it holds control characters ({_codes(bad)}), which a mail header may not"
        raise BadSender(vi, en)
    found = getaddresses([value])
    if len(found) != 1 or not found[0][1]:
        vi = f"phải là đúng một địa chỉ, dạng “Tên <địa chỉ>”, không phải “{value}”"
        en = f"it must be exactly one address, as 'Name <address>', not '{value}'"
        raise BadSender(vi, en)
    name, email = found[0]
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(email, check_deliverability=False, allow_smtputf8=True)
        address(name, email, utf8=True)
    except (EmailNotValidError, UnsafeHeader) as exc:
        if "@" not in email:
            vi = f"“{value}” không có địa chỉ email; hãy viết dạng “Tên <địa chỉ>”"
            en = f"'{value}' holds no email address; write it as 'Name <address>'"
        else:
            vi = f"địa chỉ “{email}” không hợp lệ"
            en = f"the address '{email}' is invalid ({str(exc).rstrip('.')})"
        raise BadSender(vi, en) from None
    return name, email

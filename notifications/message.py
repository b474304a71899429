"""Building a reminder email, refusing anything that could smuggle in a header.

Every header value is checked twice: as given, and after decoding any RFC 2047
encoded words in it, because Python 3.11.7's email package still turns an
encoded newline into a real header line when it folds (CVE-2024-6923). Plans are
checked at import already; this is the second wall, at the point of sending.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from email.header import Header, decode_header, make_header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, make_msgid

FORBIDDEN = {"Cc", "Zl", "Zp"}  # control characters (CR, LF, NUL, …), U+2028, U+2029

class UnsafeHeader(ValueError):
    """A header value that could inject or break headers."""


def _bad_characters(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) in FORBIDDEN]


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
        codes = ", ".join(f"U+{ord(c):04X}" for c in dict.fromkeys(bad))
        msg = f"{name}: control characters ({codes}) are not allowed in a header"
        raise UnsafeHeader(msg)
    return value


def address(name: str, email: str) -> str:
    """`Name <addr>` with the name RFC 2047-encoded, after checking both parts."""
    check_header("display name", name)
    check_header("address", email)
    if email.count("@") != 1 or any(c in email for c in " <>,;\"\\"):
        msg = f"address: {email!r} is not one email address"
        raise UnsafeHeader(msg)
    return formataddr((name, email), charset="utf-8")


def new_message_id(domain: str) -> str:
    return make_msgid(idstring="kiemtra", domain=domain)


def build(*, sender: tuple[str, str], to: list[tuple[str, str]], subject: str, text: str,
          html: str, message_id: str, date: datetime) -> Message:
    """A multipart/alternative message (plain text and HTML), with checked headers.

    Built with the email package's classic MIME classes: they fold encoded words
    within RFC 2047's limits, leave the commas of an address list alone, and cost a
    fifth of `EmailMessage` with a modern policy.
    """
    msg = MIMEMultipart("alternative")
    msg["From"] = address(*sender)
    msg["To"] = ", ".join(address(name, email) for name, email in to)
    msg["Subject"] = Header(check_header("Subject", subject), "utf-8")  # type: ignore[assignment]
    msg["Message-ID"] = check_header("Message-ID", message_id)
    msg["Date"] = format_datetime(date)
    msg["Auto-Submitted"] = "auto-generated"
    msg.attach(MIMEText(text, "plain", "utf-8"))
    msg.attach(MIMEText(html, "html", "utf-8"))
    return msg

"""Mail settings (KIEMTRA_SMTP_URL, KIEMTRA_SMTP_TIMEOUT, KIEMTRA_MAIL_FROM) and the two
forms of an address with Vietnamese letters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kiemtra.notifications.message import (
    BadSender,
    NeedsSmtpUtf8,
    ascii_address,
    build,
    new_message_id,
    parse_sender,
)
from kiemtra.notifications.transports import SmtpTransport, timeout_from_environment
from kiemtra.workflow import InvalidSetting

NOW = datetime(2026, 8, 7, 0, 30, tzinfo=UTC)


def test_password_is_never_described() -> None:
    transport = SmtpTransport("smtp://kiemtra:s%C3%A9cret@mail.example:587?starttls=1")
    assert transport.password == "sécret" and transport.starttls
    assert transport.describe() == "smtp://kiemtra@mail.example:587"
    assert "cret" not in transport.describe()


def test_password_from_the_environment_and_implicit_tls() -> None:
    transport = SmtpTransport("smtps://kiemtra@mail.example", password="from-env")
    assert (transport.tls, transport.port, transport.password) == (True, 465, "from-env")


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "mail.example:25"])
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="KIEMTRA_SMTP_URL"):
        SmtpTransport(url)


# --- KIEMTRA_SMTP_TIMEOUT --------------------------------------------------------------


@pytest.mark.parametrize(("value", "seconds"), [("", 30.0), ("1", 1.0), (" 2.5 ", 2.5),
                                                ("300", 300.0)])
def test_the_timeout_setting(monkeypatch: pytest.MonkeyPatch, value: str,
                             seconds: float) -> None:
    monkeypatch.setenv("KIEMTRA_SMTP_TIMEOUT", value)
    assert timeout_from_environment() == seconds


@pytest.mark.parametrize("value", ["0", "0.5", "301", "abc", "-1", "1e3", "nan", "inf",
                                   "٣", "5s"])
def test_a_bad_timeout_is_refused_naming_the_setting(monkeypatch: pytest.MonkeyPatch,
                                                     value: str) -> None:
    monkeypatch.setenv("KIEMTRA_SMTP_TIMEOUT", value)
    with pytest.raises(InvalidSetting) as refused:
        timeout_from_environment()
    assert refused.value.exit_code == 2
    assert refused.value.message("vi") == (
        f"Thiết lập KIEMTRA_SMTP_TIMEOUT không hợp lệ: phải là số giây từ 1 đến 300, không "
        f"phải “{value}”.")
    assert refused.value.message("en") == (
        f"The setting KIEMTRA_SMTP_TIMEOUT is invalid: it must be a number of seconds from 1 "
        f"to 300, not '{value}'.")


# --- addresses with Vietnamese letters ------------------------------------------------


def test_a_vietnamese_domain_is_idna_encoded_unless_the_message_is_smtputf8() -> None:
    assert ascii_address("kinhte@khúcthừadụ.vn") == "kinhte@xn--khcthad-71a0500ewba.vn"
    assert ascii_address("kinhte@khucthuadu.example") == "kinhte@khucthuadu.example"
    with pytest.raises(NeedsSmtpUtf8):
        ascii_address("nguyễn@khúcthừadụ.vn")
    args: dict[str, Any] = dict(sender=("Tổ kiểm tra", "vhxh@khúcthừadụ.vn"),
                                to=[("Phòng Kinh tế", "kinhte@khúcthừadụ.vn")], subject="Nhắc",
                                text="x", html="<p>x</p>", message_id="<1@x.vn>", date=NOW)
    plain = build(**args).as_bytes()
    assert plain.isascii() and b"<kinhte@xn--khcthad-71a0500ewba.vn>" in plain
    wide = build(**args, utf8=True).as_bytes()
    assert "<kinhte@khúcthừadụ.vn>".encode() in wide  # UTF-8 headers, unencoded (RFC 6532)
    assert "=?utf-8?b?" in wide.decode()  # the display names stay RFC 2047 words
    assert "@xn--khcthad-71a0500ewba.vn" in new_message_id("khúcthừadụ.vn")


# --- KIEMTRA_MAIL_FROM --------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("Tổ kiểm tra <tkt@xa.gov.vn>", ("Tổ kiểm tra", "tkt@xa.gov.vn")),
    ("tkt@xa.gov.vn", ("", "tkt@xa.gov.vn")),
    ("Tổ kiểm tra <tổ@khúcthừadụ.vn>", ("Tổ kiểm tra", "tổ@khúcthừadụ.vn")),
])
def test_the_sender_setting(value: str, expected: tuple[str, str]) -> None:
    assert parse_sender(value) == expected


@pytest.mark.parametrize(("value", "vi"), [
    ("Tổ <tkt@xa.gov.vn>\r\nBcc: x@evil.example", "có ký tự điều khiển (U+000D, U+000A)"),
    ("=?utf-8?q?T=E1=BB=95=0ABcc=3A_x?= <tkt@xa.gov.vn>", "có ký tự điều khiển (U+000A)"),
    ("Tổ\u2028 <tkt@xa.gov.vn>", "có ký tự điều khiển (U+2028)"),
    ("A <a@xa.gov.vn>, b@xa.gov.vn", "phải là đúng một địa chỉ"),
    ("Tổ kiểm tra", "không có địa chỉ email"),
    ("Tổ <tkt@xa..gov.vn>", "địa chỉ “tkt@xa..gov.vn” không hợp lệ"),
])
def test_a_bad_sender_setting_is_refused(value: str, vi: str) -> None:
    with pytest.raises(BadSender) as refused:
        parse_sender(value)
    assert vi in refused.value.vi and refused.value.en

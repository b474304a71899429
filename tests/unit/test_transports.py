"""SMTP settings from KIEMTRA_SMTP_URL: the password is used, never shown."""

from __future__ import annotations

import pytest

from kiemtra.notifications.transports import SmtpTransport


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

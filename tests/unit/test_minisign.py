"""minisign's formats, written and read by kiemtra (Debian's minisign checks the same files
in tests/e2e/test_signing_cli.py)."""

from __future__ import annotations

import base64

import pytest

from kiemtra.projections.audit.minisign import (
    FormatError,
    SecretKey,
    grouped,
    read_public_key,
    read_secret_key,
)

KEY = SecretKey.from_seed(bytes(range(32)))


def test_a_public_key_file_is_minisigns_and_names_its_fingerprint() -> None:
    text = KEY.public.file_text()
    comment, line = text.splitlines()
    assert comment.startswith("untrusted comment: ") and grouped(KEY.public.fingerprint) in comment
    blob = base64.b64decode(line)
    assert blob[:2] == b"Ed" and blob[10:] == KEY.public.raw and len(blob) == 42
    # minisign prints the key number as a little-endian integer: the fingerprint's start
    assert f"{int.from_bytes(blob[2:10], 'little'):016X}" == KEY.public.key_id.upper()
    assert read_public_key(text) == KEY.public == read_public_key(line)


def test_a_secret_key_reads_back_whole_or_not_at_all() -> None:
    text = KEY.file_text()
    assert read_secret_key(text) == KEY
    blob = bytearray(base64.b64decode(text.splitlines()[1]))
    assert blob[2:4] == b"\0\0"  # unencrypted: kiemtra signs unattended
    for damage in (b"", text.encode()[:40], text.encode()[:-10]):
        with pytest.raises(FormatError):
            read_secret_key(damage.decode())
    blob[100] ^= 1  # one bit of the public half: it no longer agrees with the seed
    with pytest.raises(FormatError):
        read_secret_key(f"untrusted comment: x\n{base64.b64encode(bytes(blob)).decode()}\n")


def test_a_signature_file_holds_for_its_message_only() -> None:
    message = b'{"format": "kiemtra-checkpoint/2"}\n'
    signature = KEY.minisig(message, "kiemtra-checkpoint/2 position=5")
    assert KEY.public.minisig_valid(signature, message)
    assert not KEY.public.minisig_valid(signature, message + b" ")
    other = SecretKey.from_seed(b"o" * 32).public
    assert not other.minisig_valid(signature, message)
    lines = signature.splitlines()
    lines[2] = "trusted comment: kiemtra-checkpoint/2 position=6"  # the comment is signed too
    assert not KEY.public.minisig_valid("\n".join(lines) + "\n", message)
    with pytest.raises(FormatError):
        KEY.public.minisig_valid("not a signature", message)


def test_fingerprints_read_in_groups_of_four() -> None:
    assert grouped("3f5a9c2e1b7d") == "3F5A 9C2E 1B7D"

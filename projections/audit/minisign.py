"""Ed25519 keys and signatures in minisign's formats (https://jedisct1.github.io/minisign/),
made with the `cryptography` package's Ed25519 primitives, so that the files kiemtra writes
are checked as well by Debian's `minisign -Vm FILE -p KEY.pub` as by kiemtra itself.

Public key file, two lines:
    untrusted comment: <text>
    base64("Ed" ‖ key number (8 bytes) ‖ public key (32 bytes))
Secret key file, unencrypted (minisign's `-W`: kiemtra signs unattended):
    untrusted comment: <text>
    base64("Ed" ‖ "\\0\\0" (no KDF) ‖ "B2" ‖ salt (32) ‖ opslimit (8) ‖ memlimit (8) ‖
           key number (8) ‖ seed ‖ public key (64) ‖ BLAKE2b-256 checksum (32))
Signature file (FILE.minisig):
    untrusted comment: <text>
    base64("ED" ‖ key number ‖ Ed25519 signature of BLAKE2b-512(FILE's bytes))
    trusted comment: <text>
    base64(Ed25519 signature of (the signature above ‖ the trusted comment))

A key's fingerprint is the SHA-256 of its 32 raw public bytes. The key number of a key
kiemtra makes is the fingerprint's first 8 bytes, stored reversed, so that minisign (which
prints the number as a little-endian integer) shows the fingerprint's first 16 hex digits;
a key made by minisign itself (`minisign -G -W`) keeps its own random number. "ED" (the message
hashed first) is minisign's own default and the only form `minisign -V -H` accepts; the
legacy "Ed" (the message signed as is) is accepted when verifying.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from dataclasses import dataclass

COMMENT = "untrusted comment: "
TRUSTED = "trusted comment: "
ALGORITHM = b"Ed"
HASHED = b"ED"
NO_KDF = b"\0\0"
CHECKSUM = b"B2"
SECRET_KEY_BYTES = 2 + 2 + 2 + 32 + 8 + 8 + 8 + 64 + 32
MAX_TRUSTED_COMMENT = 8192  # minisign's TRUSTEDCOMMENTMAXBYTES, with its final NUL


class FormatError(ValueError):
    """Not a key or a signature in minisign's format; the message says what is wrong."""


@dataclass(frozen=True)
class PublicKey:
    raw: bytes  # 32 bytes
    number: bytes  # minisign's key number, 8 bytes: `of` derives it, another tool's is kept

    @classmethod
    def of(cls, raw: bytes) -> PublicKey:
        return cls(raw, bytes.fromhex(hashlib.sha256(raw).hexdigest()[:16])[::-1])

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the raw public key, 64 hex digits: what the official letter names."""
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def key_id(self) -> str:
        """The fingerprint's first 16 hex digits: which key signed a checkpoint."""
        return self.fingerprint[:16]

    def line(self) -> str:
        return base64.b64encode(ALGORITHM + self.number + self.raw).decode("ascii")

    def file_text(self) -> str:
        return (f"{COMMENT}kiemtra public key {self.key_id.upper()}, SHA-256 fingerprint "
                f"{grouped(self.fingerprint)}\n{self.line()}\n")

    def valid(self, signature: bytes, message: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True

    def minisig_valid(self, text: str, message: bytes) -> bool:
        """`text` (a .minisig file) is this key's signature of `message`, and its trusted
        comment is this key's too. FormatError if `text` is no signature at all."""
        lines = text.splitlines()
        if len(lines) < 4 or not lines[0].startswith(COMMENT) or not lines[2].startswith(TRUSTED):
            msg = "not a minisign signature file"
            raise FormatError(msg)
        blob = _base64(lines[1], 74)
        algorithm, number, signature = blob[:2], blob[2:10], blob[10:]
        if algorithm not in (ALGORITHM, HASHED):
            msg = "not an Ed25519 signature"
            raise FormatError(msg)
        comment = lines[2][len(TRUSTED):].encode("utf-8")
        signed = hashlib.blake2b(message).digest() if algorithm == HASHED else message
        return (number == self.number and self.valid(signature, signed)
                and self.valid(_base64(lines[3], 64), signature + comment))


@dataclass(frozen=True)
class SecretKey:
    seed: bytes  # 32 bytes
    public: PublicKey

    @classmethod
    def generate(cls) -> SecretKey:
        return cls.from_seed(secrets.token_bytes(32))

    @classmethod
    def from_seed(cls, seed: bytes) -> SecretKey:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
            Encoding.Raw, PublicFormat.Raw)
        return cls(seed, PublicKey.of(public))

    def sign(self, message: bytes) -> bytes:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)

    def minisig(self, message: bytes, trusted_comment: str) -> str:
        """The .minisig file of `message`, with `trusted_comment` (one line) signed too."""
        comment = trusted_comment.encode("utf-8")
        if b"\n" in comment or b"\r" in comment or len(comment) >= MAX_TRUSTED_COMMENT:
            msg = "a trusted comment is one line of less than 8192 bytes"
            raise ValueError(msg)
        signature = self.sign(hashlib.blake2b(message).digest())
        line = base64.b64encode(HASHED + self.public.number + signature).decode("ascii")
        whole = base64.b64encode(self.sign(signature + comment)).decode("ascii")
        return (f"{COMMENT}signature from kiemtra secret key {self.public.key_id.upper()}\n"
                f"{line}\n{TRUSTED}{trusted_comment}\n{whole}\n")

    def file_text(self) -> str:
        keys = self.seed + self.public.raw
        checksum = hashlib.blake2b(ALGORITHM + self.public.number + keys, digest_size=32).digest()
        blob = (ALGORITHM + NO_KDF + CHECKSUM + bytes(48) + self.public.number + keys + checksum)
        return (f"{COMMENT}kiemtra secret key {self.public.key_id.upper()} (unencrypted, "
                f"minisign format)\n{base64.b64encode(blob).decode('ascii')}\n")


def read_public_key(text: str) -> PublicKey:
    """A minisign public key file, or its second line alone. FormatError if it is not."""
    lines = [line.strip() for line in text.strip().splitlines()]
    if len(lines) == 2 and lines[0].startswith(COMMENT):
        lines = lines[1:]
    if len(lines) != 1:
        msg = "not a minisign public key (two lines: a comment, then the key)"
        raise FormatError(msg)
    blob = _base64(lines[0], 42)
    if blob[:2] != ALGORITHM:
        msg = "not an Ed25519 key"
        raise FormatError(msg)
    return PublicKey(blob[10:], blob[2:10])


def read_secret_key(text: str) -> SecretKey:
    """An unencrypted minisign secret key, whole and consistent: its seed must give the
    public key stored with it (and its checksum must hold, unless it is zero, as minisign
    writes it for a key without a password). FormatError otherwise."""
    lines = text.strip().splitlines()
    if len(lines) != 2 or not lines[0].startswith(COMMENT):
        msg = "not a minisign secret key (two lines: a comment, then the key)"
        raise FormatError(msg)
    blob = _base64(lines[1].strip(), SECRET_KEY_BYTES)
    if blob[:2] != ALGORITHM or blob[4:6] != CHECKSUM:
        msg = "not an Ed25519 key of minisign's format"
        raise FormatError(msg)
    if blob[2:4] != NO_KDF:
        msg = "it is encrypted with a password (kiemtra signs unattended: use one without)"
        raise FormatError(msg)
    number, seed, public, checksum = blob[54:62], blob[62:94], blob[94:126], blob[126:]
    key = SecretKey.from_seed(seed)
    expected = hashlib.blake2b(ALGORITHM + number + seed + public, digest_size=32).digest()
    if key.public.raw != public or checksum not in (expected, bytes(32)):
        msg = "the key is damaged (its parts do not agree)"
        raise FormatError(msg)
    return SecretKey(seed, PublicKey(public, number))  # a key minisign made keeps its number


def grouped(hex_digits: str) -> str:
    """"3F5A 9C2E …": a fingerprint as a person reads it aloud or copies it into a letter."""
    upper = hex_digits.upper()
    return " ".join(upper[i:i + 4] for i in range(0, len(upper), 4))


def _base64(line: str, size: int) -> bytes:
    try:
        blob = base64.b64decode(line, validate=True)
    except (binascii.Error, ValueError):
        msg = "not base64"
        raise FormatError(msg) from None
    if len(blob) != size:
        msg = f"{len(blob)} bytes where {size} are expected"
        raise FormatError(msg)
    return blob

"""Deterministic aggregate ids from natural keys, so a code names one stream forever.

Codes compare case-insensitively: `ktd-tkt-2026` finds `KTD-TKT-2026`.
"""

from __future__ import annotations

from hashlib import sha1
from uuid import UUID, uuid5

NAMESPACE = UUID("6f1d5c8e-3a51-4b8e-9c1e-6b7a0e2d4f10")


def campaign_id(code: str) -> UUID:
    return uuid5(NAMESPACE, f"campaign/{code.casefold()}")


def inspection_id(campaign_code: str, unit_code: str) -> UUID:
    return uuid5(NAMESPACE, f"inspection/{campaign_code.casefold()}/{unit_code.casefold()}")


def inspection_key(campaign_code: str, unit_code: str) -> str:
    """`inspection_id(...).hex` without the UUID object (a full rebuild names every stream
    of every plan): RFC 4122's version-5 UUID, SHA-1 of namespace and name with the
    version and variant bits set. A test holds it equal to `inspection_id`."""
    name = f"inspection/{campaign_code.casefold()}/{unit_code.casefold()}"
    digest = bytearray(sha1(NAMESPACE.bytes + name.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    return digest.hex()

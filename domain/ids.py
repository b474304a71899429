"""Deterministic aggregate ids from natural keys, so a code names one stream forever.

Codes compare case-insensitively: `ktd-tkt-2026` finds `KTD-TKT-2026`.
"""

from __future__ import annotations

from uuid import UUID, uuid5

NAMESPACE = UUID("6f1d5c8e-3a51-4b8e-9c1e-6b7a0e2d4f10")


def campaign_id(code: str) -> UUID:
    return uuid5(NAMESPACE, f"campaign/{code.casefold()}")


def inspection_id(campaign_code: str, unit_code: str) -> UUID:
    return uuid5(NAMESPACE, f"inspection/{campaign_code.casefold()}/{unit_code.casefold()}")

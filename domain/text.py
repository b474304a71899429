"""Free text typed on the command line (reasons, findings, notes)."""

from __future__ import annotations

import unicodedata

from domain.errors import InvalidInput

FORBIDDEN = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}
MAX_LENGTH = 4000


class InvalidText(InvalidInput):
    rule = "text"
    vi = "Nội dung {field} không hợp lệ: {why_vi}."
    en = "The text of {field} is invalid: {why_en}."


def clean_text(field: str, value: str, *, required: bool = True) -> str:
    """Strip `value` and refuse empty text, control characters and very long text."""
    text = value.strip()
    if not text:
        if required:
            raise InvalidText(field=field, why_vi="không được để trống", why_en="it is empty")
        return ""
    bad = [c for c in text if unicodedata.category(c) in FORBIDDEN]
    if bad:
        codes = ", ".join(f"U+{ord(c):04X}" for c in dict.fromkeys(bad))
        raise InvalidText(field=field, why_vi=f"chứa ký tự điều khiển ({codes})",
                          why_en=f"it contains control characters ({codes})")
    if len(text) > MAX_LENGTH:
        raise InvalidText(field=field, why_vi=f"dài quá {MAX_LENGTH} ký tự",
                          why_en=f"it is longer than {MAX_LENGTH} characters")
    return text

"""Free text typed on the command line (reasons, findings, notes)."""

from __future__ import annotations

import unicodedata

from kiemtra.domain.errors import InvalidText

FORBIDDEN = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}
MAX_LENGTH = 4000


def decoded_words(value: str) -> str:
    """`value` followed by its RFC 2047 decoding, when it holds encoded words.

    Names and subjects end up in mail headers, where Python's email package would
    turn an encoded newline (=?utf-8?q?=0A?=) into a real one (CVE-2024-6923).
    """
    if "=?" not in value:
        return value
    from email.header import decode_header, make_header

    try:
        return value + str(make_header(decode_header(value)))
    except (ValueError, LookupError, UnicodeDecodeError):
        return value + "\x00"  # undecodable: refuse like a control character


def clean_text(field: str, value: str, *, required: bool = True,
               number: int | None = None) -> str:
    """Strip `value` and refuse empty text, control characters and very long text.
    `field` is the fact's id (`reason`, `finding` with its `number`, …)."""
    text = value.strip()
    where = {"field": field, "number": number}
    if not text:
        if required:
            raise InvalidText(**where, why_vi="không được để trống", why_en="it is empty")
        return ""
    bad = [c for c in decoded_words(text) if unicodedata.category(c) in FORBIDDEN]
    if bad:
        codes = ", ".join(f"U+{ord(c):04X}" for c in dict.fromkeys(bad))
        raise InvalidText(**where, why_vi=f"chứa ký tự điều khiển ({codes})",
                          why_en=f"it contains control characters ({codes})")
    if len(text) > MAX_LENGTH:
        raise InvalidText(**where, why_vi=f"dài quá {MAX_LENGTH} ký tự",
                          why_en=f"it is longer than {MAX_LENGTH} characters")
    return text


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection")."""


def formula_like(text: str) -> bool:
    """Would a spreadsheet take this cell's text for a formula (`=HYPERLINK(…)`, `+1`,
    `@SUM(…)`)? The one rule for every file kiemtra writes for a spreadsheet."""
    return text.startswith(FORMULA_STARTS)


def neutralised(text: str) -> str:
    """A text cell of a CSV file, safe to open in a spreadsheet: a formula-like text gets a
    leading single quote, as OWASP recommends (the spreadsheet then shows it as text)."""
    return "'" + text if formula_like(text) else text

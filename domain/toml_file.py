"""Reading a TOML file a person wrote: a syntax error becomes a file problem, not a crash."""

from __future__ import annotations

import tomllib
from typing import Any

from kiemtra.domain.errors import InvalidFile, Problem


def load_toml(text: str, source: str, error: type[InvalidFile]) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(
            source, [Problem("TOML", f"cú pháp TOML sai: {exc}", f"TOML syntax error: {exc}")]
        ) from None

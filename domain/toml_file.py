"""Reading a TOML file a person wrote: a syntax error becomes a file problem, not a crash."""

from __future__ import annotations

import re
import tomllib
from typing import Any

from kiemtra.domain.errors import InvalidFile, Problem

AT = re.compile(r"^(?P<what>.*) \(at line (?P<line>\d+), column (?P<column>\d+)\)$")
VN_DATE = re.compile(r"(?<![\d-])\d{1,2}/\d{1,2}/\d{4}")


def load_toml(text: str, source: str, error: type[InvalidFile]) -> dict[str, Any]:
    """The file's data; a syntax error names the line and column in both languages, with
    a hint when that line holds a date written as DD/MM/YYYY (TOML wants 2026-08-26)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = AT.match(str(exc))
        if found is None:
            problem = Problem("TOML", "cú pháp TOML sai", f"TOML syntax error: {exc}")
        else:
            line = int(found["line"])
            problem = Problem(
                "TOML", f"cú pháp TOML sai ở dòng {line}, cột {found['column']}",
                f"TOML syntax error at line {line}, column {found['column']}: "
                f"{found['what']}")
            lines = text.splitlines()
            if 0 < line <= len(lines) and VN_DATE.search(lines[line - 1]):
                problem = Problem("TOML", problem.vi + " — ngày trong tệp TOML viết dạng "
                                  "NĂM-THÁNG-NGÀY, ví dụ 2026-08-26 (không phải 26/08/2026)",
                                  problem.en + " — a TOML date is written YEAR-MONTH-DAY, "
                                  "e.g. 2026-08-26 (not 26/08/2026)")
        raise error(source, [problem]) from None

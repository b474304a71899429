"""A reminder tick with nothing due, on the 100,000-inspection database, vs the due list.

Both are the installed `kiemtra` script in a subprocess, on a copy of the database
that `bench/national_scale.py` builds (and caches), with the views caught up first:

- `kiemtra --json due --within 1 --as-of DAY` (the baseline the issue names);
- `kiemtra --json remind --as-of DAY`, a whole tick: catch-up check, the due view
  read for the reminder window, the rules applied, nothing to send.

DAY is chosen so that no reminder stage falls near it (every deadline is months
old or months away), i.e. the tick has nothing to do but look. Medians of 7 runs,
interleaved. Target: tick <= 2x the due list.

Usage: python bench/reminder_tick.py [--inspections 100000] [--day 2027-06-01]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from national_scale import cached_database, copy_database  # noqa: E402


def wall(argv: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inspections", type=int, default=100_000)
    parser.add_argument("--day", default="2027-06-01")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    script = str(Path(sys.executable).parent / "kiemtra")
    source, _ = cached_database(Path(tempfile.gettempdir()), args.inspections, fresh=False)
    with tempfile.TemporaryDirectory(prefix="kiemtra-bench-tick-") as tmp:
        db = Path(tmp) / "kiemtra.db"
        copy_database(source, db)
        due = [script, "--db", str(db), "--json", "due", "--within", "1", "--as-of", args.day]
        tick = [script, "--db", str(db), "--json", "remind", "--as-of", args.day]
        _, listed = wall(due)  # catches the views up, untimed
        _, report = wall(tick)
        assert json.loads(report)["sent"] == [], report
        times: dict[str, list[float]] = {"due": [], "tick": []}
        for _ in range(args.runs):
            times["due"].append(wall(due)[0])
            times["tick"].append(wall(tick)[0])
    due_s, tick_s = statistics.median(times["due"]), statistics.median(times["tick"])
    rows = listed.count('"kind"')
    print(f"{args.inspections:,} inspections, as of {args.day}: due --within 1 lists {rows:,} "
          "deadlines; the tick finds nothing to send")
    print(f"kiemtra --json due --within 1: {due_s * 1000:.0f} ms (median of {args.runs})")
    print(f"kiemtra --json remind (nothing due): {tick_s * 1000:.0f} ms")
    print(f"tick / due ratio: {tick_s / due_s:.2f}  target <= 2")


if __name__ == "__main__":
    main()

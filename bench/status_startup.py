"""Wall time of `kiemtra --json status`, as a ratio to `python -c "import click"`.

The database (a SQLite file in a temporary folder) holds 10 campaigns: the plan
template imported under 10 codes, 4 units each, with campaign i walked i steps into
its year (notices, a report, visits, minutes, a conclusion, a reschedule, a
cancellation), so the status rows are varied. Setup runs in-process and is not timed.

Timed, each as a fresh process of the installed console script next to
`sys.executable`, with KIEMTRA_DB pointing at the file:

- `kiemtra --json status` (all 10 campaigns, 40 rows);
- `kiemtra --json status CAMPAIGN` (one campaign, 4 rows);
- the baseline `python -c "import click"`: an interpreter start plus the CLI
  framework, the least any click command can cost.

Each is run 7 times, the three interleaved, after one untimed warm-up; medians are
printed. The ratio (status / baseline) is what to read: it says how much kiemtra
adds to a bare start-up, independent of how fast the shared machine is today.

Usage: python bench/status_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from kiemtra.workflow import Database, Workflow, open_store, template_text

CAMPAIGNS = 10
D = date


def walk(wf: Workflow, code: str, steps: int) -> None:
    """Take campaign `code` the first `steps` steps of a varied year."""
    script: list[Callable[[], Any]] = [
        lambda: wf.notify(code, "kt", on_site=D(2026, 8, 12), day=D(2026, 8, 3)),
        lambda: wf.report(code, "kt", day=D(2026, 8, 11)),
        lambda: wf.inspect(code, "kt", day=D(2026, 8, 12)),
        lambda: wf.minutes(code, "kt", day=D(2026, 8, 12)),
        lambda: wf.conclude(code, "kt", day=D(2026, 8, 21), findings=["Chưa niêm yết TTHC"]),
        lambda: wf.inspect(code, "vp", day=D(2026, 8, 10), surprise=True),
        lambda: wf.notify(code, "vhxh", on_site=D(2026, 8, 14), day=D(2026, 8, 4)),
        lambda: wf.reschedule(code, "vhxh", on_site=D(2026, 8, 20), day=D(2026, 8, 10),
                              reason="Trùng lịch tiếp công dân"),
        lambda: wf.cancel(code, "hcc", day=D(2026, 8, 5), reason="Đơn vị sáp nhập"),
    ]
    for call in script[:steps]:
        call()


def build(db: Path) -> list[str]:
    """The 10-campaign database; returns the campaign codes."""
    wf = Workflow(open_store(Database(str(db))), "truong-to")
    codes = []
    for i in range(CAMPAIGNS):
        text = template_text().replace('code = "KTD-TKT-2026"', f'code = "KTD-TKT-2026-{i}"')
        codes.append(wf.import_plan(text, "bench.toml", D(2026, 6, 15)).code)
        walk(wf, codes[-1], i)
    return codes


def wall(argv: Sequence[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    out = subprocess.run(argv, env=env, check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each command")
    args = parser.parse_args()
    kiemtra = str(Path(sys.executable).parent / "kiemtra")

    with tempfile.TemporaryDirectory(prefix="kiemtra-bench-") as tmp:
        db = Path(tmp) / "kiemtra.db"
        codes = build(db)
        env = {**os.environ, "KIEMTRA_DB": str(db)}
        commands = {
            "status": [kiemtra, "--json", "status"],
            "status one": [kiemtra, "--json", "status", codes[-1]],
            "import click": [sys.executable, "-c", "import click"],
        }
        rows = json.loads(wall(commands["status"], env)[1])  # warm-up, and a sanity check
        assert len(rows) == 4 * CAMPAIGNS, len(rows)
        wall(commands["status one"], env)
        wall(commands["import click"], env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                times[name].append(wall(argv, env)[0])

    med = {name: statistics.median(t) * 1000 for name, t in times.items()}
    print(f"{args.runs} runs each, medians; {CAMPAIGNS} campaigns, {len(rows)} inspections")
    print(f'python -c "import click": {med["import click"]:.0f} ms')
    print(f"kiemtra --json status: {med['status']:.0f} ms")
    print(f"kiemtra --json status {codes[-1]}: {med['status one']:.0f} ms  "
          f"ratio {med['status one'] / med['import click']:.1f}x")
    print(f"status startup ratio: {med['status'] / med['import click']:.1f}x  target <= 6x")


if __name__ == "__main__":
    main()

"""Wall time of issuing documents, as a ratio to `kiemtra --json status` on the same database.

The database (a SQLite file in a temporary folder) holds one campaign of 40 units, the
plan template with its units replaced: each unit notified, its report sent with the
report figures, visited, minuted and concluded with two findings, every other unit's
first finding remediated. Setup runs in-process and is not timed.

Timed, each as a fresh process of the installed console script next to
`sys.executable`:

- `kiemtra --json document results CAMPAIGN` — the results report of the 40 units
  (the summary, a paragraph and an annex row per unit), numbered, recorded, stored;
- `kiemtra --json document minutes CAMPAIGN UNIT` — one unit's minutes, likewise;
- the baseline `kiemtra --json status CAMPAIGN` (40 rows).

Each is run N times (default 7), the three interleaved, after one untimed warm-up (which
also writes the bytecode caches a real install has);
every run issues a new number (the earlier one replaced), as a leader re-issuing would.
Medians and the spread (min–max) are printed; the ratio to the baseline is what to read
(target ≤ 4×): it says what documents cost over a read, whatever the machine's speed.

Usage: python bench/documents.py [--runs 7]
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
from datetime import date, timedelta
from pathlib import Path

from kiemtra.domain.plan import parse_plan_text
from kiemtra.workflow import Database, Workflow, metrics_text, open_store, template_text

UNITS = 40
CODE = "KTD-TKT-2026"


def plan_text() -> str:
    """The template with 40 units instead of its 4."""
    text = template_text()
    head, rest = text.split("[[units]]", 1)
    tail = rest[rest.index("\n# [documents]"):]
    units = "".join(
        f'[[units]]\ncode = "dv{i:02d}"\nname = "Đơn vị thứ {i} của xã"\n'
        f'head = "Thủ trưởng đơn vị"\nemail = "dv{i:02d}@khucthuadu.example"\n\n'
        for i in range(1, UNITS + 1))
    return head + units + tail


def build(db: Path, work: Path) -> None:
    text = plan_text()
    calendar = parse_plan_text(text).calendar()
    days = []
    day = date(2026, 8, 3)
    while len(days) < UNITS // 2:
        if calendar.is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    metrics = work / "so-lieu.toml"
    metrics.write_text(metrics_text(), "utf-8")
    store = open_store(Database(str(db)))
    wf = Workflow(store, "truong-to")
    wf.import_plan(text, "bench.toml", date(2026, 6, 15))
    for i in range(1, UNITS + 1):
        unit, on_site = f"dv{i:02d}", days[(i - 1) // 2]
        wf.notify(CODE, unit, on_site=on_site, day=on_site - timedelta(days=10))
        wf.report(CODE, unit, day=on_site - timedelta(days=6), metrics_file=str(metrics))
        wf.inspect(CODE, unit, day=on_site)
        wf.minutes(CODE, unit, day=on_site)
        wf.conclude(CODE, unit, day=on_site + timedelta(days=3), findings=[
            "Chưa công khai đầy đủ thủ tục hành chính", "Hồ sơ lưu trữ chưa đầy đủ"])
        if i % 2:
            wf.remediate(CODE, unit, findings=[1], day=on_site + timedelta(days=20))
    store.close()


def wall(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        failed = f"{' '.join(argv)}: {done.stderr}"
        raise SystemExit(failed)
    return time.perf_counter() - start, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each command")
    args = parser.parse_args()
    kiemtra = str(Path(sys.executable).parent / "kiemtra")

    with tempfile.TemporaryDirectory(prefix="kiemtra-bench-") as tmp:
        db, out = Path(tmp) / "kiemtra.db", Path(tmp) / "van-ban"
        out.mkdir()
        build(db, Path(tmp))
        # Bytecode caches allowed (the warm-up writes them), as in a real install: pip
        # compiles an installed package's modules; an environment that sets
        # PYTHONDONTWRITEBYTECODE would have every run compile kiemtra from source.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(KIEMTRA_DB=str(db), KIEMTRA_ACTOR="truong-to")
        commands = {
            "results": [kiemtra, "--json", "document", "results", CODE, "--date",
                        "2026-10-15", "-o", str(out)],
            "minutes": [kiemtra, "--json", "document", "minutes", CODE, "dv07", "--date",
                        "2026-10-15", "-o", str(out)],
            "status": [kiemtra, "--json", "status", CODE],
        }
        for argv in commands.values():  # warm-up, and a sanity check
            wall(argv, env)
        rows = json.loads(wall(commands["status"], env)[1])
        assert len(rows) == UNITS, len(rows)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                times[name].append(wall(argv, env)[0] * 1000)
        issued = len(json.loads(wall([kiemtra, "--json", "documents", CODE], env)[1]))

    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"{args.runs} runs each, interleaved; one campaign of {UNITS} units; "
          f"{issued} documents issued in all")
    for name in commands:
        t = times[name]
        print(f"{name:8} median {med[name]:5.0f} ms  (min {min(t):.0f}, max {max(t):.0f})")
    for name in ("results", "minutes"):
        ratios = sorted(a / b for a, b in zip(times[name], times["status"], strict=True))
        print(f"{name} / status: {med[name] / med['status']:.2f}x  (per-run ratio "
              f"{ratios[0]:.2f}–{ratios[-1]:.2f})  target <= 4x")


if __name__ == "__main__":
    main()

"""Sending 1,000 due reminders through kiemtra vs a bare smtplib loop, same server, same run.

Setup (not timed): a SQLite database with 250 campaigns of 4 units, every unit notified so
that its report reminder (3 working days before the due date) is due on the as-of day:
1,000 reminders. A real SMTP server (aiosmtpd) runs in a separate process on 127.0.0.1
and accepts everything.

- baseline: the same 1,000 messages, already built, sent with one `smtplib.SMTP`
  connection and `send_message` in a loop;
- kiemtra: one `run_tick` — reads the due view, renders each letter (Jinja2), claims
  it in the ledger (one committed event), sends it over one SMTP session, records
  `Sent` (another committed event).

Printed: both rates and the ratio kiemtra / bare (target >= 0.5), median of the rounds.

Usage: python bench/reminder_delivery.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from kiemtra.notifications.tick import run_tick
from kiemtra.notifications.transports import SmtpTransport
from kiemtra.workflow import Database, Workflow, open_store, template_text

CAMPAIGNS = 250
AS_OF = date(2026, 8, 6)  # reports due 11/08/2026 (on-site 12/08): 3 working days before
SERVER = """
import sys, time
from aiosmtpd.controller import Controller
class Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_database(path: Path) -> Database:
    database = Database(str(path))
    store = open_store(database)
    wf = Workflow(store, "thuong-truc")
    template = template_text()
    for i in range(CAMPAIGNS):
        code = f"BENCH-{i:04d}"
        wf.import_plan(template.replace('code = "KTD-TKT-2026"', f'code = "{code}"'), "b",
                       date(2026, 6, 15))
        for unit in ("vp", "kt", "vhxh", "hcc"):
            wf.notify(code, unit, on_site=date(2026, 8, 12), day=date(2026, 8, 3))
    store.close()
    return database


def kiemtra_rate(template_db: Path, workdir: Path, port: int, round_no: int) -> float:
    path = workdir / f"round{round_no}.db"
    with __import__("sqlite3").connect(template_db) as src, \
            __import__("sqlite3").connect(path) as dst:
        src.backup(dst)
    database = Database(str(path))
    from kiemtra.projections.views import Views

    Views(database).fresh()  # views caught up before timing, as after a day's commands
    start = time.perf_counter()
    report = run_tick(database, as_of=AS_OF, now=datetime(2026, 8, 6, 0, 30, tzinfo=UTC),
                      transport=SmtpTransport(f"smtp://127.0.0.1:{port}"), claimant="bench")
    elapsed = time.perf_counter() - start
    assert len(report.sent) == CAMPAIGNS * 4, (len(report.sent), report.failed[:1])
    return len(report.sent) / elapsed


def bare_rate(template_db: Path, port: int) -> float:
    """The same letters, rendered beforehand, sent by a plain smtplib loop."""
    from kiemtra.notifications.message import build
    from kiemtra.notifications.render import render
    from kiemtra.notifications.rules import Deadline, reminders_due
    from kiemtra.projections.views import Views

    database = Database(str(template_db))
    found = Views(database).fresh().deadlines_between(AS_OF, date(2026, 8, 31))
    deadlines = [Deadline(f["row"].record["campaign"], f["row"].record["unit"],
                          f["row"].unit_name, f["kind"], f["finding"], f["due"]) for f in found]
    plans = {f["row"].record["campaign"]: f["plan"] for f in found}
    records = {(f["row"].record["campaign"], f["row"].record["unit"]): f["row"].record
               for f in found}
    messages = []
    for i, r in enumerate(reminders_due(deadlines, plans, AS_OF)):
        d = r.deadline
        out = render(r, plans[d.campaign], records[d.campaign, d.unit], AS_OF)
        messages.append(build(sender=("Tổ kiểm tra", "vhxh@khucthuadu.example"),
                              to=list(r.recipients), subject=out.subject, text=out.text,
                              html=out.html, message_id=f"<bench{i}@khucthuadu.example>",
                              date=datetime.now(UTC)))
    assert len(messages) == CAMPAIGNS * 4
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for message in messages:
            smtp.send_message(message)
    return len(messages) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    try:
        with tempfile.TemporaryDirectory(prefix="kiemtra-bench-mail-") as tmp:
            workdir = Path(tmp)
            started = time.perf_counter()
            template_db = workdir / "template.db"
            build_database(template_db)
            print(f"setup: {CAMPAIGNS * 4} inspections notified in "
                  f"{time.perf_counter() - started:.1f} s")
            bare, ours, ratios = [], [], []
            for r in range(args.rounds):
                b = bare_rate(template_db, port)
                k = kiemtra_rate(template_db, workdir, port, r)
                bare.append(b)
                ours.append(k)
                ratios.append(k / b)
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=10)
    print(f"bare smtplib loop: {statistics.median(bare):.0f} messages/s")
    print(f"kiemtra tick (render + claim + send + record): {statistics.median(ours):.0f} "
          f"reminders/s")
    print(f"reminder delivery ratio: {statistics.median(ratios):.2f}  target >= 0.5")


if __name__ == "__main__":
    main()

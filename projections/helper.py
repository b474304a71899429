"""The rebuild's helper process (`parts.py`): python -m kiemtra.projections.helper
DATABASE HEAD SPLIT SCRATCH folds the streams whose id ends below SPLIT, of events
1..HEAD, into SCRATCH's view tables, drops the rows it superseded, commits and prints how
many events of its streams it read (the plans, which both processes read, are counted by
the rebuild). It only reads DATABASE."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from urllib.parse import quote

from kiemtra.projections.backends import SqliteSession, SqliteSink
from kiemtra.projections.parts import fold_share


def main() -> None:
    import gc

    database, head, split, scratch = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    gc.disable()  # as in the rebuild: short-lived dicts, no cycles
    events = sqlite3.connect(f"file:{quote(str(Path(database).resolve()))}?mode=ro",
                             uri=True)
    out = sqlite3.connect(scratch, isolation_level=None)
    out.execute("PRAGMA journal_mode = OFF")  # a scratch file: thrown away on any failure
    out.execute("PRAGMA synchronous = OFF")
    out.execute("BEGIN")
    count, superseded = fold_share(events, head, SqliteSink(out, replace=False), ("", split),
                                   campaigns=False)
    SqliteSession(out).supersede(superseded)
    out.execute("COMMIT")
    print(count)


if __name__ == "__main__":
    main()

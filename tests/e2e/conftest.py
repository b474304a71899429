"""End-to-end fixtures: the installed `kiemtra` console script, run in a temp folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kiemtra.workflow.database import Database


def kiemtra_script() -> str:
    beside = Path(sys.executable).parent / "kiemtra"
    found = str(beside) if beside.exists() else shutil.which("kiemtra")
    if not found:
        pytest.fail("the kiemtra console script is not installed (pip install -e '.[test]')")
    return found


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Run = Callable[..., Result]


@pytest.fixture
def run(tmp_path: Path) -> Run:
    """Run `kiemtra ARGS` in tmp_path (so the default kiemtra.db lands there)."""
    script = kiemtra_script()

    def call(*args: str, env: dict[str, str] | None = None, actor: str = "truong-to") -> Result:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("KIEMTRA_")}
        # wide tables: these tests read words in them (test_table_widths.py reads widths)
        environ.update({"KIEMTRA_ACTOR": actor, "XDG_CONFIG_HOME": str(tmp_path / "config"),
                        "COLUMNS": "250", **(env or {})})
        done = subprocess.run([script, *args], cwd=tmp_path, env=environ, capture_output=True,
                              text=True, timeout=60)
        assert "Traceback" not in done.stderr, done.stderr
        return Result(done.returncode, done.stdout, done.stderr)

    return call


CODE = "KTD-TKT-2026"


def ok(result: Result) -> Result:
    assert result.code == 0, result.err
    return result


@pytest.fixture(name="imported")
def imported_fixture(run: Run, tmp_path: Path) -> Run:
    return imported(run, tmp_path)


def imported(run: Run, tmp_path: Path) -> Run:
    """`run`, once the plan template is imported."""
    template = ok(run("plan", "template")).out
    (tmp_path / "ke-hoach.toml").write_text(template, "utf-8")
    result = ok(run("plan", "import", "ke-hoach.toml"))
    assert result.out.strip() == CODE
    return run


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    """Where a parametrised test's data lives: the SQLite file in tmp_path, or a database
    of its own on the real PostgreSQL server (`postgres_url`)."""
    if request.param == "sqlite":
        return Database(str(tmp_path / "kiemtra.db"))
    return Database(request.getfixturevalue("postgres_url"))


@pytest.fixture
def audited(run: Run, tmp_path: Path, database: Database) -> Run:
    """As `imported`, on `database` (KIEMTRA_DB, as a deployment sets it)."""

    def call(*args: str, env: dict[str, str] | None = None, actor: str = "truong-to") -> Result:
        return run(*args, env={"KIEMTRA_DB": database.url, **(env or {})}, actor=actor)

    return imported(call, tmp_path)

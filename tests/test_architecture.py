"""Layering of DESIGN.md section 5: the domain stays pure, the CLI starts light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
FORBIDDEN_IN_DOMAIN = {"sqlalchemy", "jinja2", "apscheduler", "click", "smtplib", "sqlite3",
                       "psycopg", "workflow", "projections", "notifications", "cli", "rich",
                       "transitions", "datetime.now"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_domain_imports_no_io_or_outer_layer() -> None:
    for path in (ROOT / "domain").glob("*.py"):
        bad = imported_modules(path) & FORBIDDEN_IN_DOMAIN
        assert not bad, f"{path.name} imports {bad}"


def test_domain_does_not_read_the_clock() -> None:
    for path in (ROOT / "domain").glob("*.py"):
        text = path.read_text("utf-8")
        for call in ("date.today(", "datetime.now(", "time.time("):
            assert call not in text, f"{path.name} calls {call}"


def test_inner_layers_do_not_import_the_cli() -> None:
    for folder in ("domain", "workflow", "projections", "notifications"):
        for path in (ROOT / folder).glob("*.py"):
            assert "cli" not in imported_modules(path), path


def test_cli_import_does_not_load_heavy_modules() -> None:
    code = ("import sys, cli; heavy = {'eventsourcing', 'holidays', 'rich', 'sqlalchemy', "
            "'transitions', 'email_validator'} & {m.split('.')[0] for m in sys.modules}; "
            "print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout.strip()
    assert out == "[]"


def test_view_row_kinds_match_the_table_definitions() -> None:
    from kiemtra.projections import rows, tables
    from sqlalchemy import JSON, Boolean, Date

    columns = {c.name: c.type for c in tables.inspections.columns}
    assert set(rows.RECORD_COLUMNS) <= set(columns)
    for name in rows.RECORD_COLUMNS:
        kind = columns[name]
        assert (name in rows.DATE_COLUMNS) is isinstance(kind, Date), name
        assert (name in rows.BOOL_COLUMNS) is isinstance(kind, Boolean), name
        assert (name in rows.JSON_COLUMNS) is isinstance(kind, JSON), name


def test_reading_up_to_date_views_does_not_import_sqlalchemy(tmp_path: Path) -> None:
    code = (
        "import sys, datetime\n"
        "from workflow.database import Database\n"
        "from projections.views import Views\n"
        f"Views(Database({str(tmp_path / 'k.db')!r})).fresh().status(datetime.date.today())\n"
        "print('sqlalchemy' in sys.modules)\n"
    )
    prepare = code.replace("print(", "assert (")  # the first run creates the view tables
    subprocess.run([sys.executable, "-c", prepare], check=True, cwd=ROOT)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout.strip()
    assert out == "False"


def test_every_data_file_ships_in_the_wheel() -> None:
    """A template or data file missing from package-data works in an editable install
    and breaks a real one: every non-Python file of a package must match a pattern."""
    import fnmatch
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    patterns = config["package-data"]
    for package in config["packages"]:
        for path in (ROOT / package).rglob("*"):
            if path.is_dir() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
                continue
            relative = path.relative_to(ROOT / package).as_posix()
            assert any(fnmatch.fnmatch(relative, p) for p in patterns.get(package, [])), relative

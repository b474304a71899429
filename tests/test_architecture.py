"""The layering the README's "Layout" section writes down, held over every module.

    cli.py (and __main__.py)  →  notifications/  →  projections/  →  workflow/  →  domain/

A module may import its own layer and the layers to its right, never one to its left;
the module graph has no cycle; outside `workflow/`, the application layer is used only
through its public face (the `kiemtra.workflow` package); `domain/` imports no I/O
library and never reads the clock. Imports anywhere in a module count: at the top,
inside functions, under TYPE_CHECKING.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
LAYERS = ("domain", "workflow", "projections", "notifications", "cli", "__main__")
SOURCES = [ROOT / "cli.py", ROOT / "__main__.py",
           *(p for layer in LAYERS[:4] for p in sorted((ROOT / layer).rglob("*.py")))]
DOMAIN_MAY_USE = {"eventsourcing.domain", "eventsourcing.utils", "transitions", "holidays",
                  "email_validator"}
IO_LIBRARIES = {"sqlalchemy", "jinja2", "apscheduler", "click", "smtplib", "sqlite3",
                "psycopg", "rich", "orjson", "socket", "subprocess", "eventsourcing"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["kiemtra", *parts])


MODULES = {module_name(p): p for p in SOURCES}


def imports(path: Path) -> list[str]:
    """Every module `path` imports, resolved (relative imports included)."""
    tree = ast.parse(path.read_text("utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rsplit(
        ".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            found.append(base)
            found += [f"{base}.{alias.name}" for alias in node.names
                      if f"{base}.{alias.name}" in MODULES]
    return found


def layer(module: str) -> str:
    return module.split(".")[1] if module.count(".") else ""


GRAPH = {name: sorted({m for m in imports(path) if m in MODULES and m != name})
         for name, path in MODULES.items()}


def test_every_module_is_seen() -> None:
    assert {layer(m) for m in MODULES} == set(LAYERS)
    assert len(MODULES) > 40  # the walk found the package, not an empty folder


def test_no_module_imports_a_layer_above_its_own() -> None:
    rank = {name: i for i, name in enumerate(LAYERS)}
    wrong = [f"{m} imports {dep}" for m, deps in GRAPH.items() for dep in deps
             if rank[layer(dep)] > rank[layer(m)]]
    assert not wrong, "\n".join(wrong)


def test_outer_layers_use_the_public_face_of_workflow() -> None:
    wrong = [f"{m} imports {dep}" for m, deps in GRAPH.items() for dep in deps
             if layer(m) != "workflow" and dep.startswith("kiemtra.workflow.")]
    assert not wrong, "\n".join(wrong)


def test_the_module_graph_has_no_cycle() -> None:
    """Tarjan's strongly connected components: any with two modules or more is a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for dep in GRAPH[node]:
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in GRAPH:
        if node not in index:
            visit(node)
    assert not cycles, cycles


def test_the_domain_imports_no_io_library_and_no_other_layer() -> None:
    for name, path in MODULES.items():
        if layer(name) != "domain":
            continue
        for dep in imports(path):
            top = dep.split(".")[0]
            if dep.startswith("kiemtra."):
                assert layer(dep) == "domain", f"{name} imports {dep}"
            elif any(dep == ok or dep.startswith(ok + ".") for ok in DOMAIN_MAY_USE):
                continue
            else:
                assert top not in IO_LIBRARIES, f"{name} imports {dep}"


def test_the_domain_does_not_read_the_clock() -> None:
    for name, path in MODULES.items():
        if layer(name) == "domain":
            text = path.read_text("utf-8")
            for call in ("date.today(", "datetime.now(", "time.time(", "datetime.utcnow("):
                assert call not in text, f"{name} calls {call}"


def test_the_cli_is_thin() -> None:
    """Parse, call one service, present: no long functions (decisions live below)."""
    tree = ast.parse((ROOT / "cli.py").read_text("utf-8"))
    long = [(node.name, node.end_lineno - node.lineno + 1) for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef) and node.end_lineno
            and node.end_lineno - node.lineno + 1 > 40]
    assert not long, long


def heavy_after(code: str) -> list[str]:
    probe = (f"import sys\n{code}\nheavy = {{'eventsourcing', 'holidays', 'rich', 'sqlalchemy', "
             "'transitions', 'email_validator', 'jinja2', 'apscheduler', 'docx', 'lxml'}\n"
             "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=ROOT.parent).stdout.strip()
    return list(ast.literal_eval(out))


def test_importing_the_cli_loads_no_heavy_module() -> None:
    assert heavy_after("import kiemtra.cli") == []


def test_only_the_document_commands_load_python_docx() -> None:
    """python-docx (and lxml) cost start-up time: the trail, the bundle, the views and the
    workflow, which know of documents, must not load it; the document service does."""
    others = ("import kiemtra.projections.audit.trail, kiemtra.projections.audit.bundle, "
              "kiemtra.projections.views, kiemtra.workflow.services, kiemtra.workflow.documents")
    assert not {"docx", "lxml"} & set(heavy_after(others))
    assert {"docx", "lxml"} <= set(heavy_after("import kiemtra.projections.documents.service"))


def test_reading_views_and_catching_up_a_few_events_stay_light(tmp_path: Path) -> None:
    """A read that finds the views up to date, or a few events behind, needs neither
    SQLAlchemy nor the event store's library: the SQLite path uses the standard driver."""
    from datetime import date

    from kiemtra.projections.views import Views
    from kiemtra.workflow import Database, Workflow, open_store, template_text

    db = tmp_path / "k.db"
    store = open_store(Database(str(db)))
    Workflow(store, "truong-to").import_plan(template_text(), "p.toml", date(2026, 6, 15))
    Views(Database(str(db))).fresh()  # the view tables made (this may import anything)
    read = ("from kiemtra.projections.views import Views\nfrom kiemtra.workflow import Database\n"
            f"import datetime\nViews(Database({str(db)!r})).fresh().status("
            "datetime.date(2026, 9, 1))")
    assert heavy_after(read) == []
    Workflow(store, "thuong-truc").notify("KTD-TKT-2026", "kt", on_site=date(2026, 8, 12),
                                          day=date(2026, 8, 3))
    store.close()
    assert heavy_after(read) == []  # one new event caught up on the way


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(out), str(ROOT)], check=True, capture_output=True)
    (built,) = out.glob("kiemtra-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_ships_one_top_level_name(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"kiemtra"}
    assert not [n for n in names if n.startswith(("kiemtra/tests/", "kiemtra/bench/"))]
    info = next(n for n in names if n.endswith("top_level.txt"))
    assert wheel.read(info).decode().split() == ["kiemtra"]
    entry = wheel.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "kiemtra = kiemtra.cli:main" in entry


def test_every_source_and_data_file_ships_in_the_wheel(wheel: zipfile.ZipFile) -> None:
    """A template or data file missing from package-data works in an editable install
    and breaks a real one."""
    shipped = set(wheel.namelist())
    for layer_name in LAYERS[:4]:
        for path in (ROOT / layer_name).rglob("*"):
            if path.is_dir() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            assert f"kiemtra/{path.relative_to(ROOT).as_posix()}" in shipped, path
    assert {"kiemtra/cli.py", "kiemtra/__main__.py", "kiemtra/py.typed"} <= shipped

"""Bad invocations answer in the reader's language, through the installed script: click's
usage errors, OS errors on files, TOML syntax errors (with the DD/MM/YYYY hint), dates,
domain refusals. Under `--lang en` no Vietnamese letter appears; under `--lang vi` no
English word of click's or the OS's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import CODE, Run, ok

VIETNAMESE = re.compile(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợ"
                        r"ùúủũụừứửữựỳýỷỹỵ“”]", re.IGNORECASE)
ENGLISH = re.compile(r"\b(invalid|missing|no such|option|argument|error|usage|did you mean|"
                     r"directory|does not|is not|not a|value|range|file|the|must|expected|"
                     r"integer|unexpected|requires|problems?|cannot|there)\b", re.IGNORECASE)
CASES = [
    ("stat",), ("status", "--bogus"), ("--bogus", "status"), ("notify",),
    ("notify", CODE, "kt", "--on-site", "32/13/2026"), ("notify", CODE, "kt", "--on-site"),
    ("due", "--within", "-1"), ("due", "--within", "abc"), ("status", "a", "b", "c"),
    ("status", "--at", "31.31"), ("plan", "import", "khong-co.toml"),
    ("plan", "import", "thu-muc"), ("plan", "import", "ngay-sai.toml"),
    ("history", "KHONG-CO"), ("notify", "KHONG-CO", "kt", "--on-site", "12/08/2026"),
    ("notify", CODE, "kt", "--on-site", "12/08/2026", "--date", "11/08/2026"),
    ("--lang", "xx", "status"),
]


@pytest.fixture
def prepared(imported: Run, tmp_path: Path) -> Run:
    (tmp_path / "thu-muc").mkdir()
    template = (tmp_path / "ke-hoach.toml").read_text("utf-8")
    (tmp_path / "ngay-sai.toml").write_text(
        template.replace("issued_on = 2026-06-15", "issued_on = 15/06/2026"), "utf-8")
    return imported


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_refusal_speaks_one_language(prepared: Run, lang: str) -> None:
    for args in CASES:
        chosen = ("--lang", lang) if args[:1] != ("--lang",) else ()
        env = {"KIEMTRA_LANG": lang}
        done = prepared(*chosen, *args, env=env)
        assert done.code in (1, 2), (args, done.err)
        assert done.out == "" and done.err.count("\n") == 1, (args, done.err)
        if lang == "en":
            assert not VIETNAMESE.search(done.err), (args, done.err)
        else:
            assert not ENGLISH.search(done.err), (args, done.err)


def test_the_toml_date_hint_and_the_os_reason(prepared: Run) -> None:
    said = prepared("plan", "amend", "ngay-sai.toml", "--reason", "x").err
    assert "dòng 28, cột 15" in said and "2026-08-26 (không phải 26/08/2026)" in said
    assert "không có tệp này" in prepared("plan", "import", "khong-co.toml").err
    english = prepared("--lang", "en", "plan", "import", "khong-co.toml").err
    assert english == "Cannot read file khong-co.toml: there is no such file.\n"
    assert ok(prepared("status", CODE)).code == 0


def test_bare_kiemtra_shows_its_help_and_the_metrics_template_reads_back(
        prepared: Run, tmp_path: Path) -> None:
    bare = prepared()
    assert bare.code == 0 and "Cách dùng: kiemtra" in bare.out and bare.err == ""
    template = ok(prepared("metrics", "template")).out
    assert "records_received" in template and "# Tổng số hồ sơ TTHC tiếp nhận" in template
    (tmp_path / "so-lieu.toml").write_text(template, "utf-8")
    ok(prepared("notify", CODE, "hcc", "--on-site", "17/08/2026", "--date", "05/08/2026"))
    ok(prepared("report", CODE, "hcc", "--date", "13/08/2026", "--metrics", "so-lieu.toml"))


def test_a_read_of_an_empty_database_names_it(run: Run, tmp_path: Path) -> None:
    said = ok(run("campaigns")).out
    assert f"trong cơ sở dữ liệu {tmp_path / 'kiemtra.db'}" in said
    english = ok(run("--lang", "en", "status")).out
    assert f"No inspections in the database {tmp_path / 'kiemtra.db'} yet." in english
    assert not (tmp_path / "kiemtra.db").exists()  # a read creates nothing


def command_paths() -> list[tuple[str, ...]]:
    """Every command and group of the command line, as a user types them."""
    import click

    from kiemtra.cli import cli

    found: list[tuple[str, ...]] = [()]

    def walk(group: click.Group, path: tuple[str, ...]) -> None:
        for name, command in group.commands.items():
            found.append((*path, name))
            if isinstance(command, click.Group):
                walk(command, (*path, name))

    walk(cli, ())
    return found


# what a help text may hold in either language: option names, codes, file names, the
# names of formats and programs, and the example command lines (the user's own data)
NOT_WORDS = re.compile(r"(?m)--?[\w-]+|\[[\w|]+\]|\S*[_./@=>]\S*|HH:MM|\b[A-Z]{2,}\b|"
                       r"^  [a-z]+(?= {2,})|^(?:Cách dùng|Usage): kiemtra(?: [a-z]+)*|"
                       r"\b(?:kiemtra|Ctrl-C|LibreOffice|PostgreSQL|SQLite|notify|"
                       r"NoticeIssued|schedule|minutes|conclusion|results|show)\b|"
                       r"^\s*(?:Ví dụ|Example): .*(?:\n {6,}.*)*")
ENGLISH_HELP = re.compile(r"\b(the|of|and|to|with|show|exit|usage|options?|commands?|"
                          r"default|required|file|date|text|integer|path|this|record)\b",
                          re.IGNORECASE)


def test_every_help_speaks_the_readers_language(run: Run) -> None:
    """`--help` of every command, in both languages: no word of the other language, a
    usage line and an example in the reader's words."""
    for path in command_paths():
        for lang, usage in (("vi", "Cách dùng: kiemtra"), ("en", "Usage: kiemtra")):
            shown = ok(run("--lang", lang, *path, "--help", env={"COLUMNS": "80"})).out
            assert shown.startswith(usage), (path, shown)
            words = NOT_WORDS.sub(" ", shown)
            if lang == "vi":
                assert not ENGLISH_HELP.search(words), (path, ENGLISH_HELP.search(words), shown)
            else:
                assert not VIETNAMESE.search(words), (path, VIETNAMESE.search(words), shown)
            if path and path[-1] not in ("plan", "metrics", "projections", "audit",
                                         "attachment"):
                assert ("Ví dụ: kiemtra" if lang == "vi" else "Example: kiemtra") in shown, path
            assert max(len(line) for line in shown.splitlines()) <= 80, path
            assert "MÃ_MÃ" not in shown and "TỆP_TỆP" not in shown, path  # named once
    assert ok(run("--version")).out.startswith("kiemtra, phiên bản ")
    assert ok(run("--lang", "en", "--version")).out.startswith("kiemtra, version ")

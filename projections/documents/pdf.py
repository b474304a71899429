"""A PDF of a document, through LibreOffice (`soffice --headless --convert-to pdf`).

LibreOffice is not a Python package: it is looked for on PATH (or `KIEMTRA_SOFFICE`),
before anything is recorded, so `--pdf` without it refuses with a plain sentence. Each
conversion runs with a profile of its own in a temporary folder, so two conversions at
once (or a LibreOffice the user has open) do not lock each other out.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from kiemtra.domain.errors import InvalidInput
from kiemtra.workflow import UnwritableFile

TIMEOUT = 180  # seconds: a first start of LibreOffice on a slow machine takes a while


class SofficeMissing(InvalidInput):
    rule = "soffice"
    vi = ("Không tìm thấy LibreOffice (lệnh soffice) để xuất PDF. Cài LibreOffice (Debian: "
          "apt install libreoffice-writer-nogui), hoặc bỏ --pdf và mở tệp DOCX bằng Word.")
    en = ("LibreOffice (the soffice command) was not found, so no PDF can be made. Install it "
          "(Debian: apt install libreoffice-writer-nogui), or drop --pdf and open the DOCX.")


def soffice() -> str | None:
    return os.environ.get("KIEMTRA_SOFFICE") or shutil.which("soffice") or shutil.which(
        "libreoffice")


def require_soffice() -> str:
    found = soffice()
    if not found or not Path(found).exists() and shutil.which(found) is None:
        raise SofficeMissing()
    return found


def convert_to_pdf(docx: Path) -> Path:
    """Write DOCX's PDF beside it (same name, .pdf), replacing an older one."""
    program = require_soffice()
    target = docx.with_suffix(".pdf")
    with tempfile.TemporaryDirectory(prefix="kiemtra-pdf-") as work:
        profile = Path(work, "profile").as_uri()
        try:
            done = subprocess.run(  # noqa: S603  (a fixed program, our own arguments)
                [program, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                 "--convert-to", "pdf", "--outdir", work, str(docx)],
                capture_output=True, timeout=TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise UnwritableFile(path=str(target), reason=str(exc)) from None
        made = Path(work, docx.with_suffix(".pdf").name)
        if done.returncode != 0 or not made.exists():
            reason = (done.stderr or done.stdout).decode("utf-8", "replace").strip()[:200]
            raise UnwritableFile(path=str(target), reason=reason or "LibreOffice")
        try:
            shutil.move(str(made), target)
        except OSError as exc:
            raise UnwritableFile(path=str(target), reason=exc.strerror or exc) from None
    return target

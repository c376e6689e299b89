"""LibreOffice, as the report tests use it: a file converted to PDF headless."""

from __future__ import annotations

import subprocess
from pathlib import Path


def to_pdf(src: Path, outdir: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Convert ``src`` to ``outdir/<stem>.pdf``; the finished process and the PDF's path.

    A private profile in ``outdir``: a user's running LibreOffice or a locked profile cannot
    interfere.
    """
    profile = (outdir / "lo-profile").as_uri()
    proc = subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--norestore",
         "--convert-to", "pdf", "--outdir", str(outdir), str(src)],
        capture_output=True, text=True, timeout=240)
    return proc, outdir / f"{src.stem}.pdf"

"""``betahedge workbook DIR``: copy the ready Excel workbook and add-in, print the next steps."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

from ..exceptions import InputError
from .console import _Console


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``workbook`` command to the ``betahedge`` subparsers."""
    p = sub.add_parser("workbook", help="copy the ready Excel workbook and add-in to DIR",
                       description="Copy the ready workbook (and add-in) to DIR and print the "
                                   "next steps.")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--force", action="store_true", help="replace files already in DIR")
    p.set_defaults(func=cmd_workbook)
    return p


#: What a user gets from the workbook folder: the workbook, the add-in and their README (not
#: the build script or package plumbing).
_WORKBOOK_FILES = (".xlsm", ".xlam", ".xlsx", ".md")


def workbook_dir() -> Path:
    """The ready workbook's folder: ``betahedge_xl/workbook`` in an install, else (a source
    checkout installed in development mode) the checkout's ``workbook`` folder."""
    from importlib.resources import files

    packaged = Path(str(files("betahedge_xl") / "workbook"))
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "workbook"
    return checkout if checkout.is_dir() else packaged


def cmd_workbook(args: argparse.Namespace, console: _Console) -> int:
    """``betahedge workbook DIR``: copy the ready workbook and add-in, print the next steps."""
    src = workbook_dir()
    items = sorted(p for p in src.iterdir() if p.is_file()
                   and p.suffix.lower() in _WORKBOOK_FILES) if src.is_dir() else []
    if not any(p.suffix.lower() in (".xlsm", ".xlam") for p in items):
        raise InputError("the ready workbook is not in this installation of betahedge-xl "
                         f"(no .xlsm/.xlam in {src}); reinstall it or build it with "
                         f"workbook/build_workbook.py from a source checkout")
    dest = Path(args.dir).expanduser()
    if dest.exists() and not dest.is_dir():
        raise InputError(f"workbook: {dest} exists and is not a folder")
    clashes = [p.name for p in items if (dest / p.name).exists()]
    if clashes and not args.force:
        raise InputError(f"workbook: {', '.join(clashes)} already in {dest}; "
                         f"use --force to replace")
    from .._files import replacing

    try:
        dest.mkdir(parents=True, exist_ok=True)
        for p in items:
            with replacing(dest / p.name, "workbook") as tmp:  # --force keeps a file intact
                shutil.copy2(p, tmp)                            # until its copy is complete
    except OSError as exc:
        raise InputError(f"workbook: cannot copy to {dest} ({exc.strerror or exc})") from None
    for p in items:
        console.data(f"copied {p.name}")
    names = [p.name for p in items]
    book = next((n for n in names if n.endswith(".xlsm")), None)
    steps = [
        "Next steps (Excel on Windows or macOS):",
        "  1. In the Python Excel should use (Python 3.11 or newer; this one if it runs this "
        "command): pip install . in a checkout of betahedge-xl, then: betahedge excel setup "
        f"--workbook-dir {dest} (points the BetaHedge workbook and add-in, and nothing else, "
        "at that Python, installs the ribbon add-in, lists what is left by hand)",
    ]
    n = 2
    if book:
        steps.append(f"  {n}. Open {dest / book} (this copy, not one inside a downloaded zip, "
                     f"which Windows blocks), enable macros; on Windows click 'Import "
                     f"functions' once and save as .xlsm; keep the file name (its macros "
                     f"import the module named like it)")
        n += 1
    readme = next((n for n in names if n.lower().startswith("readme")), None)
    if readme:
        steps.append(f"  Details: {dest / readme}")
    console.data("\n".join(steps))
    return 0



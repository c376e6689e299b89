"""``betahedge excel setup``: point Excel at this Python and install the add-in."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .console import _Console, _global_options, _Parser
from .workbook import workbook_dir


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``excel`` command and its ``setup`` action to the ``betahedge`` subparsers."""
    p = sub.add_parser("excel", help="set up Excel to use this Python",
                       description="Set up Excel: its config files and startup folder.")
    esub = p.add_subparsers(dest="excel_command", metavar="ACTION", parser_class=_Parser)
    q = esub.add_parser("setup", help="point Excel at this Python and install the add-in",
                        description="Write this Python into the xlwings config files that "
                                    "Excel reads, copy the BetaHedge add-in into Excel's "
                                    "startup folder, and print what is left to do by hand.")
    q.add_argument("--platform", choices=["windows", "macos"],
                   help="the files of this platform (default: the running one); paths follow "
                        "HOME, USERPROFILE and APPDATA")
    q.add_argument("--dry-run", action="store_true", help="print what would be written; "
                                                          "write nothing")
    q.add_argument("--force", action="store_true",
                   help="replace a different betahedge.xlam in Excel's startup folder")
    q.add_argument("--workbook-dir", metavar="DIR",
                   help="the folder of betahedge.xlsm, where its xlwings.conf goes (default: "
                        "the current folder)")
    q.set_defaults(func=cmd_excel_setup)
    for parser in esub.choices.values():  # the command itself gets them in build_parser
        _global_options(parser)
    return p


def cmd_excel_setup(args: argparse.Namespace, console: _Console) -> int:
    """``betahedge excel setup``: see :mod:`betahedge_xl.excel.setup`."""
    from ..excel import setup

    folder = Path(args.workbook_dir).expanduser() if args.workbook_dir else None
    setup.run(args.platform, workbook_dir() / setup.ADDIN_FILE, dry_run=args.dry_run,
              force=args.force, say=console.data, workbook_dir=folder)
    return 0



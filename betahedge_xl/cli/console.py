"""What every command shares: the console (data on stdout, progress and warnings on stderr),
the program's name and exit statuses, the one-line usage error, output files and CSV text.

Only the standard library at the top: ``betahedge --help`` stays instant.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

from ..exceptions import BetaHedgeError, InputError, user_message

if TYPE_CHECKING:
    import pandas as pd

PROG = "betahedge"
#: Exit status of an unexpected failure (a bug or the environment), distinct from input (2)
#: and data (3) errors.
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (like every other error of the command)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")



def _global_options(p: argparse.ArgumentParser, top: bool = False) -> None:
    """--debug and --quiet, accepted before or after the command name."""
    # On subcommands the default is SUPPRESS so that `betahedge --debug analyze ...` is not
    # undone by the subcommand's own default.
    default: Any = False if top else argparse.SUPPRESS
    p.add_argument("--debug", action="store_true", default=default,
                   help="show the full traceback of an error")
    p.add_argument("-q", "--quiet", action="store_true", default=default,
                   help="no progress messages on stderr")



class _Console:
    """Where messages go: progress and warnings on stderr (unless quiet), data on stdout."""

    def __init__(self, quiet: bool = False, out: IO[str] | None = None,
                 err: IO[str] | None = None) -> None:
        self.quiet = quiet
        self.out = out or sys.stdout
        self.err = err or sys.stderr

    def progress(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.err, flush=True)

    def warn(self, text: str) -> None:
        print(f"{PROG}: warning: {text}", file=self.err, flush=True)

    def data(self, text: str) -> None:
        self.out.write(text if text.endswith("\n") else text + "\n")



@contextmanager
def _warnings_to(console: _Console, debug: bool) -> Iterator[None]:
    """The project's warnings as ``betahedge: warning: ...`` lines, once each, no source line."""
    from ..exceptions import BetaHedgeWarning

    # A warning the error repeats word for word (a failed ticker's reason) is said once.
    seen: set[str] = set()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BetaHedgeWarning)
        try:
            yield
        except BetaHedgeError as exc:
            seen.add(user_message(exc))
            raise
        finally:
            # Also when the work fails: a warning (a stale price, a short window) often
            # says why better than the error that follows it.
            for w in caught:
                text = str(w.message)
                if issubclass(w.category, BetaHedgeWarning):
                    if text not in seen:
                        seen.add(text)
                        console.warn(text)
                elif debug:
                    console.warn(f"{w.category.__name__}: {text}")


#: First characters that make a spreadsheet read a CSV field as a formula (OWASP, "CSV
#: injection"): such a text field gets a leading single quote, which shows it as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _inert(value: Any) -> Any:
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def _csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text; headers and text fields cannot start a formula, numbers
    (negative ones included) are written as numbers."""
    import pandas as pd

    frame = frame.rename(columns=lambda c: _inert(str(c)))
    text = [c for c in frame.columns if pd.api.types.is_object_dtype(frame[c])
            or pd.api.types.is_string_dtype(frame[c])]
    if text:
        frame = frame.assign(**{str(c): frame[c].map(_inert) for c in text})
    return str(frame.to_csv(index=False, date_format="%Y-%m-%d", float_format="%.10g",
                            lineterminator="\n"))



def _out_file(value: str, suffix: str | None = None) -> Path:
    """``--out FILE`` checked before any work: a file (not a folder, a FIFO or a device) in a
    folder that exists."""
    from .._files import check_name_length, check_target

    out = Path(value).expanduser()
    if suffix and out.suffix.lower() != suffix:
        raise InputError(f"--out: {out.name} should end in {suffix}")
    check_name_length(out, "--out")  # first: a name too long for the system fails every look
    if out.is_dir():
        raise InputError(f"--out: {out} is a folder; give a file name")
    check_target(out, "--out")
    if not out.parent.is_dir():
        raise InputError(f"--out: folder {out.parent} does not exist")
    return out


def _out_path(value: str | None, default: str) -> Path:
    return _out_file(value or default, ".xlsx")



"""The files a command line names: a holdings CSV (tickers and weights or shares) and CSV
files of returns (``--input returns``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..exceptions import HoldingsError, InputError

if TYPE_CHECKING:
    import pandas as pd

#: Largest holdings file read: thousands of holdings fit in a small fraction of it.
MAX_HOLDINGS_BYTES = 5_000_000


def _read_regular_file(p: Path, where: str, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, else a HoldingsError.

    Opened without blocking and checked on the open descriptor, so a FIFO does not wait for
    a writer, a device (``/dev/zero``) is not read until memory runs out, and a file swapped
    between the check and the read is still the one checked.
    """
    import stat

    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(p, flags)
    except FileNotFoundError:
        raise HoldingsError(f"{where} not found") from None
    except OSError as exc:
        raise HoldingsError(f"{where}: cannot read it ({exc.strerror or exc})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
            raise HoldingsError(f"{where}: cannot read it ({kind})")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:  # bounded even if the file grows meanwhile
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise HoldingsError(f"{where}: cannot read it ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise HoldingsError(f"{where} is larger than {limit // 1_000_000} MB; a holdings file "
                            f"lists tickers and their weights or shares")
    return data


def read_holdings(path: str | Path) -> tuple[list[str], list[float], str]:
    """Tickers and their weights or shares from a holdings CSV file.

    Parameters
    ----------
    path
        A CSV file with a header row: ``ticker`` and ``weight`` (or ``weights``) or ``shares``.
        Column names are matched without regard to case; blank lines are skipped.

    Returns
    -------
    tickers, amounts, kind
        ``kind`` is ``"weights"`` or ``"shares"``.

    Raises
    ------
    HoldingsError
        The file is missing or unreadable, lacks the columns, or holds a bad number.
    """
    import csv

    p = Path(path)
    where = f"holdings file {p}"
    raw = _read_regular_file(p, where, MAX_HOLDINGS_BYTES)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HoldingsError(f"{where} is not a text CSV file") from None
    rows = [r for r in csv.reader(text.splitlines()) if any(c.strip() for c in r)]
    if not rows:
        raise HoldingsError(f"{where} is empty")
    header = [h.strip().lower() for h in rows[0]]
    if "ticker" not in header:
        raise HoldingsError(f"{where}: needs a 'ticker' column and a 'weight' or 'shares' "
                            f"column; found {', '.join(rows[0]) or 'no header'}")
    found = [c for c in ("weight", "weights", "shares") if c in header]
    if len(found) > 1:
        raise HoldingsError(f"{where}: has both {' and '.join(repr(c) for c in found)} "
                            f"columns; keep one")
    amount_col = found[0] if found else None
    if amount_col is None:
        raise HoldingsError(f"{where}: needs a 'weight' or 'shares' column next to 'ticker'")
    it, ia = header.index("ticker"), header.index(amount_col)
    tickers: list[str] = []
    amounts: list[float] = []
    for n, row in enumerate(rows[1:], start=2):
        ticker = row[it].strip() if it < len(row) else ""
        value = row[ia].strip() if ia < len(row) else ""
        if not ticker:
            raise HoldingsError(f"{where}, line {n}: ticker missing")
        try:
            amount = float(value.replace("%", "")) / (100.0 if value.endswith("%") else 1.0)
        except ValueError:
            raise HoldingsError(f"{where}, line {n}: {amount_col} {value!r} is not a number") \
                from None
        tickers.append(ticker)
        amounts.append(amount)
    if not tickers:
        raise HoldingsError(f"{where} lists no holdings")
    return tickers, amounts, "shares" if amount_col == "shares" else "weights"


def pd_concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    import pandas as pd

    return pd.concat(frames, axis=1, sort=True)


def read_returns(path: str, what: str) -> pd.DataFrame:
    """Returns from a CSV file: a date column, then one column of simple returns per series.

    A column named like the file (``TSLA.csv`` with ``Date,Return``) takes the file's name.
    """
    import pandas as pd

    file = Path(path).expanduser()
    if not file.is_file():
        raise InputError(f"{what}: with --input returns give a CSV file of returns; "
                         f"{path} is not a file")
    try:
        frame = pd.read_csv(file, index_col=0)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{file.name}: cannot read returns ({exc})") from None
    if frame.shape[1] == 0 or frame.empty:
        raise InputError(f"{file.name}: no returns (a date column, then one column per "
                         "series)")
    from ..data.csvdir import parse_dates, parse_numbers
    from ..exceptions import DataError

    try:
        # the dates and numbers by the rules of price files: 01/02/2014 and 0,5 as the file
        # itself settles, or refused; never a guess
        frame.index = parse_dates(frame.index.astype(str), f"{file.name}: ")
        if frame.index.isna().any():
            raise ValueError("unreadable date")
        for c in frame.columns:
            if not pd.api.types.is_numeric_dtype(frame[c]):
                frame[c] = parse_numbers(frame[c], f"{file.name}: ")
        frame = frame.astype(float)
    except DataError as exc:
        raise InputError(str(exc)) from None
    except (ValueError, TypeError):
        raise InputError(f"{file.name}: needs dates in the first column and numbers in "
                         "the others") from None
    if frame.shape[1] == 1 and str(frame.columns[0]).lower() in ("return", "returns", "r"):
        frame.columns = [file.stem.upper()]
    return frame



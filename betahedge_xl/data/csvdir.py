"""Prices from a folder of CSV files, one ``<TICKER>.csv`` each (a Yahoo, Bloomberg or FactSet
export): a date column plus ``Adj Close`` (preferred) or ``Close``; other columns, any column
order and any row order are fine.
"""

from __future__ import annotations

import re
import threading
import warnings
from pathlib import Path

import pandas as pd

from .._dates import Dated, local_days
from ..exceptions import DataError, DataWarning, InputError, UnknownTickerError
from .tickers import check_ticker

_DATE_NAMES = ("date", "datetime", "timestamp", "time", "day")
_ADJ_NAMES = ("adjclose", "adjustedclose", "adjclosingprice", "adjprice")
_CLOSE_NAMES = ("close", "closingprice", "price", "last", "pxlast")


def _key(name: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


#: A date written with numbers only and the year last: 31/12/2014, 12-31-14, 31.12.2014 16:00.
_NUMERIC_DATE = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?!\d)"


def _iso(text: pd.Series) -> pd.Series | None:
    try:
        return pd.to_datetime(text, format="ISO8601")
    except (ValueError, TypeError):
        return None


def _parse_dates(raw: pd.Series, where: str = "") -> pd.DatetimeIndex:
    text = raw.astype(str)
    # the usual file as it is first: no pass of str.strip over every date (about a tenth of
    # reading a price file); a date with spaces around it fails here and is stripped below
    parsed = _iso(text)
    if parsed is None:
        text = text.str.strip()
        parsed = _iso(text)
    if parsed is None:
        # mixed UTC offsets (exports with times) or a non-ISO form such as 1/2/2014
        iso = text.str.match(r"^\d{4}-\d{2}-\d{2}")
        if bool(iso.all()):
            parsed = pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
        else:
            parsed = _day_month_year(text, where)
    return local_days(pd.DatetimeIndex(parsed))


def _day_month_year(text: pd.Series, where: str) -> pd.Series:
    """Dates such as 01/02/2014, in the order the file itself settles.

    Whether 01/02/2014 is the 1st of February or the 2nd of January is decided by the file:
    a first field above 12 anywhere makes it day-first, a second field above 12 month-first.
    A file where neither happens is refused rather than guessed (a guess that is wrong moves
    every date and, silently, the beta). Text months (31 Dec 2014) and year-first dates need
    no guess and are read as they are.
    """
    parts = text.str.extract(_NUMERIC_DATE)
    numeric = parts[0].notna().to_numpy()
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if numeric.any():
        first, second, year = (parts.loc[numeric, k].astype(int) for k in range(3))
        day_first, month_first = bool((first > 12).any()), bool((second > 12).any())
        if day_first == month_first:
            example = text[numeric].iloc[int((first > 12).to_numpy().argmax())]
            if day_first:
                other = text[numeric].iloc[int((second > 12).to_numpy().argmax())]
                raise DataError(f"{where}mixes day-first and month-first dates ({example}, "
                                f"{other}); save the dates as YYYY-MM-DD")
            raise DataError(f"{where}cannot tell whether its dates are day-first or "
                            f"month-first (no day above 12, e.g. {text[numeric].iloc[0]}); "
                            f"save them as YYYY-MM-DD")
        day, month = (first, second) if day_first else (second, first)
        # Two-digit years as strptime's %y reads them: 69-99 are 19xx, 00-68 are 20xx.
        year = year.where(year >= 100, year.where(year >= 69, year + 100) + 1900)
        out[numeric] = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}),
                                      errors="coerce")
    if not numeric.all():
        out[~numeric] = pd.to_datetime(text[~numeric], errors="coerce", format="mixed")
    return out


def read_price_csv(path: Path | str, ticker: str | None = None) -> pd.Series:
    """Adjusted closes from one CSV file.

    Parameters
    ----------
    path
        The file. Its date column is the one named Date (or Datetime, Timestamp...), else the
        first column; prices come from ``Adj Close`` when present, else ``Close``.
    ticker
        Name of the returned Series (default: the file's stem, upper-cased).

    Returns
    -------
    pd.Series
        Float prices on a sorted, unique, tz-naive midnight DatetimeIndex named ``Date``.
        Unreadable prices (``null``, blanks) are NaN; for a date given twice the last row wins,
        with a DataWarning.
    """
    path = Path(path)
    name = ticker or path.stem.upper()
    try:
        header = pd.read_csv(path, nrows=0)
    except (OSError, ValueError) as exc:
        raise DataError(f"{name}: cannot read {path.name} ({exc})") from None
    keys = {_key(c): c for c in header.columns}
    date_col = next((keys[k] for k in _DATE_NAMES if k in keys), None)
    if date_col is None and len(header.columns):
        date_col = header.columns[0]
    price_col = next((keys[k] for k in _ADJ_NAMES + _CLOSE_NAMES if k in keys), None)
    if date_col is None or price_col is None:
        cols = ", ".join(map(str, header.columns)) or "none"
        raise DataError(f"{name}: {path.name} has no 'Adj Close' or 'Close' column "
                        f"(columns: {cols})")
    frame = pd.read_csv(path, usecols=[date_col, price_col], dtype={date_col: str})
    idx = _parse_dates(frame[date_col], f"{name}: {path.name} ")
    values = frame[price_col]
    if not pd.api.types.is_numeric_dtype(values):  # "1,234.50" or "null"
        values = pd.to_numeric(values.astype(str).str.replace(",", "", regex=False),
                               errors="coerce")
    prices = pd.Series(values.to_numpy(dtype=float), index=idx, name=name)
    bad = int(idx.isna().sum())
    if bad:
        warnings.warn(DataWarning(f"{name}: {bad} row(s) of {path.name} with an unreadable "
                                  f"date ignored"), stacklevel=2)
        prices = prices[~idx.isna()]
    prices = sorted_unique(prices, f"{name}: ", f" in {path.name}")
    prices.index.name = "Date"
    return prices


def sorted_unique(data: Dated, prefix: str = "", where: str = "") -> Dated:
    """Rows sorted by date; a date given twice keeps its last row, with a DataWarning."""
    data = data.sort_index(kind="stable")
    dup = data.index.duplicated(keep="last")
    if dup.any():
        warnings.warn(DataWarning(f"{prefix}{int(dup.sum())} date(s) repeated{where}; "
                                  f"kept the last row of each"), stacklevel=3)
        data = data[~dup]
    return data


class CsvDir:
    """A folder of ``<TICKER>.csv`` files.

    A ticker is found by its file name, case-insensitively; a leading ``^`` (Yahoo's index
    prefix, awkward in file names) may be left out of the name: ``^GSPC`` reads ``GSPC.csv``.
    Parsed files are kept while their size and modification time are unchanged.
    """

    _cache: dict[Path, tuple[tuple[int, int], pd.Series]] = {}
    _cache_lock = threading.Lock()

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder).expanduser()
        if not self.folder.is_dir():
            raise InputError(f"BETAHEDGE_DATA_DIR: folder {self.folder} not found")
        self.name = self.folder.name

    def files(self) -> dict[str, Path]:
        """Ticker (upper-cased stem) -> file, for every ``*.csv`` in the folder."""
        return {p.stem.upper(): p for p in sorted(self.folder.iterdir())
                if p.suffix.lower() == ".csv" and p.is_file()}

    def locate(self, ticker: str) -> Path | None:
        """The file holding ``ticker``, or ``None``.

        Raises
        ------
        InputError
            ``ticker`` is not a ticker (a path such as ``../x``): the lookup stays in the folder.
        """
        ticker = check_ticker(ticker)
        for stem in (ticker, ticker.lstrip("^")):
            for cand in (self.folder / f"{stem}.csv", self.folder / f"{stem.lower()}.csv"):
                if cand.is_file():
                    return cand
        files = self.files()  # slower path: case-insensitive file systems aside
        return files.get(ticker) or files.get(ticker.lstrip("^"))

    @staticmethod
    def signature(path: Path) -> tuple[int, int]:
        """(size, mtime in ns): changes when the file is rewritten."""
        st = path.stat()
        return st.st_size, st.st_mtime_ns

    def read(self, ticker: str, path: Path | None = None) -> pd.Series:
        """Prices of ``ticker`` (see :func:`read_price_csv`); raises if there is no file."""
        path = path or self.locate(ticker)
        if path is None:
            raise UnknownTickerError(f"{ticker}: no {ticker.lstrip('^')}.csv in {self.folder}")
        sig = self.signature(path)
        with self._cache_lock:
            hit = self._cache.get(path)
        if hit is not None and hit[0] == sig:
            return hit[1].rename(ticker)
        prices = read_price_csv(path, ticker)
        with self._cache_lock:
            self._cache[path] = (sig, prices)
        return prices

    @classmethod
    def clear_cache(cls) -> None:
        """Forget parsed files."""
        with cls._cache_lock:
            cls._cache.clear()



"""Prices from a folder of CSV files, one ``<TICKER>.csv`` each (a Yahoo, Bloomberg or FactSet
export): a date column plus ``Adj Close`` (preferred) or ``Close``; other columns, any column
order and any row order are fine.
"""

from __future__ import annotations

import os
import re
import threading
import warnings
from pathlib import Path

import pandas as pd

from .._dates import FIRST_DAY, LAST_DAY, Dated, local_days
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
            parsed = _mixed_offsets(text)
        else:
            parsed = _day_month_year(text, where)
    return local_days(pd.DatetimeIndex(parsed))


def _mixed_offsets(text: pd.Series) -> pd.Series:
    """ISO stamps whose UTC offsets differ (a zone across daylight saving), read by the rule of
    :func:`local_days`: when every stamp is at UTC midnight (a provider's UTC days shown in New
    York read 19:00 or 20:00 the day before), the UTC date; otherwise each stamp's own date."""
    local = pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    try:
        utc = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    except (ValueError, TypeError):
        return local
    seen = utc.dropna()
    if len(seen) and bool((seen == seen.dt.normalize()).all()):
        return utc.dt.tz_localize(None)
    return local


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


def _is_file(entry: os.DirEntry[str]) -> bool:
    """A regular file once links are followed; a link that loops or leads nowhere is not one
    (it is not a price file, and must not stop the folder's other files being read)."""
    try:
        return entry.is_file()
    except OSError:
        return False


def parse_dates(raw: pd.Series | pd.Index, where: str = "") -> pd.DatetimeIndex:
    """Dates of a file's date column, by the rules of price files: ISO dates as they are;
    01/02/2014 day-first or month-first as the file itself settles, else refused
    (:class:`DataError` naming ``where``)."""
    return _parse_dates(pd.Series(raw, dtype=object) if isinstance(raw, pd.Index) else raw,
                        where)


#: 123,45 or 1.234,5: a decimal comma (digits after the comma other than three, or points
#: grouping the thousands before it)
_DECIMAL_COMMA = r"^[-+]?(?:\d+,(?:\d{1,2}|\d{4,})|\d{1,3}(?:\.\d{3})+,\d+)$"
#: 123.45 or 1,234.5: a decimal point (digits after it other than three, or commas grouping
#: the thousands before it)
_DECIMAL_POINT = (r"^[-+]?(?:\d*\.(?:\d{1,2}|\d{4,})|\d{1,3}(?:,\d{3})+\.\d*|\d+\.\d+[eE][-+]?\d+)$")
#: 1,234 or 1.234: a separator followed by three digits, which the file must settle
_AMBIGUOUS = r"^[-+]?\d{1,3}(?:[.,]\d{3})+$"


def parse_numbers(raw: pd.Series, where: str = "") -> pd.Series:
    """Numbers of a text column, with the decimal mark the file itself settles.

    A value such as ``123,45`` or ``1.234,5`` makes the file one with decimal commas; one such
    as ``123.45`` or ``1,234.50`` one with decimal points. A file showing both is refused, and
    so is one whose only separated values are ``1,234`` or ``1.234`` (a thousand and some, or
    one and a fraction), rather than guessed: a wrong guess is a price 100 or 1000 times off.
    Text that is no number (``null``, blanks) is NaN.
    """
    text = raw.astype(str).str.strip().str.replace(r"[\s\u00a0']", "", regex=True)
    comma = text.str.match(_DECIMAL_COMMA)
    point = text.str.match(_DECIMAL_POINT)
    if bool(comma.any()) and bool(point.any()):
        raise DataError(f"{where}mixes decimal commas and decimal points ({text[comma].iloc[0]}, "
                        f"{text[point].iloc[0]}); save the numbers with one decimal mark")
    if bool(comma.any()):
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    elif bool(point.any()) or not bool(text.str.match(_AMBIGUOUS).any()):
        text = text.str.replace(",", "", regex=False)
    else:
        example = text[text.str.match(_AMBIGUOUS)].iloc[0]
        raise DataError(f"{where}cannot tell whether {example} holds a decimal comma or a "
                        f"thousands separator; save the numbers without thousands separators")
    return pd.to_numeric(text, errors="coerce")


def _columns(name: str, path: Path, names: list[str], sep: str) -> tuple[str, str, str]:
    """(date column, price column, separator) among a file's column ``names``: the date column
    named Date (Datetime, Timestamp...), else the first; ``Adj Close``, else ``Close``."""
    keys = {_key(c): c for c in names}
    date_col = next((keys[k] for k in _DATE_NAMES if k in keys), None)
    if date_col is None and len(names):
        date_col = names[0]
    price_col = next((keys[k] for k in _ADJ_NAMES + _CLOSE_NAMES if k in keys), None)
    if date_col is None or price_col is None:
        cols = ", ".join(map(str, names)) or "none"
        raise DataError(f"{name}: {path.name} has no 'Adj Close' or 'Close' column "
                        f"(columns: {cols})")
    return date_col, price_col, sep


def _header(path: Path, name: str) -> tuple[list[str], str]:
    """A file's column names and field separator, as pandas reads them."""
    try:
        header = pd.read_csv(path, nrows=0)
        sep = ","
        if len(header.columns) == 1 and ";" in str(header.columns[0]):
            # a European spreadsheet's export: fields split by ";" (decimal commas, then)
            sep = ";"
            header = pd.read_csv(path, nrows=0, sep=sep)
    except (OSError, ValueError) as exc:
        raise DataError(f"{name}: cannot read {path.name} ({exc})") from None
    return list(header.columns), sep


#: The most of a first line :func:`_plain_header` reads.
_HEADER_BYTES = 1 << 16


def _plain_header(path: Path) -> tuple[list[str], str] | None:
    """:func:`_header` of a file whose first line is plain, without pandas: printable ASCII
    ending in a line break, no quotes, no empty or repeated names, so that splitting it on the
    separator gives pandas' names. None for any other first line (pandas reads it then): a
    pandas call costs about a fifth of reading a price file."""
    try:
        with open(path, "rb") as fh:
            line = fh.readline(_HEADER_BYTES)
    except OSError:
        return None
    if not line.endswith(b"\n"):
        return None
    try:
        text = line.decode("ascii").removesuffix("\n").removesuffix("\r")
    except UnicodeDecodeError:
        return None
    if not text.isprintable() or '"' in text:
        return None
    sep = ";" if "," not in text and ";" in text else ","
    names = text.split(sep)
    if any(not n.strip() for n in names) or len(set(names)) < len(names):
        return None
    return names, sep


def _read_iso(path: Path, date_col: str, price_col: str, sep: str
              ) -> tuple[pd.DatetimeIndex, pd.Series] | None:
    """Dates and prices of a file whose dates are all ISO (2014-01-02, 2014-01-02 16:00),
    parsed by pandas while it reads the file (about twice as fast as parsing the text after);
    None for any other file, and for one pandas warns about or fails on: the general path
    (:func:`_read_general`) then reads it, and says what it says."""
    if date_col == price_col:
        return None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = pd.read_csv(path, usecols=[date_col, price_col], sep=sep,
                                parse_dates=[date_col], date_format="ISO8601")
        except Exception:  # the general path reads it again, and raises what it raises
            return None
    dates = frame[date_col]
    if caught or dates.dtype.kind != "M" or getattr(dates.dtype, "tz", None) is not None:
        return None  # text left unparsed (not ISO), or stamps with time zones
    return local_days(pd.DatetimeIndex(dates)), frame[price_col]


def _read_general(path: Path, name: str, where: str) -> tuple[pd.DatetimeIndex, pd.Series]:
    """Dates and prices of any file, its dates read by :func:`_parse_dates`."""
    date_col, price_col, sep = _columns(name, path, *_header(path, name))
    frame = pd.read_csv(path, usecols=[date_col, price_col], dtype={date_col: str}, sep=sep)
    return _parse_dates(frame[date_col], where), frame[price_col]


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
    where = f"{name}: {path.name} "
    plain = _plain_header(path)
    read = None if plain is None else _read_iso(path, *_columns(name, path, *plain))
    if read is None:
        # anything but the usual file (quoted or non-ASCII names, dates that are not ISO,
        # a file pandas warns about or fails on) is read by the general path, from scratch
        read = _read_general(path, name, where)
    idx, values = read
    outside = (idx < FIRST_DAY) | (idx > LAST_DAY)
    if outside.any():
        # pandas holds such dates only at a coarser unit; stored as days and read back in
        # nanoseconds they would wrap round (2300 becomes 1715)
        raise DataError(f"{name}: {path.name} has dates outside the dates supported "
                        f"({FIRST_DAY:%Y-%m-%d} to {LAST_DAY:%Y-%m-%d}), e.g. "
                        f"{idx[outside][0]:%Y-%m-%d}")
    if not pd.api.types.is_numeric_dtype(values):  # "1,234.50", "123,45" or "null"
        values = parse_numbers(values, where)
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
    Two files for one ticker (``SPY.csv`` and ``spy.csv``) are refused, naming both, rather
    than one picked by the file system's order. Parsed files are kept, with the reader's notes
    about them, while their size and modification time are unchanged.
    """

    _cache: dict[Path, tuple[tuple[int, int], pd.Series, tuple[str, ...]]] = {}
    _cache_lock = threading.Lock()
    #: folder -> (its mtime in ns, :meth:`by_ticker`): a name added, removed or renamed
    #: changes the folder's mtime
    _listings: dict[Path, tuple[int, dict[str, list[Path]]]] = {}

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder).expanduser()
        if not self.folder.is_dir():
            raise InputError(f"BETAHEDGE_DATA_DIR: folder {self.folder} not found")
        self.name = self.folder.name

    def by_ticker(self, fresh: bool = False) -> dict[str, list[Path]]:
        """Upper-cased stem -> the ``*.csv`` files with that stem (more than one: a clash).

        The listing is kept while the folder's mtime is unchanged: Excel recalculates the same
        request again and again, and a folder of a few hundred files costs milliseconds to
        list. ``fresh`` lists it again whatever the mtime (a clock too coarse to see a file
        just added).
        """
        mtime = os.stat(self.folder).st_mtime_ns
        with self._cache_lock:
            hit = self._listings.get(self.folder)
        if hit is not None and hit[0] == mtime and not fresh:
            return hit[1]
        stems: dict[str, list[Path]] = {}
        with os.scandir(self.folder) as entries:
            for e in sorted(entries, key=lambda e: e.name):
                if e.name.lower().endswith(".csv") and _is_file(e):
                    stems.setdefault(e.name[:-4].upper(), []).append(self.folder / e.name)
        with self._cache_lock:
            self._listings[self.folder] = (mtime, stems)
        return stems

    def files(self) -> dict[str, Path]:
        """Ticker (upper-cased stem) -> file, for every ``*.csv`` in the folder that is the
        only file of its ticker (see :meth:`clash`)."""
        return {t: ps[0] for t, ps in self.by_ticker(fresh=True).items() if len(ps) == 1}

    @staticmethod
    def clash(ticker: str, paths: list[Path], where: str) -> DataError:
        """The refusal of a ticker held by several files, naming them."""
        names = [p.name for p in paths]
        both = "both" if len(names) == 2 else "all of"
        return DataError(f"{ticker}: {both} {', '.join(names[:-1])} and {names[-1]} {where}; "
                         f"keep one")

    def locate(self, ticker: str) -> Path | None:
        """The file holding ``ticker``, or ``None``.

        Raises
        ------
        InputError
            ``ticker`` is not a ticker (a path such as ``../x``): the lookup stays in the folder.
        DataError
            Several files hold ``ticker`` (``SPY.csv`` and ``spy.csv``).
        """
        ticker = check_ticker(ticker)
        paths: list[Path] | None = None
        # the kept listing first; listed again when it finds no file, a file since removed, or
        # a clash (the clock may be too coarse for the folder's mtime to show a change)
        for fresh in (False, True):
            stems = self.by_ticker(fresh)
            paths = stems.get(ticker) or stems.get(ticker.lstrip("^"))
            if paths is not None and len(paths) == 1 and paths[0].is_file():
                return paths[0]
        if paths is not None and len(paths) > 1:
            raise self.clash(ticker, paths, f"in {self.folder}")
        return None

    @staticmethod
    def signature(path: Path) -> tuple[int, int]:
        """(size, mtime in ns): changes when the file is rewritten."""
        st = path.stat()
        return st.st_size, st.st_mtime_ns

    def read(self, ticker: str, path: Path | None = None) -> tuple[pd.Series, tuple[str, ...]]:
        """Prices of ``ticker`` (see :func:`read_price_csv`) and the reader's notes about the
        file (a date given twice, unreadable dates), one line each; raises if there is no file.

        The notes are returned, not warned: they belong to the prices (``PriceSet.notes``),
        and a file served from this cache must say them again.
        """
        path = path or self.locate(ticker)
        if path is None:
            raise UnknownTickerError(f"{ticker}: no {ticker.lstrip('^')}.csv in {self.folder}")
        sig = self.signature(path)
        with self._cache_lock:
            hit = self._cache.get(path)
        if hit is not None and hit[0] == sig:
            return hit[1].rename(ticker), hit[2]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataWarning)
            prices = read_price_csv(path, ticker)
        notes = tuple(str(w.message) for w in caught if issubclass(w.category, DataWarning))
        for w in caught:  # anything else goes on as it came
            if not issubclass(w.category, DataWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        with self._cache_lock:
            self._cache[path] = (sig, prices, notes)
        return prices, notes

    @classmethod
    def clear_cache(cls) -> None:
        """Forget parsed files and folder listings."""
        with cls._cache_lock:
            cls._cache.clear()
            cls._listings.clear()

"""Excel values in, Python values out: the one place that knows what cells look like.

Excel hands Python floats, text, ``datetime`` (date-formatted cells), ``None`` (empty cells)
and, for ranges, lists of rows. An error cell (``#N/A``, ``#DIV/0!`` ...) arrives as its text,
because every place that reads cells asks xlwings for ``err_to_str``: without it xlwings gives
``None``, and an error would silently mean "empty, take the default". The worksheet functions
and the refresh button both read tickers, dates, options, holdings and bring-your-own price
ranges through these helpers, so a cell means the same thing wherever it is typed. Nothing here
imports xlwings.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._dates import local_days, to_timestamp
from ..exceptions import AmbiguousDateError, InputError, user_message

if TYPE_CHECKING:
    import pandas as pd

#: Longest text a cell shows comfortably; longer messages are cut with an ellipsis.
MAX_MESSAGE = 255

#: The choices a request's text options take, spelled as :func:`betahedge_xl.beta_hedge` takes
#: them (a cell may use any case).
#: "bloomberg" is the preset (weekly returns over two years, adjusted beta beside raw): a cell
#: picks it where it picks a frequency, so no worksheet function needs one more argument.
FREQUENCIES = ("daily", "weekly", "monthly", "bloomberg")
RETURN_KINDS = ("simple", "log")
COV_TYPES = ("nonrobust", "HAC")
HOLDINGS_KINDS = ("weights", "shares")

#: What a date typed as text with two readings (01/02/2014) is told to be instead.
DATE_HINT = "use a date cell or write it as yyyy-mm-dd"

#: Error values as xlwings' ``err_to_str`` spells them (its tables in ``_xlwindows.py`` and
#: ``_xlmac.py``).
ERRORS = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"})
#: The missing-value error: a lookup or a data feed (Bloomberg's BDH) leaves it for a price it
#: does not have, so in a price range it means a missing price.
MISSING_VALUE = "#N/A"
# Errors newer than xlwings' table (dynamic arrays, data types). pywin32 hands an error over as
# the HRESULT 0x800A0000 + Excel's error number; xlwings translates only the seven above and
# passes these through as that integer, whatever err_to_str says.
_NEWER_ERRORS = {-2146828288 + number: text for number, text in (
    (2043, "#GETTING_DATA"), (2045, "#SPILL!"), (2046, "#CONNECT!"), (2047, "#BLOCKED!"),
    (2048, "#UNKNOWN!"), (2049, "#FIELD!"), (2050, "#CALC!"), (2051, "#BUSY!"))}


class Block(list):  # type: ignore[type-arg]
    """Rows read from part of a range, with where they start in the range the analyst chose.

    A whole-column argument is read only over the sheet's used rows; ``first_row`` (1-based)
    keeps the row numbers of messages those of the analyst's range.
    """

    def __init__(self, rows: Iterable[list[Any]], first_row: int = 1) -> None:
        super().__init__(rows)
        self.first_row = first_row


def error_text(value: Any) -> str | None:
    """The error a cell holds (``"#N/A"`` ...), or ``None`` for any other value."""
    if isinstance(value, str):
        return value if value in ERRORS else None
    if type(value) is int:  # Excel's numbers arrive as float; an int is an error code
        return _NEWER_ERRORS.get(value)
    return None


def refuse_error(value: Any, what: str) -> None:
    """Raise ``InputError("start_date is #DIV/0!")`` when ``value`` is an error cell."""
    error = error_text(value)
    if error is not None:
        raise InputError(f"{what} is {error}")


def _numbered_rows(value: Any) -> tuple[list[list[Any]], int]:
    """The rows of a value and the number, in the analyst's range, of the first of them."""
    return rows_of(value), getattr(value, "first_row", 1)


def refuse_errors_in(value: Any, what: str) -> None:
    """Refuse an error anywhere in a cell or a range, naming the cell as the analyst sees it."""
    rows, first = _numbered_rows(value)
    for i, row in enumerate(rows, start=first):
        for j, v in enumerate(row, start=1):
            error = error_text(v)
            if error is None:
                continue
            if len(rows) == 1 and len(row) == 1 and first == 1:
                raise InputError(f"{what} is {error}")
            if len(row) == 1:
                raise InputError(f"{what}: row {i} is {error}")
            if len(rows) == 1 and first == 1:
                raise InputError(f"{what}: column {j} is {error}")
            raise InputError(f"{what}: row {i}, column {j} is {error}")


def show(value: Any) -> str:
    """A cell value as the analyst typed or sees it, for messages (never a Python repr).

    Text is quoted as Excel quotes it (``"abc"``), an error value is shown bare (``#N/A``),
    numbers lose a trailing ``.0``, dates read
    ``2014-01-01``, ``TRUE``/``FALSE`` stay Excel's, a range is described by its size.
    """
    if value is None:
        return "an empty cell"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str) and value in ERRORS:
        return value  # as the cell shows it: #N/A
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:39] + "\u2026"
        return f'"{text}"'
    if isinstance(value, (int, float)) or type(value).__name__.startswith(("float", "int")):
        try:
            number = float(value)
        except (TypeError, ValueError):
            return type(value).__name__
        if math.isfinite(number) and number == int(number) and abs(number) < 1e15:
            return str(int(number))
        return f"{number:.10g}"
    if isinstance(value, (_dt.datetime, _dt.date)):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, (list, tuple)):
        if value and isinstance(value[0], (list, tuple)):
            return f"a range of {len(value)} x {len(value[0])} cells"
        return f"a range of {len(value)} cells"
    return type(value).__name__


def is_empty(value: Any) -> bool:
    """An empty cell, an empty string, or an omitted optional argument."""
    return value is None or (isinstance(value, str) and not value.strip())


def rows_of(value: Any) -> list[list[Any]]:
    """Any cell value as a list of rows: a scalar is one cell, a flat list one row."""
    if isinstance(value, (list, tuple)):
        if value and isinstance(value[0], (list, tuple)):
            return [list(r) for r in value]
        return [list(value)]
    return [[value]]


def flatten(value: Any) -> list[Any]:
    """The non-empty cells of a range, row by row."""
    return [v for row in rows_of(value) for v in row if not is_empty(v)]


def _drop_empty_rows(rows: list[list[Any]]) -> list[list[Any]]:
    # Analysts select generous ranges (A2:B1000); trailing blank rows are not data.
    return [r for r in rows if not all(is_empty(v) for v in r)]


def text_option(value: Any, what: str, default: str, allowed: Sequence[str]) -> str:
    """A case-insensitive choice such as ``frequency``; empty means ``default``."""
    refuse_error(value, what)
    if is_empty(value):
        return default
    if not isinstance(value, str):
        raise InputError(f"{what}: expected one of {', '.join(allowed)}, got {show(value)}")
    text = value.strip().lower()
    for option in allowed:
        if text == option.lower():
            return option
    raise InputError(f"{what}: expected one of {', '.join(allowed)}, got {show(value)}")


def number_option(value: Any, what: str, default: float | None) -> float | None:
    """A number typed in a cell (or as text such as ``"2%"``); empty means ``default``."""
    refuse_error(value, what)
    if is_empty(value):
        return default
    if isinstance(value, bool):
        raise InputError(f"{what}: expected a number, got {show(value)}")
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            read = _text_number(value)
        except _DecimalComma:
            raise InputError(f"{what}: {show(value)} has a comma that could be a decimal "
                             f"separator; use a dot (0.5) and commas only between thousands "
                             f"(1,000,000)") from None
        if read is None:
            raise InputError(f"{what}: expected a number, got {show(value)}")
        number = read
    else:
        raise InputError(f"{what}: expected a number, got {show(value)}")
    if not math.isfinite(number):
        raise InputError(f"{what}: expected a finite number, got {show(value)}")
    return number


def int_option(value: Any, what: str, default: int | None, minimum: int = 1) -> int | None:
    """A whole number of periods or lags; empty means ``default``."""
    number = number_option(value, what, None)
    if number is None:
        return default
    if number != int(number) or number < minimum:
        raise InputError(f"{what}: expected a whole number of at least {minimum}, "
                         f"got {show(value)}")
    from ..engine.align import whole_number

    return whole_number(number, what)  # the bound every face shares (1e22 is refused)


def rate_option(value: Any, what: str) -> float:
    """An annual rate such as the risk-free rate: 0.02, 2% or "2%"; empty means 0.

    A rate above 100% a year is taken for a percent typed without its sign (2 for 2%) and
    refused, rather than silently computing excess returns over 200% a year.
    """
    rate = number_option(value, what, 0.0)
    assert rate is not None
    if abs(rate) > 1:
        raise InputError(f"{what}: {show(value)} would be {rate:.0%} a year; "
                         f"give 0.02 or 2% for two percent")
    return rate


def risk_free_option(value: Any, what: str) -> dict[str, Any]:
    """``risk_free`` (and ``risk_free_unit``) of a request from one cell.

    A number, or text such as "2%", is an annual rate (a percent-formatted cell sends 0.02);
    text that names its unit says what it is: "0.01% per period", "5.25% annual".
    """
    text = value.strip() if isinstance(value, str) else ""
    if text[:1] in set("0123456789.+-") and any(c.isalpha() for c in text):
        from ..engine.periods import parse_rate  # the engine loads on first use only

        rate, unit = parse_rate(value, what)
        return {"risk_free": rate, "risk_free_unit": unit}
    return {"risk_free": rate_option(value, what)}


def rate_text(number: float, unit: str) -> str:
    """How a cell holds ``number`` in ``unit`` (as :func:`risk_free_option` reads it), for the
    hint of a refused rate: ``"5% annual"``, ``"0.3 per period"``."""
    from ..engine.periods import rate_words

    return f'"{rate_words(number, unit)}"'


def cov_options(cov_type: Any, maxlags: Any, what_cov: str, what_lags: str) -> dict[str, Any]:
    """``cov_type`` and ``maxlags`` of a request: lags given with no type mean HAC."""
    lags = int_option(maxlags, what_lags, None, minimum=0)
    cov = text_option(cov_type, what_cov, "HAC" if lags is not None else "nonrobust", COV_TYPES)
    if lags is not None and cov != "HAC":
        raise InputError(f"{what_lags}: lags apply to HAC standard errors; set {what_cov} to "
                         f"HAC or leave {what_lags} empty")
    return {"cov_type": cov} if lags is None else {"cov_type": cov, "maxlags": lags}


def hedge_options(frequency: Any, returns: Any, cov_type: Any = None, risk_free: Any = None,
                  maxlags: Any = None, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The options every request has, as keyword arguments of :func:`betahedge_xl.beta_hedge`.

    Empty cells mean the defaults. ``labels`` names an option in messages by its key (the
    inputs block's labels); an option it does not name is called by its key.
    """
    def what(key: str) -> str:
        return labels.get(key, key) if labels else key

    options = {
        "frequency": text_option(frequency, what("frequency"), "daily", FREQUENCIES),
        "returns": text_option(returns, what("returns"), "simple", RETURN_KINDS),
        **risk_free_option(risk_free, what("risk_free")),
        **cov_options(cov_type, maxlags, what("cov_type"), what("maxlags")),
    }
    if "risk_free_unit" in options:
        import numpy as np

        from ..engine.periods import risk_free_per_period

        # The engine checks the rate again with the same rule; checking it here first lets
        # the refusal suggest what a cell takes ("5% annual"), not a Python keyword.
        risk_free_per_period(np.array([options["risk_free"]]), options["risk_free_unit"],
                             options["frequency"], spell=rate_text)
    return options


def date_option(value: Any, what: str) -> Any:
    """A date cell, a serial number or text, as a ``Timestamp``; empty means ``None``."""
    refuse_error(value, what)
    try:
        return to_timestamp(value, what, hint=DATE_HINT)
    except AmbiguousDateError:
        raise
    except InputError:
        raise InputError(f"{what}: cannot read {show(value)} as a date") from None


def tickers(value: Any, what: str) -> list[str]:
    """Tickers from a cell or a range of cells (empty cells skipped)."""
    refuse_errors_in(value, what)
    items = flatten(value)
    if not items:
        raise InputError(f"{what}: no tickers")
    bad = [v for v in items if not isinstance(v, str)]
    if bad:
        raise InputError(f"{what}: expected tickers as text, got {show(bad[0])}")
    return [v.strip().upper() for v in items]


def amounts(value: Any, what: str) -> list[float]:
    """Weights or share counts from a range (empty cells skipped)."""
    refuse_errors_in(value, what)
    out: list[float] = []
    for v in flatten(value):
        number = number_option(v, what, None)
        assert number is not None  # flatten() dropped the empty cells
        out.append(number)
    if not out:
        raise InputError(f"{what}: no numbers")
    return out


def holdings(names: Any, counts: Any, what_names: str, what_counts: str,
             what_rows: str = "holdings") -> tuple[list[str], list[float]]:
    """Tickers and their weights or share counts, paired cell by cell.

    Blank rows are skipped, but a row with a ticker and no amount (or an amount and no
    ticker) is refused, naming it: dropping its blank and pairing the rest by position would
    give one ticker's weight to the next. Ranges of different sizes are read as before, each
    without its blanks, and the caller compares the counts.
    """
    refuse_errors_in(names, what_names)
    refuse_errors_in(counts, what_counts)
    left = [v for row in rows_of(names) for v in row]
    right = [v for row in rows_of(counts) for v in row]
    if len(left) == len(right):
        column = all(len(r) == 1 for r in rows_of(names))
        first = getattr(names, "first_row", 1) if column else 1
        for i, (t, c) in enumerate(zip(left, right, strict=True), start=first):
            if is_empty(t) != is_empty(c):
                where = f"{what_rows}: {'row' if column else 'cell'} {i}"
                if is_empty(t):
                    raise InputError(f"{where} has a weight or share count but no ticker")
                raise InputError(f"{where} has a ticker but no weight or share count")
    return tickers(names, what_names), amounts(counts, what_counts)


def price_range(value: Any, what: str) -> pd.Series:
    """Bring-your-own prices: a two-column range of dates and prices, header row optional.

    A header (text above the prices) names the series; otherwise ``what`` does. A row whose
    price cell is empty or ``#N/A`` is a missing price and is skipped, so a generous selection
    works and a lookup's ``#N/A`` counts as the gap it is (the data-quality notes report it as
    they report blank rows). Any other error value is refused, naming its row; rows are
    numbered as in the range the analyst selected, header and blank rows included.
    """
    import pandas as pd

    rows, first = _numbered_rows(value)
    numbered = [(i, r) for i, r in enumerate(rows, start=first)
                if not all(is_empty(v) or v == MISSING_VALUE for v in r)]
    if not numbered or len(rows[0]) != 2:
        width = len(rows[0]) if numbered else 0
        raise InputError(
            f"{what}: expected a ticker or a two-column range of dates and prices, "
            f"got {len(numbered)} row(s) by {width} column(s)"
        )
    name = what
    head = numbered[0][1][1]
    if isinstance(head, str) and error_text(head) is None and not looks_numeric(head):
        name = head.strip() or what
        numbered = numbered[1:]
    dates, prices = [], []
    stamps: list[_dt.datetime] = []  # the date cells as they came, times of day kept
    for i, (d, p) in numbered:
        date_error, price_error = error_text(d), error_text(p)
        if price_error not in (None, MISSING_VALUE):
            raise InputError(f"{what} price in row {i} is {price_error}")
        if date_error not in (None, MISSING_VALUE):
            raise InputError(f"{what} date in row {i} is {date_error}")
        if is_empty(p) or price_error is not None:
            continue  # a missing price
        if date_error is not None:
            raise InputError(f"{what} date in row {i} is {date_error}")
        if is_empty(d):
            raise InputError(f"{what}: row {i} has a price but no date")
        dates.append(date_option(d, f"{what} date in row {i}"))
        if isinstance(d, _dt.datetime) and d.tzinfo is None:
            stamps.append(d)
        number = number_option(p, f"{what} price in row {i}", None)
        prices.append(number)
    if not prices:
        raise InputError(f"{what}: the range holds no prices")
    if len(stamps) == len(dates):
        _refuse_evening_stamps(stamps, what)
    return pd.Series(prices, index=pd.DatetimeIndex(dates, name="Date"), name=name)


def _refuse_evening_stamps(stamps: list[_dt.datetime], what: str) -> None:
    """Refuse date cells that are all in the evening, as Python refuses such stamps.

    xlwings drops a date cell's zone, so UTC-midnight data shown in New York reaches the
    range as 19:00 of the day before; read as its day it would shift every price a day early.
    The rule is :func:`betahedge_xl._dates.local_days`'; only the wording is the cell's.
    """
    import pandas as pd

    try:
        local_days(pd.DatetimeIndex(stamps))
    except InputError:
        raise InputError(
            f"{what}: dates stamped at {stamps[0]:%H:%M} (first {stamps[0]:%Y-%m-%d %H:%M}) "
            f"are usually midnight UTC of the next day shown in local time; give plain dates"
        ) from None


#: A number typed as text after its currency sign and percent are set aside: digits, with
#: commas only as strict thousands groups (1,000,000 and 1,234.5, never 0,5 or 1.000,50).
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_CURRENCY = "$\u20ac\u00a3\u00a5"


class _DecimalComma(ValueError):
    """Text that is a number whose comma may be a decimal separator ("0,5")."""


def _text_number(text: str) -> float | None:
    """The number text such as "2%", "1,000,000" or "$1,000,000" holds (a number typed into
    a text cell); ``None`` when it is not a number. Raises :class:`_DecimalComma` when a comma
    in it may be a decimal separator.

    "149,43" is 149.43 where the comma is the decimal separator and 14943 where it groups
    thousands: guessing either way is silently wrong, so only grouping that cannot be a
    decimal comma (1,000,000 and 1,234.5) is read.
    """
    body = text.strip().lstrip(_CURRENCY).strip()
    percent = body.endswith("%")
    if percent:
        body = body[:-1].rstrip()
    if "," in body:
        if _GROUPED.fullmatch(body):
            body = body.replace(",", "")
        elif re.fullmatch(r"[+-]?[\d.,]*\d[\d.,]*", body):
            raise _DecimalComma(text)
        else:
            return None
    try:
        number = float(body)
    except ValueError:
        return None
    return number / 100 if percent else number


def looks_numeric(text: str) -> bool:
    """Text that reads as a number (currency sign, percent, thousands separators, or a
    decimal comma that :func:`number_option` then refuses), not a name."""
    try:
        return _text_number(text) is not None
    except _DecimalComma:
        return True


def leg(value: Any, what: str) -> str | pd.Series:
    """A ticker (text in one cell) or a two-column price range."""
    rows = _drop_empty_rows(rows_of(value))
    if not rows:
        raise InputError(f"{what}: missing")
    if len(rows) == 1 and len(rows[0]) == 1:
        return ticker(rows[0][0], what)
    return price_range(value, what)


def ticker(value: Any, what: str) -> str:
    """One ticker typed in a cell, upper-cased."""
    refuse_error(value, what)
    if is_empty(value):
        raise InputError(f"{what}: missing")
    if not isinstance(value, str):
        raise InputError(f"{what}: expected a ticker or a range of dates and prices, "
                         f"got {show(value)}")
    return value.strip().upper()


def frame_table(frame: pd.DataFrame, header: bool = True) -> list[list[Any]]:
    """A DataFrame (index ignored) as rows of plain Python values for Excel."""
    out: list[list[Any]] = [[str(c) for c in frame.columns]] if header else []
    for row in frame.itertuples(index=False, name=None):
        out.append([cell_value(v) for v in row])
    return out


def cell_value(value: Any) -> Any:
    """One Python value as Excel takes it: plain float/int/str/datetime, blank for NaN."""
    import numpy as np
    import pandas as pd

    if value is None:
        return ""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime() if value is not pd.NaT else ""
    if isinstance(value, (_dt.datetime, _dt.date, str, bool)):
        return value
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).to_pydatetime()
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return v if math.isfinite(v) else ""
    return str(value)


def message(exc: BaseException) -> str:
    """The short text a cell shows for ``exc``: never a traceback, never more than a cell."""
    text = user_message(exc)
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "\u2026"


def freeze(value: Any) -> Any:
    """A hashable copy of a cell value (ranges become tuples), for memo keys."""
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        return tuple(freeze(v) for v in value)
    return value

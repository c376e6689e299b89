"""The Office.js face of the worksheet functions (xlwings Lite), built by :func:`face`.

:mod:`betahedge_xl.lite` (one line in Lite's ``main.py``: ``from betahedge_xl.lite import *``)
and :mod:`betahedge_xl.udfs` registered directly in Lite both take their functions from here;
this module imports neither, so the house has no import circle.

xlwings Lite (an Office add-in: Python in Pyodide, in Excel's browser runtime on Windows, macOS
and the web) registers every function of ``main.py`` decorated with ``xlwings.func``, which
there is Lite's own Office.js API. This module gives it the nine functions of
:mod:`betahedge_xl.udfs` under the same names and arguments, each a thin wrapper that turns
what Office.js sends into what the desktop functions read, calls the desktop function, and
turns its answer into what Office.js shows:

* every argument comes through xlwings' Office.js dispatch as Office.js sent it (a 2-D list, a
  single cell unwrapped, an omitted argument ``None``), read by :class:`OfficeJsCells`, which
  leaves it untouched; :func:`argument` then reads it:

  - an error cell is an object ``{"type": "Error", "basicValue": "#N/A", ...}``: the seven
    classic errors become their text, which the desktop functions refuse by name
    (``start_date is #DIV/0!``) or, in a price range, take ``#N/A`` for a missing price;
    ``#BUSY!`` (and ``#GETTING_DATA``: a ``STOCKHISTORY`` still loading) gives the short
    :data:`WAITING` message; newer errors (``#SPILL!``, ``#CALC!`` ...) are refused by name;
  - a whole column (``A:B``) arrives as its 1,048,576 rows: trailing empty rows are dropped
    first (trimmed references ``A:.B`` or an Excel table send only the used rows);
  - ``=STOCKHISTORY(ticker, start, end)`` output (a ``Date``/``Close`` header, optionally under
    the instrument row of ``headers=2``) is a price range: its header row is named after the
    instrument (or the argument) and says that its closes are not adjusted for dividends, as
    the ``Data warnings`` row of a summary does;
  - serial numbers are dates of the workbook's date system: Office.js does not say which, so
    ``BETAHEDGE_DATE_SYSTEM=1904`` in Lite's environment variables (Workbook scope) says so
    for a 1904 workbook (:func:`date_system`);
  - a ticker cannot be fetched (Yahoo sends no CORS headers, and yfinance needs curl_cffi,
    which has no Pyodide build): :func:`ticker_message` says so and names what works;

* results: dates go back as ``datetime`` (xlwings' Office.js engine writes them as formatted
  numbers, dates in the cell; shifted for a 1904 workbook), a number that is not a number
  (NaN) as ``#NUM!``.

Nothing here imports ``xlwings.pro`` (PolyForm Noncommercial): in Lite, ``xlwings.func`` and
``xlwings.arg`` are Lite's own API; on a desktop they are xlwings CE's.
"""

from __future__ import annotations

import datetime as _dt
import inspect
import math
import os
from collections.abc import Callable
from typing import Any

from xlwings import arg, func
from xlwings.conversion import Accessor, Pipeline

from ..exceptions import InputError
from . import cells

try:  # Pyodide >= 0.28 hands a JS null inside an array over as this sentinel, not None
    from pyodide.ffi import JsNull as _JsNull
except ImportError:
    _JsNull = None

#: Lite's environment variable that names the workbook's date system (``1900`` or ``1904``).
DATE_SYSTEM_VARIABLE = "BETAHEDGE_DATE_SYSTEM"
#: Days from the 1904 system's serial numbers to the 1900 system's (1904-01-01 is 1462 there).
DAYS_1904 = 1462

#: Error objects as Office.js types them, for an object without ``basicValue``.
_ERROR_TYPES = {
    "Div0": "#DIV/0!", "NotAvailable": "#N/A", "Name": "#NAME?", "Null": "#NULL!",
    "Num": "#NUM!", "Ref": "#REF!", "Value": "#VALUE!", "Busy": "#BUSY!", "Calc": "#CALC!",
    "Connect": "#CONNECT!", "Blocked": "#BLOCKED!", "Field": "#FIELD!", "Spill": "#SPILL!",
    "GettingData": "#GETTING_DATA", "Unknown": "#UNKNOWN!",
}
#: Errors a cell shows while its data is on the way (``STOCKHISTORY`` loading).
_PENDING = frozenset({"#BUSY!", "#GETTING_DATA"})
#: What a cell shows then: the formula is calculated again when the data has arrived.
WAITING = "waiting for data ({error} in {what}); recalculates when it arrives"
#: The header ``=STOCKHISTORY(ticker, start, end)`` spills above its dates and closes.
STOCKHISTORY_HEADER = ("date", "close")
#: What the legs read from ``STOCKHISTORY`` are called, and what their summary says.
STOCKHISTORY_NOTE = "STOCKHISTORY closes, not adjusted for dividends"
#: Range arguments (the others are one cell each), and those whose first column is dates.
RANGES = frozenset({"asset", "benchmark", "tickers", "holdings"})
PRICE_RANGES = frozenset({"asset", "benchmark"})
DATES = frozenset({"start_date", "end_date"})
#: The row of a summary table that lists what the analyst should know about the data.
WARNINGS_ROW = "Data warnings"


def ticker_message(ticker: str, what: str) -> str:
    """Why a ticker gives no prices in Lite, and what works there instead."""
    instead = (f"give a range of dates and prices instead: =STOCKHISTORY(\"{ticker}\",start,"
               f"end) or a pasted price table" if what in PRICE_RANGES else
               f"=STOCKHISTORY(\"{ticker}\",start,end) gives prices for BETA_HEDGE; a book of "
               f"tickers needs the desktop add-in")
    return (f"{what}: ticker {ticker} cannot be fetched here: Excel's browser runtime "
            f"(xlwings Lite) cannot reach Yahoo; {instead}")


class _Error(str):
    """The text of an error cell (``#N/A``), told apart from text typed into a cell."""


class OfficeJsCells(Accessor):
    """xlwings converter: an argument exactly as Office.js sent it.

    xlwings' default reading would turn an error object into ``None`` (an empty cell: the
    default silently taken) or, with ``err_to_str``, into its text, and would clean every one
    of a whole column's 1,048,576 rows; here :func:`argument` sees the object (``#BUSY!`` is
    data on its way) and drops a column's empty tail before reading a cell.
    """

    @classmethod
    def reader(cls, options: dict[str, Any]) -> Pipeline:
        # Nothing to do: a whole column is 1,048,576 rows, so even one pass over every cell
        # here would cost seconds; :func:`argument` drops the empty rows at the end first.
        return Pipeline()


def _empty(value: Any) -> bool:
    """An empty cell: ``None``, a JS ``null`` (Pyodide's ``JsNull``) or ``""``."""
    return value is None or (isinstance(value, str) and not value.strip()) or (
        _JsNull is not None and isinstance(value, _JsNull))


def date_system() -> int:
    """The workbook's date system: 1900 unless Lite's environment says ``1904``."""
    text = os.environ.get(DATE_SYSTEM_VARIABLE, "").strip()
    if text in ("", "1900"):
        return 1900
    if text == "1904":
        return 1904
    raise InputError(f"environment variable {DATE_SYSTEM_VARIABLE} is {text!r}; "
                     f"set it to 1900 or 1904 (the workbook's date system)")


def _cell(value: Any) -> Any:
    """One cell as the desktop functions read it: an error as its text, a typed value bare."""
    if isinstance(value, dict):
        if value.get("type") == "Error":
            text = value.get("basicValue")
            return _Error(text if isinstance(text, str) else _ERROR_TYPES.get(
                str(value.get("errorType")), "#VALUE!"))
        return value.get("basicValue")  # a formatted number, a data type's plain value
    return None if _empty(value) else value


def _blank(row: list[Any]) -> bool:
    return all(map(_empty, row))


def _trimmed(rows: list[list[Any]]) -> list[list[Any]]:
    """``rows`` without its trailing empty rows (a whole column sends all 1,048,576)."""
    end = len(rows)
    while end:
        row = rows[end - 1]
        # most rows of a whole column are [None, None]: the cheap test first
        if not (0 < len(row) <= 2 and row[0] is None and row[-1] is None) and not _blank(row):
            break
        end -= 1
    return rows[:end]


def _refuse(text: str, what: str, row: int | None) -> None:
    """Refuse an error cell the desktop functions do not know, naming where it is."""
    where = what if row is None else f"{what}: row {row}"
    if text in _PENDING:
        raise InputError(WAITING.format(error=text, what=what))
    if text not in cells.ERRORS:
        raise InputError(f"{where} is {text}")


def argument(name: str, value: Any, notes: list[str]) -> Any:
    """One argument as Office.js sent it, read into what :mod:`betahedge_xl.udfs` takes.

    ``notes`` collects what the result must say (a leg read from ``STOCKHISTORY``).

    Raises
    ------
    InputError
        A pending or unknown error cell, a ticker (see :func:`ticker_message`), or an unknown
        date system.
    """
    shift = DAYS_1904 if name in DATES | PRICE_RANGES and date_system() == 1904 else 0
    if not isinstance(value, (list, tuple)):
        value = _cell(value)
        if isinstance(value, _Error):
            _refuse(value, name, None)
        if shift and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = value + shift
        if name in RANGES and isinstance(value, str) and value.strip() and name != "holdings":
            raise InputError(ticker_message(value.strip().upper(), name))
        return value
    if value and not isinstance(value[0], (list, tuple)):
        value = [value]  # one row: xlwings' to_scalar unwrapped the outer list
    rows = [[_cell(v) for v in r] for r in _trimmed(value)]
    for i, row in enumerate(rows, start=1):
        for v in row:
            if isinstance(v, _Error):
                _refuse(v, name, i)
    texts = [v.strip() for r in rows for v in r
             if isinstance(v, str) and not isinstance(v, _Error) and v.strip()]
    if texts and (name == "tickers" or (name in PRICE_RANGES and _one_text(rows))):
        raise InputError(ticker_message(texts[0].upper(), name))
    if name in PRICE_RANGES:
        rows = _stockhistory(rows, name, notes)
        if shift:
            rows = [[d + shift if isinstance(d, (int, float)) and not isinstance(d, bool)
                     else d, *rest] for d, *rest in rows]
    return rows


def _one_text(rows: list[list[Any]]) -> bool:
    """A range whose only filled cell is text: a ticker, as on the desktop."""
    filled = [v for r in rows for v in r if v is not None]
    return len(filled) == 1 and isinstance(filled[0], str)


def _stockhistory(rows: list[list[Any]], what: str, notes: list[str]) -> list[list[Any]]:
    """A ``STOCKHISTORY`` range with its header named, or ``rows`` unchanged.

    ``headers=1`` spills ``Date, Close`` above the prices; ``headers=2`` also an instrument
    row above that. The header of the closes becomes the instrument (or ``what``) and what
    the closes are; the instrument row goes.
    """
    top = [i for i, r in enumerate(rows) if not _blank(r)][:2]
    for i in top:
        head = rows[i]
        if tuple(str(v).strip().lower() for v in head) != STOCKHISTORY_HEADER:
            continue
        above = [v for r in rows[:i] for v in r if isinstance(v, str) and v.strip()]
        label = above[0].strip() if above else what
        notes.append(f"{what}: {STOCKHISTORY_NOTE}")
        return [[head[0], f"{label} ({STOCKHISTORY_NOTE})"], *rows[i + 1:]]
    return rows


def result(value: Any, notes: list[str]) -> Any:
    """A desktop function's answer as Office.js shows it: NaN as ``#NUM!``, dates in the
    workbook's date system, ``notes`` added to a summary's data warnings."""
    shift = _dt.timedelta(days=DAYS_1904) if date_system() == 1904 else None

    def one(v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            return "#NUM!"  # the Office.js engine writes it as Excel's #NUM! error
        if shift is not None and isinstance(v, _dt.date):
            # xlwings writes the 1900 serial number; in a 1904 workbook that serial is a
            # date 1462 days later, so the date is moved back by as much
            return v - shift
        return v

    if not isinstance(value, list):
        return one(value)
    out = [[one(v) for v in row] for row in value]
    if notes:
        for row in out:
            if len(row) == 2 and row[0] == WARNINGS_ROW:
                text = "; ".join(notes if row[1] in ("", "none") else [row[1], *notes])
                row[1] = text if len(text) <= cells.MAX_MESSAGE else \
                    text[: cells.MAX_MESSAGE - 1] + "\u2026"
    return out


def _lite(udf: Callable[..., Any], module: str,
          wizard: Callable[[Any], Any]) -> Callable[..., Any]:
    """The Lite function of the desktop function ``udf``: same name, arguments and help,
    defined in ``module``; ``wizard`` gives it the desktop function's one-line help."""
    info = getattr(udf, "__xlfunc__", None) or {}
    hidden = {a["name"] for a in info.get("args", []) if "vba" in a.get("options", {})}
    hidden.add("caller")  # the desktop's calling cell (its date system); Lite sends none
    sig = inspect.signature(udf)
    params = [p.replace(annotation=inspect.Parameter.empty)
              for p in sig.parameters.values() if p.name not in hidden]
    names = [p.name for p in params]

    def call(*args: Any) -> Any:
        notes: list[str] = []
        try:
            values = {n: argument(n, v, notes) for n, v in zip(names, args)}
            return result(udf(**values), notes)
        except Exception as exc:  # noqa: BLE001 - a cell shows a message, never a traceback
            return [[cells.message(exc)]]

    call.__name__ = call.__qualname__ = udf.__name__
    call.__doc__ = udf.__doc__
    call.__module__ = module
    call.__signature__ = sig.replace(  # type: ignore[attr-defined]
        parameters=params, return_annotation=inspect.Signature.empty)
    call.__annotations__ = {}
    wrapped = func(call)
    docs = {a["name"]: a.get("doc") for a in info.get("args", [])}
    for name in names:
        options: dict[str, Any] = {"convert": OfficeJsCells}
        if docs.get(name):
            options["doc"] = docs[name]
        wrapped = arg(name, **options)(wrapped)
    return wizard(wrapped)


def face(functions: dict[str, Callable[..., Any]], module: str,
         wizard: Callable[[Any], Any]) -> dict[str, Callable[..., Any]]:
    """The Lite functions of the desktop ``functions`` (name -> function), under the same
    names, defined in ``module`` (the one Lite registers them from)."""
    return {name: _lite(udf, module, wizard) for name, udf in functions.items()}

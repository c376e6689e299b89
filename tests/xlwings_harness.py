"""Run xlwings' own Windows UDF machinery on Linux, so tests exercise the real Excel boundary.

There is no Excel (and no pywin32) on our machines, yet what reaches a UDF and what goes back to
the cell is decided by xlwings' code, not ours. This harness makes that code runnable:

* fake ``pythoncom``, ``pywintypes``, ``win32com.client`` (and ``win32timezone``, used by the
  date hook) so that ``import xlwings.udfs`` works;
* a stand-in ``xlwings._xlwindows`` whose value hooks (``Engine.prepare_xl_data_element``,
  ``Engine.clean_value_data`` and the helpers they call) and ``Book``/``Sheet``/``Range``
  classes are the *source code of the installed xlwings*, extracted with :mod:`ast` and
  executed, not re-written; it is registered as the engine named ``"excel"`` that
  ``xlwings.conversion.read/write`` look up. Only ``App`` is a stand-in (:class:`_App`: the
  real one looks for Excel's window and process);
* the UDF module imported while ``xw.func``/``xw.arg``/``xw.ret`` are xlwings' Windows
  decorators (``xlwings.udfs.xlfunc`` ...), so ``__xlfunc__`` metadata exists as on Windows;
* :func:`call_udf` goes through the real ``xlwings.udfs.call_udf`` (missing-argument sentinel,
  argument conversion, result conversion), and :func:`vba_wrappers` through the real
  ``xlwings.udfs.generate_vba_wrapper``.

What stays fake is only the COM transport: a range argument is a small object model of a
worksheet (:class:`FakeXlSheet`, :class:`FakeXlRange`: ``Value``, ``Row``, ``Rows.Count``,
``Cells``, ``Range``, ``UsedRange`` ...) that xlwings' own ``_xlwindows.Range`` and ``Sheet``
(also taken from the installed source) drive as they drive Excel's. ``Value`` is what pywin32
delivers: a scalar for one cell, a tuple of tuples otherwise, dates as ``pywintypes.TimeType``
with a UTC tzinfo, an error cell as its integer code (:data:`ERROR_CODES`). An omitted
optional argument is the ``DISP_E_PARAMNOTFOUND`` integer that VBA passes.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import importlib
import io
import re as _re
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: What VBA hands over for an omitted ``Optional`` argument (DISP_E_PARAMNOTFOUND).
MISSING = -2147352572

#: The names taken verbatim from the installed ``xlwings/_xlwindows.py``.
_HOOK_NAMES = (
    "time_types",
    "_com_time_to_datetime",
    "_datetime_to_com_time",
    "cell_errors",
    "missing",
    "_clean_value_data_element",
    "Engine",
    "Book",
    "Sheet",
    "Range",
)
_HOOK_ASSIGNS = ("time_types", "cell_errors", "missing")


def _xlwindows_tree() -> tuple[Path, ast.Module]:
    import xlwings

    path = Path(xlwings.__file__).with_name("_xlwindows.py")
    return path, ast.parse(path.read_text(encoding="utf-8"))


def _error_codes() -> dict[str, int]:
    """Error text -> the integer pywin32 delivers for that error cell, from xlwings' own table."""
    _, tree = _xlwindows_tree()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "cell_errors" for t in node.targets):
            return {text: code for code, text in ast.literal_eval(node.value).items()}
    raise RuntimeError("xlwings/_xlwindows.py no longer defines cell_errors")


#: An error cell as pywin32 hands it over (``ERROR_CODES["#N/A"]``): xlwings turns it into
#: ``None``, or into its text with ``err_to_str=True``.
ERROR_CODES = _error_codes()

#: Rows of a worksheet (Excel 2007 and later).
SHEET_ROWS = 1_048_576

_PYWIN32_MODULES = (
    "pythoncom",
    "pywintypes",
    "win32timezone",
    "win32com",
    "win32com.client",
)


class _Permissive(types.ModuleType):
    """A module whose unknown attributes are harmless callables (``pythoncom.CoInitialize``)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: None


class TimeType(dt.datetime):
    """Stand-in for ``pywintypes.TimeType``: a ``datetime`` subclass, as in pywin32 >= 300."""


def com_date(year: int, month: int, day: int) -> TimeType:
    """A date cell as pywin32 delivers it: a ``TimeType`` carrying UTC."""
    return TimeType(year, month, day, tzinfo=dt.UTC)


class _ComError(Exception):
    pass


def _fake_pywin32() -> dict[str, types.ModuleType]:
    mods: dict[str, types.ModuleType] = {name: _Permissive(name) for name in _PYWIN32_MODULES}
    pywintypes = mods["pywintypes"]
    pywintypes.TimeType = TimeType  # type: ignore[attr-defined]
    pywintypes.com_error = _ComError  # type: ignore[attr-defined]
    pywintypes.IID = str  # type: ignore[attr-defined]
    tz = mods["win32timezone"]
    tz.TimeZoneInfo = types.SimpleNamespace(utc=lambda: dt.UTC)  # type: ignore[attr-defined]
    mods["win32com.client"].Dispatch = lambda *a, **k: None  # type: ignore[attr-defined]
    mods["win32com"].client = mods["win32com.client"]  # type: ignore[attr-defined]
    return mods


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


class _Count:
    def __init__(self, count: int) -> None:
        self.Count = count


class FakeXlBook:
    """The COM ``Workbook`` above a :class:`FakeXlSheet` (``Parent``): a name and an app."""

    def __init__(self, name: str = "Book1.xlsx", date1904: bool = False) -> None:
        self.Name = name
        self.Application = types.SimpleNamespace(Name="Microsoft Excel")
        #: The workbook's date system (``Workbook.Date1904``): serials count from 1904-01-01.
        self.Date1904 = date1904


class FakeXlSheet:
    """The COM ``Worksheet`` behind range arguments: the cells, ``Cells``, ``Range``, ``UsedRange``.

    Cells hold what pywin32 delivers (floats, text, :func:`com_date`, error codes). ``cells_read``
    counts the cells whose ``Value`` was read, so tests can see how much of a range was converted.
    """

    def __init__(self, name: str = "Sheet1") -> None:
        self.Name = name
        self.Parent = FakeXlBook()
        self.cells: dict[tuple[int, int], Any] = {}
        self.cells_read = 0

    def put(self, values: list[list[Any]], row: int = 1, col: int = 1) -> FakeXlRange:
        """Type ``values`` (rows) into the sheet from (row, col); the range they fill."""
        for i, r in enumerate(values):
            for j, v in enumerate(r):
                if v is None:
                    self.cells.pop((row + i, col + j), None)
                else:
                    self.cells[(row + i, col + j)] = v
        width = max((len(r) for r in values), default=1)
        return FakeXlRange(sheet=self, bounds=(row, col, row + max(len(values), 1) - 1,
                                               col + max(width, 1) - 1))

    def Cells(self, row: int, col: int) -> FakeXlRange:  # noqa: N802  (COM name)
        return FakeXlRange(sheet=self, bounds=(row, col, row, col))

    def Range(self, cell1: Any, cell2: Any = None) -> FakeXlRange:  # noqa: N802
        """``Range(cell1, cell2)`` spans two ranges; ``Range("A1:B9")``, ``Range("A:B")``."""
        if isinstance(cell1, str):
            return self._parse(cell1)
        b1 = cell1.bounds
        b2 = cell2.bounds if cell2 is not None else b1
        return FakeXlRange(sheet=self, bounds=(min(b1[0], b2[0]), min(b1[1], b2[1]),
                                               max(b1[2], b2[2]), max(b1[3], b2[3])))

    def _parse(self, address: str) -> FakeXlRange:
        parts = address.replace("$", "").upper().split(":")
        ends = []
        for part in parts:
            m = _re.fullmatch(r"([A-Z]*)(\d*)", part)
            if m is None or not (m.group(1) or m.group(2)):
                raise ValueError(address)
            ends.append((int(m.group(2)) if m.group(2) else None,
                         _col_number(m.group(1)) if m.group(1) else None))
        (r1, c1), (r2, c2) = ends[0], ends[-1]
        return FakeXlRange(sheet=self, bounds=(r1 or 1, c1 or 1, r2 or SHEET_ROWS,
                                               c2 or 16_384))

    @property
    def UsedRange(self) -> FakeXlRange:  # noqa: N802
        # As in Excel: the rectangle from the first to the last used row and column; an empty
        # sheet's used range is A1.
        if not self.cells:
            return self.Cells(1, 1)
        rows = [r for r, _ in self.cells]
        cols = [c for _, c in self.cells]
        return FakeXlRange(sheet=self, bounds=(min(rows), min(cols), max(rows), max(cols)))


class FakeXlRange:
    """The COM ``Range`` Excel passes for a range argument, as far as xlwings reads it.

    ``FakeXlRange(values)`` is ``values`` typed into a fresh sheet from A1, the range over
    exactly them; ``sheet.put`` or ``sheet.Range("A:B")`` give ranges elsewhere. Like pywin32,
    ``Value`` is a scalar for one cell and a tuple of tuples for several.
    """

    def __init__(self, values: list[list[Any]] | None = None, *,
                 sheet: FakeXlSheet | None = None,
                 bounds: tuple[int, int, int, int] | None = None) -> None:
        if sheet is None:
            sheet = FakeXlSheet()
            bounds = sheet.put(values or [[None]]).bounds
        assert bounds is not None
        self.Worksheet = sheet
        self.bounds = bounds
        r1, c1, r2, c2 = bounds
        self.Row, self.Column = r1, c1
        self.Rows, self.Columns = _Count(r2 - r1 + 1), _Count(c2 - c1 + 1)
        self.Count = self.Rows.Count * self.Columns.Count
        self.CLSID = "{00020846-0000-0000-C000-000000000046}"  # Excel's Range coclass

    @property
    def Address(self) -> str:  # noqa: N802
        r1, c1, r2, c2 = self.bounds
        from xlwings.utils import col_name

        first = f"${col_name(c1)}${r1}"
        return first if (r1, c1) == (r2, c2) else f"{first}:${col_name(c2)}${r2}"

    @property
    def Value(self) -> Any:  # noqa: N802
        r1, c1, r2, c2 = self.bounds
        self.Worksheet.cells_read += self.Count
        get = self.Worksheet.cells.get
        rows = tuple(tuple(get((r, c)) for c in range(c1, c2 + 1)) for r in range(r1, r2 + 1))
        return rows[0][0] if self.Count == 1 else rows


class _App:
    """``xlwings._xlwindows.App`` for a workbook's ``Application``: what conversion asks of it
    (its engine). The real one finds Excel's window and process, which do not exist here."""

    def __init__(self, xl: Any = None, **kwargs: Any) -> None:
        self.xl = xl
        self.pid = 0

    @property
    def engine(self) -> Any:
        return sys.modules["xlwings._xlwindows"].engine


def _xlwindows_hooks(engine_holder: dict[str, Any],
                     mods: dict[str, types.ModuleType]) -> types.ModuleType:
    """Build ``xlwings._xlwindows`` from the installed file's own value hooks."""
    import numpy as np
    import pandas as pd
    from xlwings import base_classes
    from xlwings.utils import col_name, np_datetime_to_datetime

    source_path, tree = _xlwindows_tree()
    picked: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in _HOOK_NAMES:
            picked.append(node)
        elif isinstance(node, (ast.Assign, ast.If)):
            targets = [t.id for t in ast.walk(node) if isinstance(t, ast.Name)]
            if targets and targets[0] in _HOOK_ASSIGNS:
                picked.append(node)
    found = {getattr(n, "name", None) for n in picked} | {
        t.id for n in picked if isinstance(n, (ast.Assign, ast.If)) for t in ast.walk(n)
        if isinstance(t, ast.Name)
    }
    missing = [n for n in _HOOK_NAMES if n not in found]
    if missing:  # a future xlwings moved them: fail loudly rather than test something else
        raise RuntimeError(f"xlwings/_xlwindows.py no longer defines {missing}")
    mod = types.ModuleType("xlwings._xlwindows")
    ns = mod.__dict__
    ns.update(
        dt=dt, pd=pd, np=np, numbers=__import__("numbers"),
        pywintypes=mods["pywintypes"], win32timezone=mods["win32timezone"],
        np_datetime_to_datetime=np_datetime_to_datetime, base_classes=base_classes,
        col_name=col_name, App=_App,
    )
    code = compile(ast.Module(body=picked, type_ignores=[]), str(source_path), "exec")
    exec(code, ns)  # noqa: S102  (xlwings' own code, from the installed package)
    ns["engine"] = ns["Engine"]()
    engine_holder["impl"] = ns["engine"]
    ns["BOOK_CALLER"] = None
    ns["is_range_instance"] = lambda x: isinstance(x, FakeXlRange)
    return mod


class Harness:
    """Handle on the installed fakes and the UDF module loaded with real decorators."""

    def __init__(self, module_name: str, module: types.ModuleType,
                 date1904: bool = False) -> None:
        self.module_name = module_name
        self.module = module
        #: The cell the functions are called from, in a workbook of the chosen date system.
        self.caller_sheet = FakeXlSheet("Calls")
        self.caller_sheet.Parent = FakeXlBook(date1904=date1904)
        import xlwings.udfs

        self.udfs = xlwings.udfs

    def call(self, func_name: str, *args: Any) -> Any:
        """Call a UDF as Excel would, through ``xlwings.udfs.call_udf``.

        Arguments are what pywin32 delivers (floats, str, :func:`com_date`, ``None``,
        :class:`FakeXlRange`, :data:`MISSING`). Fewer arguments than parameters means the
        trailing ones were omitted, as VBA passes every declared argument.
        """
        info = getattr(self.module, func_name).__xlfunc__
        n = len(info["args"])
        full = list(args) + [MISSING] * (n - len(args))
        # Excel passes the calling cell (xlwings hands it to an argument named ``caller``).
        caller = self.caller_sheet.Cells(1, 1)
        return self.udfs.call_udf(self.module_name, func_name, tuple(full), None, caller)

    def vba(self, workbook_name: str = "betahedge.xlsm") -> str:
        """The VBA module text xlwings' "Import Functions" would write into the workbook."""
        out = io.StringIO()
        book = types.SimpleNamespace(Name=workbook_name)
        self.udfs.generate_vba_wrapper(self.module_name, self.module, out, book)
        return out.getvalue()


@contextlib.contextmanager
def xlwings_windows(module_name: str = "betahedge_xl.udfs",
                    date1904: bool = False) -> Iterator[Harness]:
    """Install the fakes, import ``module_name`` under xlwings' Windows decorators, undo after.

    ``date1904``: the calling workbook uses the 1904 date system (``Workbook.Date1904``).

    Everything touched (``sys.modules`` entries, ``xlwings.func/arg/ret``, the engine list) is
    restored on exit, so other tests see the ordinary Linux xlwings.
    """
    import xlwings
    from xlwings.main import Engine

    saved_modules = {k: sys.modules.get(k) for k in (*_PYWIN32_MODULES, "xlwings.udfs",
                                                     "xlwings.com_server",
                                                     "xlwings._xlwindows", module_name)}
    saved_attrs = {k: getattr(xlwings, k, None) for k in ("func", "arg", "ret", "_xlwindows")}
    engines = xlwings.engines
    saved_engines = (list(engines.engines), dict(engines.engines_by_name))
    try:
        mods = _fake_pywin32()
        sys.modules.update(mods)
        holder: dict[str, Any] = {}
        xlwindows = _xlwindows_hooks(holder, mods)
        sys.modules["xlwings._xlwindows"] = xlwindows
        xlwings._xlwindows = xlwindows  # type: ignore[attr-defined]
        holder["engine"] = Engine(impl=holder["impl"])
        if "excel" not in engines.engines_by_name:
            engines.add(holder["engine"])
        for name in ("xlwings.udfs", "xlwings.com_server"):
            sys.modules.pop(name, None)
        udfs = importlib.import_module("xlwings.udfs")
        # call_udf imports the COM server's event loop, used only by async UDFs (we have none);
        # the real module would register a COM class factory.
        com_server = types.ModuleType("xlwings.com_server")
        com_server.loop = None  # type: ignore[attr-defined]
        sys.modules["xlwings.com_server"] = com_server
        xlwings.func, xlwings.arg, xlwings.ret = udfs.xlfunc, udfs.xlarg, udfs.xlret
        sys.modules.pop(module_name, None)
        module = importlib.import_module(module_name)
        yield Harness(module_name, module, date1904=date1904)
    finally:
        for k, v in saved_modules.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
        for k, v in saved_attrs.items():
            if v is None:
                if hasattr(xlwings, k):
                    delattr(xlwings, k)
            else:
                setattr(xlwings, k, v)
        engines.engines[:] = saved_engines[0]
        engines.engines_by_name.clear()
        engines.engines_by_name.update(saved_engines[1])


# ---------------------------------------------------------------------------------------------
# A fake of the xlwings object model the refresh uses (Book, Sheet, Range, Name, Chart, App).
# It follows xlwings' documented semantics where the drawer relies on them: 1-based
# (row, col) tuples, a 2-D list written at a cell fills the block below and to its right, a
# multi-cell range reads as a list of rows with ndim=2, empty cells read as None. A cell may
# hold an error as pywin32 delivers it (ERROR_CODES["#N/A"]); reading it goes through xlwings'
# Windows cleaning, so it reads as None unless the range's options ask for err_to_str.
# ---------------------------------------------------------------------------------------------


class FakeApp:
    def __init__(self) -> None:
        self.status_history: list[Any] = []
        self.alerts: list[str] = []
        self._status: Any = False

    @property
    def status_bar(self) -> Any:
        return self._status

    @status_bar.setter
    def status_bar(self, value: Any) -> None:
        self._status = value
        self.status_history.append(value)

    def alert(self, prompt: str, title: str | None = None, **kwargs: Any) -> None:
        self.alerts.append(prompt)


_CLEAN: list[Any] = []


def _clean_value(value: Any, err_to_str: bool) -> Any:
    """One cell's COM value as xlwings' Windows reading cleans it (installed source's
    ``_clean_value_data_element``): an error code becomes ``None``, or its text with
    ``err_to_str``; a ``TimeType`` a naive ``datetime``; ``""`` ``None``."""
    if not _CLEAN:
        _CLEAN.append(_xlwindows_hooks({}, _fake_pywin32()).__dict__["_clean_value_data_element"])
    return _CLEAN[0](value, dt.datetime, None, None, err_to_str)


class FakeRange:
    def __init__(self, sheet: FakeSheet, r1: int, c1: int, r2: int, c2: int,
                 ndim: int | None = None, err_to_str: bool = False) -> None:
        self.sheet, self.row, self.column = sheet, r1, c1
        self.last_row, self.last_column = r2, c2
        self._ndim = ndim
        self._err_to_str = err_to_str

    @property
    def shape(self) -> tuple[int, int]:
        return self.last_row - self.row + 1, self.last_column - self.column + 1

    def options(self, ndim: int | None = None, err_to_str: bool = False,
                **kwargs: Any) -> FakeRange:
        return FakeRange(self.sheet, self.row, self.column, self.last_row, self.last_column,
                         ndim, err_to_str)

    @property
    def value(self) -> Any:
        # The grid holds what pywin32 would deliver (an error cell as its integer code, see
        # ERROR_CODES); xlwings' own cleaning turns it into what the code under test sees.
        rows = [[_clean_value(self.sheet.grid.get((r, c)), self._err_to_str)
                 for c in range(self.column, self.last_column + 1)]
                for r in range(self.row, self.last_row + 1)]
        if self._ndim == 2:
            return rows
        if len(rows) == 1 and len(rows[0]) == 1:
            return rows[0][0]
        if len(rows) == 1:
            return rows[0]
        if len(rows[0]) == 1:
            return [r[0] for r in rows]
        return rows

    @value.setter
    def value(self, data: Any) -> None:
        if isinstance(data, (list, tuple)):
            rows = data if data and isinstance(data[0], (list, tuple)) else [data]
            widths = {len(r) for r in rows}
            if len(widths) > 1:  # xlwings refuses jagged lists too
                raise ValueError("All elements of a 2d list or tuple must be of the same length")
            for i, row in enumerate(rows):
                for j, v in enumerate(row):
                    self.sheet._set(self.row + i, self.column + j, v)
        else:
            for r in range(self.row, self.last_row + 1):
                for c in range(self.column, self.last_column + 1):
                    self.sheet._set(r, c, data)

    @property
    def last_cell(self) -> FakeRange:
        return FakeRange(self.sheet, self.last_row, self.last_column, self.last_row,
                         self.last_column)

    @property
    def formula(self) -> Any:
        """As xlwings on Windows: the formula, or the constant as text ("" when empty); a
        tuple of tuples for several cells."""
        def one(r: int, c: int) -> str:
            if (r, c) in self.sheet.formulas:
                return self.sheet.formulas[(r, c)]
            v = _clean_value(self.sheet.grid.get((r, c)), True)
            return "" if v is None else str(v)

        rows = tuple(tuple(one(r, c) for c in range(self.column, self.last_column + 1))
                     for r in range(self.row, self.last_row + 1))
        return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows

    def clear_contents(self) -> None:
        for r in range(self.row, self.last_row + 1):
            for c in range(self.column, self.last_column + 1):
                self.sheet.grid.pop((r, c), None)
                self.sheet.formulas.pop((r, c), None)

    @property
    def data_validation(self) -> FakeDataValidation:
        return FakeDataValidation(self)

    @property
    def number_format(self) -> Any:
        return self.sheet.formats.get((self.row, self.column))

    @number_format.setter
    def number_format(self, fmt: str) -> None:
        for r in range(self.row, self.last_row + 1):
            for c in range(self.column, self.last_column + 1):
                self.sheet.formats[(r, c)] = fmt

    @property
    def left(self) -> float:
        """Points from the sheet's left edge, from the columns' widths (as Excel)."""
        return sum(self.sheet._column_points(c) for c in range(1, self.column))

    @property
    def top(self) -> float:
        return sum(self.sheet.row_heights.get(r, 15.0) for r in range(1, self.row))

    @property
    def column_width(self) -> float:
        return self.sheet.col_widths.get(self.column, 8.43)

    @column_width.setter
    def column_width(self, value: float) -> None:
        # Excel sets the width of every column of the range (in characters).
        for c in range(self.column, self.last_column + 1):
            self.sheet.col_widths[c] = float(value)

    @property
    def row_height(self) -> float:
        return self.sheet.row_heights.get(self.row, 15.0)

    @row_height.setter
    def row_height(self, value: float) -> None:
        for r in range(self.row, self.last_row + 1):
            self.sheet.row_heights[r] = float(value)

    @property
    def wrap_text(self) -> bool:
        return (self.row, self.column) in self.sheet.wrapped

    @wrap_text.setter
    def wrap_text(self, value: bool) -> None:
        for r in range(self.row, self.last_row + 1):
            for c in range(self.column, self.last_column + 1):
                (self.sheet.wrapped.add if value else self.sheet.wrapped.discard)((r, c))

    @property
    def api(self) -> Any:
        return ("range", self.sheet.name, self.row, self.column, self.last_row,
                self.last_column)


class FakeDataValidation:
    """``Range.data_validation`` (xlwings CE 0.37.5+, Windows and macOS): list rules only.

    The list is checked by xlwings' own ``DataValidation._literal_source`` (no commas, at most
    255 characters), as ``xlwings.main.DataValidation.set_list`` does before calling Excel.
    """

    def __init__(self, rng: FakeRange) -> None:
        self._range = rng

    def _cells(self) -> Iterator[tuple[int, int]]:
        r = self._range
        for row in range(r.row, r.last_row + 1):
            for col in range(r.column, r.last_column + 1):
                yield row, col

    @property
    def type(self) -> str:
        kinds = {"list" if cell in self._range.sheet.validations else "none"
                 for cell in self._cells()}
        return kinds.pop() if len(kinds) == 1 else "mixed_criteria"

    def set_list(self, source: Any, *, in_cell_dropdown: bool = True) -> None:
        import xlwings.main as xm

        values = xm.DataValidation._literal_source(source)
        for cell in self._cells():
            self._range.sheet.validations[cell] = list(values)

    def delete(self) -> None:
        for cell in self._cells():
            self._range.sheet.validations.pop(cell, None)


class FakeAxis:
    def __init__(self) -> None:
        self.title: str | None = None
        self.number_format: str | None = None
        self.crosses = "automatic"
        # The native axis (COM on Windows): records ScaleType/LogBase assignments.
        self.api = types.SimpleNamespace()


class FakePageSetup:
    def __init__(self) -> None:
        self.print_area: str | None = None


class FakeChartSeries:
    """A series as Excel makes it from a source column: named after the header cell, drawn
    in the chart's type until told otherwise."""

    def __init__(self, values: FakeRange, name: str, chart_type: str | None) -> None:
        self.values = values  # the y cells (inspection: which column the series reads)
        self.name, self.chart_type = name, chart_type

    def set(self, **attributes: Any) -> None:
        for key, value in attributes.items():
            setattr(self, key, value)


class FakeChartSeriesCollection:
    def __init__(self, items: list[FakeChartSeries]) -> None:
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[FakeChartSeries]:
        return iter(list(self.items))

    def __getitem__(self, key: int) -> FakeChartSeries:
        return self.items[key]


class FakeChart:
    def __init__(self, sheet: FakeSheet, left: float, top: float, width: float,
                 height: float) -> None:
        self.sheet, self.left, self.top, self.width, self.height = sheet, left, top, width, height
        self.name = f"Chart {len(sheet.charts_list) + 1}"
        self._chart_type: str | None = None
        self.title: str | None = None
        self.source: FakeRange | None = None
        self.plot_by: str | None = None
        self.x_values: FakeRange | None = None
        self.category_axis, self.value_axis = FakeAxis(), FakeAxis()
        self.native_series: list[Any] = []
        self._series: list[FakeChartSeries] = []

    @property
    def chart_type(self) -> str | None:
        return self._chart_type

    @chart_type.setter
    def chart_type(self, value: str) -> None:
        # As in Excel: the chart's type is every series' type.
        self._chart_type = value
        for s in self._series:
            s.chart_type = value

    @property
    def series(self) -> FakeChartSeriesCollection:
        return FakeChartSeriesCollection(self._series)

    @property
    def api(self) -> tuple[None, Any]:
        """Windows xlwings gives (ChartObject, Chart); the Chart records NewSeries calls."""
        chart = self

        class _Collection:
            def NewSeries(self) -> Any:  # noqa: N802  (COM name)
                series = types.SimpleNamespace()
                chart.native_series.append(series)
                return series

        return None, types.SimpleNamespace(SeriesCollection=lambda: _Collection())

    def set_source_data(self, source: FakeRange, plot_by: str | None = None) -> None:
        assert plot_by == "columns", "the fake makes series from columns only"
        self.source, self.plot_by = source, plot_by
        # A text first row is the series' names (Excel's reading of a header row).
        named = all(isinstance(source.sheet.grid.get((source.row, c)), str)
                    for c in range(source.column, source.last_column + 1))
        first = source.row + 1 if named else source.row
        self._series = [
            FakeChartSeries(FakeRange(source.sheet, first, c, source.last_row, c),
                            source.sheet.grid[(source.row, c)] if named else f"Series{k + 1}",
                            self._chart_type)
            for k, c in enumerate(range(source.column, source.last_column + 1))]

    def set_x_axis_values(self, source: FakeRange) -> None:
        self.x_values = source

    def delete(self) -> None:
        self.sheet.charts_list.remove(self)


class FakeCharts:
    def __init__(self, sheet: FakeSheet) -> None:
        self.sheet = sheet

    def __iter__(self) -> Iterator[FakeChart]:
        return iter(list(self.sheet.charts_list))

    def __len__(self) -> int:
        return len(self.sheet.charts_list)

    def __getitem__(self, key: int | str) -> FakeChart:
        if isinstance(key, int):
            return self.sheet.charts_list[key]
        for c in self.sheet.charts_list:
            if c.name.lower() == key.lower():
                return c
        raise KeyError(key)

    def add(self, left: float = 0, top: float = 0, width: float = 355,
            height: float = 211) -> FakeChart:
        chart = FakeChart(self.sheet, left, top, width, height)
        self.sheet.charts_list.append(chart)
        return chart


class FakeSheet:
    def __init__(self, book: FakeBook, name: str) -> None:
        self.book, self.name = book, name
        self.grid: dict[tuple[int, int], Any] = {}
        self.formats: dict[tuple[int, int], str] = {}
        self.charts_list: list[FakeChart] = []
        self.charts = FakeCharts(self)
        self.writes = 0
        #: Cells that became formulas: text assigned to them started like one (see _set).
        self.formulas: dict[tuple[int, int], str] = {}
        #: Cells with a list validation (drop-down): cell -> allowed values.
        self.validations: dict[tuple[int, int], list[str]] = {}
        self.col_widths: dict[int, float] = {}  # 1-based column -> characters
        self.row_heights: dict[int, float] = {}  # 1-based row -> points
        self.wrapped: set[tuple[int, int]] = set()
        self.page_setup = FakePageSetup()
        self.visible = True
        # The native sheet (COM on Windows): page setup assignments land here.
        self.api = types.SimpleNamespace(PageSetup=types.SimpleNamespace())

    def _column_points(self, col: int) -> float:
        """Excel's width of a column in points: characters of 7 px plus 5 px padding."""
        chars = self.col_widths.get(col, 8.43)
        px = int(chars * 7 + 0.5) + 5 if chars >= 1 else int(chars * 12 + 0.5)
        return px * 0.75

    def _set(self, r: int, c: int, v: Any) -> None:
        # xlwings assigns values unescaped (Windows: ``Range.Value = data``; macOS:
        # ``value.set(data)``), and Excel reads a string as if typed: a leading apostrophe
        # marks text (and is not part of the value); "=", "+", "-" or "@" starts a formula,
        # unless the rest is a number ("-5"). A formula such as =TSLA evaluates to an error,
        # which xlwings reads back as None.
        self.writes += 1
        self.formulas.pop((r, c), None)
        if isinstance(v, str):
            if v.startswith("'"):
                v = v[1:]
            elif len(v) > 1 and v[0] in "=+-@":
                try:
                    v = float(v)
                except ValueError:
                    self.formulas[(r, c)] = v
                    v = None
        if v is None or v == "":
            self.grid.pop((r, c), None)
        else:
            self.grid[(r, c)] = v

    @property
    def used_range(self) -> FakeRange:
        keys = [*self.grid, *self.formulas]
        if not keys:
            return FakeRange(self, 1, 1, 1, 1)
        return FakeRange(self, min(r for r, _ in keys), min(c for _, c in keys),
                         max(r for r, _ in keys), max(c for _, c in keys))

    def range(self, cell1: tuple[int, int], cell2: tuple[int, int] | None = None) -> FakeRange:
        r2, c2 = cell2 if cell2 is not None else cell1
        return FakeRange(self, cell1[0], cell1[1], r2, c2)


class FakeSheets:
    def __init__(self, book: FakeBook) -> None:
        self.book = book
        self.items: list[FakeSheet] = []

    def __iter__(self) -> Iterator[FakeSheet]:
        return iter(list(self.items))

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, key: int | str) -> FakeSheet:
        if isinstance(key, int):
            return self.items[key]
        for s in self.items:
            if s.name.lower() == key.lower():  # Excel's sheet names ignore case
                return s
        raise KeyError(key)

    def add(self, name: str | None = None, before: Any = None, after: Any = None) -> FakeSheet:
        if name is not None and any(s.name.lower() == name.lower() for s in self.items):
            raise ValueError(f"Sheet named '{name}' already present in workbook")
        sheet = FakeSheet(self.book, name or f"Sheet{len(self.items) + 1}")
        self.items.append(sheet)
        return sheet


class FakeName:
    def __init__(self, names: FakeNames, name: str, refers_to: str) -> None:
        self._names, self.name, self.refers_to = names, name, refers_to

    @property
    def refers_to_range(self) -> FakeRange:
        m = _re.fullmatch(r"='?(.+?)'?!\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?",
                          self.refers_to)
        if m is None:
            raise ValueError(self.refers_to)
        sheet = self._names.book.sheets[m.group(1)]
        c1, r1 = _col(m.group(2)), int(m.group(3))
        c2 = _col(m.group(4)) if m.group(4) else c1
        r2 = int(m.group(5)) if m.group(5) else r1
        return FakeRange(sheet, r1, c1, r2, c2)

    def delete(self) -> None:
        self._names.items.remove(self)


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


class FakeNames:
    def __init__(self, book: FakeBook) -> None:
        self.book = book
        self.items: list[FakeName] = []

    def __iter__(self) -> Iterator[FakeName]:
        return iter(list(self.items))

    def add(self, name: str, refers_to: str) -> FakeName:
        for n in self.items:  # Excel replaces a workbook name of the same name
            if n.name.lower() == name.lower():
                self.items.remove(n)
        item = FakeName(self, name, refers_to)
        self.items.append(item)
        return item


class FakeBook:
    """An ``xlwings.Book`` double: sheets, names, charts and the app's status bar."""

    def __init__(self, *sheet_names: str) -> None:
        self.app = FakeApp()
        self.sheets = FakeSheets(self)
        self.names = FakeNames(self)
        for name in sheet_names or ("Sheet1",):
            self.sheets.add(name)


# ---------------------------------------------------------------------------------------------
# Strictness: the code under test sees the fakes only through :func:`strict`, which lets through
# what the real xlwings class of the same role has, called with arguments its signature
# accepts, and assigns only to properties that have a setter there. So a call the fakes happen
# to support but xlwings CE lacks (a method name, a keyword, a read-only property) fails here
# as it would in Excel. The fakes' own inspection attributes (``cells``, ``charts_list`` ...)
# stay for the tests, out of reach of the code under test.
# ---------------------------------------------------------------------------------------------

import inspect as _inspect  # noqa: E402


def _real_classes() -> dict[type, type]:
    import xlwings.main as xm

    return {
        FakeApp: xm.App, FakeBook: xm.Book, FakeSheets: xm.Sheets, FakeSheet: xm.Sheet,
        FakeRange: xm.Range, FakeNames: xm.Names, FakeName: xm.Name, FakeCharts: xm.Charts,
        FakeChart: xm.Chart, FakeAxis: xm.ChartAxis, FakeChartSeries: xm.ChartSeries,
        FakeChartSeriesCollection: xm.ChartSeriesCollection,
        FakeDataValidation: xm.DataValidation, FakePageSetup: xm.PageSetup,
    }


class NotInXlwings(AttributeError):
    """The code under test used something the real xlwings class does not have."""


def _unwrap(value: Any) -> Any:
    return object.__getattribute__(value, "_obj") if isinstance(value, Strict) else value


def _wrap(value: Any) -> Any:
    if type(value) in _real_classes():
        return Strict(value)
    return value


class Strict:
    """A view of a fake that admits only the real xlwings class's API (see above)."""

    __slots__ = ("_obj",)

    def __init__(self, obj: Any) -> None:
        object.__setattr__(self, "_obj", obj)

    @property
    def _real(self) -> type:
        return _real_classes()[type(object.__getattribute__(self, "_obj"))]

    def _member(self, name: str) -> Any:
        real = self._real
        if name.startswith("_") or not hasattr(real, name):
            raise NotInXlwings(f"xlwings.{real.__name__} has no attribute {name!r}")
        return _inspect.getattr_static(real, name)

    def __getattr__(self, name: str) -> Any:
        member = self._member(name)
        obj = object.__getattribute__(self, "_obj")
        value = getattr(obj, name)
        if _inspect.isfunction(member):
            signature = _inspect.signature(member)
            real = self._real

            def call(*args: Any, **kwargs: Any) -> Any:
                try:
                    signature.bind(None, *args, **kwargs)
                except TypeError as exc:
                    raise TypeError(f"xlwings.{real.__name__}.{name}{signature}: {exc}") from None
                return _wrap(value(*[_unwrap(a) for a in args],
                                   **{k: _unwrap(v) for k, v in kwargs.items()}))

            return call
        if isinstance(member, staticmethod | classmethod):
            return value
        return _wrap(value)

    def __setattr__(self, name: str, value: Any) -> None:
        member = self._member(name)
        if not (isinstance(member, property) and member.fset is not None):
            raise NotInXlwings(f"xlwings.{self._real.__name__}.{name} cannot be assigned")
        setattr(object.__getattribute__(self, "_obj"), name, _unwrap(value))

    def _dunder(self, name: str) -> Any:
        if not hasattr(self._real, name):
            raise NotInXlwings(f"xlwings.{self._real.__name__} has no {name}")
        return getattr(object.__getattribute__(self, "_obj"), name)

    def __iter__(self) -> Iterator[Any]:
        return (_wrap(v) for v in self._dunder("__iter__")())

    def __len__(self) -> int:
        return int(self._dunder("__len__")())

    def __getitem__(self, key: Any) -> Any:
        return _wrap(self._dunder("__getitem__")(key))

    def __eq__(self, other: object) -> bool:
        return bool(object.__getattribute__(self, "_obj") == _unwrap(other))

    def __hash__(self) -> int:
        return hash(object.__getattribute__(self, "_obj"))

    def __repr__(self) -> str:
        return f"Strict({object.__getattribute__(self, '_obj')!r})"


def strict(book: FakeBook) -> Any:
    """``book`` as the code under test may see it: only xlwings CE's API of Book and below."""
    return Strict(book)


def xlwings_book(engine: str, *sheet_names: str, date1904: bool = False) -> Any:
    """A real ``xlwings.Book`` on xlwings' own Windows or macOS engine over a fake Excel
    (see :mod:`xlwings_engines`); a context manager."""
    from xlwings_engines import xlwings_book as _book

    return _book(engine, *sheet_names, date1904=date1904)

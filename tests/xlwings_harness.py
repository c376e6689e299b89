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


def restore_modules(saved: dict[str, Any]) -> None:
    """Put back ``sys.modules`` entries saved as ``{name: module or None}`` (None: absent)."""
    for k, v in saved.items():
        if v is None:
            sys.modules.pop(k, None)
        else:
            sys.modules[k] = v


def restore_attrs(owner: Any, saved: dict[str, Any]) -> None:
    """Put back attributes of ``owner`` saved as ``{name: value or None}`` (None: absent)."""
    for k, v in saved.items():
        if v is None:
            if hasattr(owner, k):
                delattr(owner, k)
        else:
            setattr(owner, k, v)


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
        restore_modules(saved_modules)
        restore_attrs(xlwings, saved_attrs)
        engines.engines[:] = saved_engines[0]
        engines.engines_by_name.clear()
        engines.engines_by_name.update(saved_engines[1])


def xlwings_book(engine: str, *sheet_names: str, date1904: bool = False) -> Any:
    """A real ``xlwings.Book`` on xlwings' own Windows or macOS engine over a fake Excel
    (see :mod:`xlwings_engines`); a context manager."""
    from xlwings_engines import xlwings_book as _book

    return _book(engine, *sheet_names, date1904=date1904)

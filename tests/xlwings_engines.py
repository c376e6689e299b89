"""xlwings 0.37.8's own Excel engines (``_xlwindows``, ``_xlmac``) over a fake Excel.

:func:`xlwings_book` yields a real ``xlwings.Book`` whose ``impl`` is the installed
``xlwings/_xlwindows.py`` (Windows) or ``xlwings/_xlmac.py`` (macOS), imported whole, over
fake pywin32 COM objects or fake ``appscript``/``aem`` references. Both fakes drive one model
of an Excel workbook (:class:`XlBook`): cells hold what Excel shows, formulas beside them,
defined names compared without case, charts placed in points, the workbook's ``Date1904``.

What each transport delivers is what Excel delivers to xlwings there:

* Windows (pywin32): ``Range.Value`` is a scalar for one cell and a tuple of tuples otherwise;
  an empty cell is ``None``, a formula showing ``""`` is ``""``; a date is a
  ``pywintypes.TimeType`` carrying UTC; an error cell is its integer code (``#N/A`` is
  -2146826246). ``Range.Formula`` is the formula, or the constant as text.
* macOS (AppleScript): ``value`` is a scalar for one cell and a list of lists otherwise; empty
  cells are ``""``; an error cell's value carries no error (``missing value``), only its
  ``string value`` shows ``#N/A``. References are lazy: every command resolves its path again,
  by name, from the application.

The model is only as wide as what the add-in asks of Excel; formatting that has no effect on
what the add-in reads back (a chart's colours, an axis's scale) is recorded, not modelled.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import importlib
import re
import struct
import sys
import types
from collections.abc import Iterator
from typing import Any

import xlwings_harness as _h

SHEET_ROWS, SHEET_COLS = 1_048_576, 16_384


class XlErr(str):
    """An error cell's shown value ("#N/A", "#DIV/0!", ...)."""


def col_letters(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


Bounds = tuple[int, int, int, int]  # r1, c1, r2, c2 (1-based, inclusive)


def parse_address(address: str) -> Bounds:
    parts = address.replace("$", "").upper().split(":")
    ends = []
    for part in parts:
        m = re.fullmatch(r"([A-Z]*)(\d*)", part)
        if m is None or not (m.group(1) or m.group(2)):
            raise ValueError(address)
        ends.append((int(m.group(2)) if m.group(2) else None,
                     col_number(m.group(1)) if m.group(1) else None))
    (r1, c1), (r2, c2) = ends[0], ends[-1]
    return (r1 or 1, c1 or 1, r2 or SHEET_ROWS, c2 or SHEET_COLS)


def address_of(b: Bounds, absolute: bool = True) -> str:
    d = "$" if absolute else ""
    first = f"{d}{col_letters(b[1])}{d}{b[0]}"
    if b[:2] == b[2:]:
        return first
    return f"{first}:{d}{col_letters(b[3])}{d}{b[2]}"


# ----------------------------------------------------------------------------------------
# The model: what Excel holds.
# ----------------------------------------------------------------------------------------


class XlSeries:
    def __init__(self, name: Any, values: tuple[XlSheet, Bounds] | None) -> None:
        self.name, self.values = name, values
        self.xvalues: Any = None
        self.props: dict[str, Any] = {}


class XlChart:
    def __init__(self, sheet: XlSheet, name: str, left: float, top: float, width: float,
                 height: float) -> None:
        self.sheet, self.name = sheet, name
        self.left, self.top, self.width, self.height = left, top, width, height
        self.chart_type: Any = None
        self.title: str | None = None
        self.source: tuple[XlSheet, Bounds] | None = None
        self.series: list[XlSeries] = []
        self.props: dict[Any, Any] = {}

    def set_source(self, sheet: XlSheet, b: Bounds) -> None:
        """Series from columns: a text first row names them (Excel's reading of a header)."""
        self.source = (sheet, b)
        r1, c1, r2, c2 = b
        named = all(isinstance(sheet.cells.get((r1, c)), str) for c in range(c1, c2 + 1))
        first = r1 + 1 if named else r1
        self.series = [XlSeries(sheet.cells[(r1, c)] if named else f"Series{k + 1}",
                                (sheet, (first, c, r2, c)))
                       for k, c in enumerate(range(c1, c2 + 1))]


class XlSheet:
    def __init__(self, book: XlBook, name: str) -> None:
        self.book, self.name = book, name
        self.cells: dict[tuple[int, int], Any] = {}  # what the cell shows
        self.formulas: dict[tuple[int, int], str] = {}
        self.formats: dict[tuple[int, int], str] = {}
        self.col_widths: dict[int, float] = {}
        self.row_heights: dict[int, float] = {}
        self.wrapped: set[tuple[int, int]] = set()
        #: Font size and boldness set on cells (Excel's default, 11 pt regular, otherwise).
        self.font_sizes: dict[tuple[int, int], float] = {}
        self.bold: set[tuple[int, int]] = set()
        self.validations: dict[tuple[int, int], Any] = {}
        self.charts: list[XlChart] = []
        self.print_area: str = ""
        self.visible = True
        self.props: dict[Any, Any] = {}

    # -- cells --
    def type_in(self, r: int, c: int, v: Any) -> None:
        """A value assigned through COM/AppleScript: as if typed (see the module notes)."""
        self.formulas.pop((r, c), None)
        if isinstance(v, str):
            if v.startswith("'"):
                v = v[1:]
            elif len(v) > 1 and v[0] in "=+-@":
                try:
                    v = float(v)
                except ValueError:
                    # Excel keeps a typed sign ("-x" is "=-x") and drops a typed "@".
                    self.formulas[(r, c)] = (v if v[0] == "=" else "=" + v[1:] if v[0] == "@"
                                             else "=" + v)
                    v = '' if v == '=""' else XlErr("#NAME?")
            elif v == "":
                v = None
        elif isinstance(v, int) and not isinstance(v, bool):
            v = float(v)
        elif isinstance(v, dt.datetime):
            v = v.replace(tzinfo=None)
        if v is None:
            self.cells.pop((r, c), None)
        else:
            self.cells[(r, c)] = v

    def put_formula(self, r: int, c: int, formula: str, shows: Any) -> None:
        """An analyst's formula and what Excel shows for it ("" included)."""
        self.formulas[(r, c)] = formula
        self.cells[(r, c)] = shows

    def clear(self, b: Bounds) -> None:
        r1, c1, r2, c2 = b
        for key in [k for k in (*self.cells, *self.formulas)
                    if r1 <= k[0] <= r2 and c1 <= k[1] <= c2]:
            self.cells.pop(key, None)
            self.formulas.pop(key, None)

    def formula_text(self, r: int, c: int) -> str:
        if (r, c) in self.formulas:
            return self.formulas[(r, c)]
        v = self.cells.get((r, c))
        if v is None:
            return ""
        if isinstance(v, dt.datetime):
            return f"{v.month}/{v.day}/{v.year}"
        if isinstance(v, float):
            return f"{v:.15g}"
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        return str(v)

    def shown_text(self, r: int, c: int) -> str:
        v = self.cells.get((r, c))
        if v is None:
            return ""
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, float):
            return f"{v:.10g}"
        if isinstance(v, dt.datetime):
            return f"{v.month}/{v.day}/{v.year}"
        return str(v)

    def column_points(self, col: int) -> float:
        chars = self.col_widths.get(col, 8.43)
        px = int(chars * 7 + 0.5) + 5 if chars >= 1 else int(chars * 12 + 0.5)
        return px * 0.75

    def left_of(self, col: int) -> float:
        return sum(self.column_points(c) for c in range(1, col))

    def top_of(self, row: int) -> float:
        return sum(self.row_heights.get(r, 15.0) for r in range(1, row))

    def snapshot(self) -> tuple[Any, ...]:
        """Everything the analyst could see on the sheet, for "nothing changed" checks."""
        return (self.name, dict(self.cells), dict(self.formulas), dict(self.formats),
                dict(self.col_widths), dict(self.row_heights), set(self.wrapped),
                dict(self.font_sizes), set(self.bold),
                [(c.name, c.left, c.top, c.width, c.height) for c in self.charts],
                self.print_area)


class XlName:
    def __init__(self, name: str, refers_to: str) -> None:
        self.name, self.refers_to = name, refers_to
        self.visible = True


class XlBook:
    def __init__(self, app: XlApp, name: str, sheet_names: tuple[str, ...],
                 date1904: bool) -> None:
        self.app, self.name, self.date1904 = app, name, date1904
        self.sheets = [XlSheet(self, n) for n in sheet_names]
        self.names: list[XlName] = []
        self.active_sheet = self.sheets[0]

    def sheet(self, key: Any) -> XlSheet:
        if isinstance(key, int) and not isinstance(key, bool):
            if not 1 <= key <= len(self.sheets):
                raise KeyError(key)
            return self.sheets[key - 1]
        for s in self.sheets:
            if s.name.lower() == str(key).lower():
                return s
        raise KeyError(key)

    def add_sheet(self, index: int, name: str | None = None) -> XlSheet:
        taken = {s.name.lower() for s in self.sheets}
        if name is None:
            n = len(self.sheets) + 1
            while f"sheet{n}" in taken:
                n += 1
            name = f"Sheet{n}"
        elif name.lower() in taken:
            raise ValueError(f"That name is already taken: {name}")
        sheet = XlSheet(self, name)
        self.sheets.insert(index, sheet)
        return sheet

    def delete_sheet(self, sheet: XlSheet) -> None:
        """As Excel deletes a sheet: the next one (or the one before the last) becomes the
        active sheet when it was; names on it now refer to ``#REF!``."""
        i = self.sheets.index(sheet)
        self.sheets.remove(sheet)
        if self.active_sheet is sheet and self.sheets:
            self.active_sheet = self.sheets[min(i, len(self.sheets) - 1)]
        for item in self.names:
            try:
                on, _ = self.name_range(item)
            except (LookupError, KeyError):
                continue
            if on is sheet:
                item.refers_to = "=#REF!" + item.refers_to.rsplit("!", 1)[1]

    def rename_sheet(self, sheet: XlSheet, name: str) -> None:
        if any(s is not sheet and s.name.lower() == name.lower() for s in self.sheets):
            raise ValueError(f"That name is already taken: {name}")
        sheet.name = name

    def find_name(self, name: str) -> XlName | None:
        for n in self.names:
            if n.name.lower() == name.lower():  # Excel's names ignore case
                return n
        return None

    def add_name(self, name: str, refers_to: str) -> XlName:
        item = self.find_name(name)
        if item is None:
            item = XlName(name, refers_to)
            self.names.append(item)
        else:  # Excel re-points the existing name (keeping its spelling)
            item.refers_to = refers_to
        return item

    def name_range(self, item: XlName) -> tuple[XlSheet, Bounds]:
        m = re.fullmatch(r"='?(.+?)'?!(\$?[A-Z]+\$?\d+(?::\$?[A-Z]+\$?\d+)?)", item.refers_to)
        if m is None:
            raise LookupError(item.refers_to)
        return self.sheet(m.group(1).replace("''", "'")), parse_address(m.group(2))

    def snapshot(self) -> tuple[Any, ...]:
        return (tuple(s.snapshot() for s in self.sheets),
                tuple((n.name, n.refers_to, n.visible) for n in self.names))


class XlApp:
    def __init__(self) -> None:
        self.books: list[XlBook] = []
        self.status_bar: Any = False
        self.status_history: list[Any] = []
        self.alerts: list[str] = []
        self.screen_updating = True
        self.display_alerts = True
        #: What this Excel refuses, as an older or a locked-down Excel does: "series chart
        #: type" (a series drawn in another type than its chart's), "validation" (a
        #: drop-down list). Each raises that platform's error, as Excel does.
        self.refuses: set[str] = set()

    def set_status(self, value: Any) -> None:
        self.status_bar = value
        self.status_history.append(value)


# ----------------------------------------------------------------------------------------
# Windows: pywin32 COM objects over the model.
# ----------------------------------------------------------------------------------------

class ComError(Exception):
    """``pywintypes.com_error``: (hresult, text, excepinfo, arg)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.hresult = args[0] if args else None


def _com_error(text: str) -> ComError:
    return ComError(-2147352567, "Exception occurred.", (0, "Microsoft Excel", text, None, 0,
                                                         -2146827284), None)


class _Bag:
    """A COM object of formatting that the add-in sets and never reads back: records."""

    def __init__(self, props: dict[Any, Any] | None = None) -> None:
        object.__setattr__(self, "_props", {} if props is None else props)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        props = object.__getattribute__(self, "_props")
        if name not in props:
            props[name] = _Bag()
        return props[name]

    def __setattr__(self, name: str, value: Any) -> None:
        object.__getattribute__(self, "_props")[name] = value

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _Bag()


class _Deep:
    """Windows DLLs (``ctypes.oledll.ole32...``) that xlwings touches at import: inert."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Deep()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _Deep()


class ComRange:
    def __init__(self, sheet: ComSheet, b: Bounds) -> None:
        self._s, self.bounds = sheet, b

    @property
    def _m(self) -> XlSheet:
        return self._s._m

    @property
    def Worksheet(self) -> ComSheet:  # noqa: N802
        return self._s

    def __call__(self, row: int, col: int = 1) -> ComRange:
        """``Range(row, col)``: the cell relative to the range's first cell (Item)."""
        r, c = self.bounds[0] + row - 1, self.bounds[1] + col - 1
        return ComRange(self._s, (r, c, r, c))

    Item = __call__

    Parent = Worksheet

    @property
    def Row(self) -> int:  # noqa: N802
        return self.bounds[0]

    @property
    def Column(self) -> int:  # noqa: N802
        return self.bounds[1]

    @property
    def Rows(self) -> Any:  # noqa: N802
        return types.SimpleNamespace(Count=self.bounds[2] - self.bounds[0] + 1)

    @property
    def Columns(self) -> Any:  # noqa: N802
        return types.SimpleNamespace(Count=self.bounds[3] - self.bounds[1] + 1)

    @property
    def Count(self) -> int:  # noqa: N802
        return self.Rows.Count * self.Columns.Count

    def _grid(self, one: Any) -> Any:
        r1, c1, r2, c2 = self.bounds
        rows = tuple(tuple(one(r, c) for c in range(c1, c2 + 1)) for r in range(r1, r2 + 1))
        return rows[0][0] if self.Count == 1 else rows

    def _com_value(self, r: int, c: int) -> Any:
        v = self._m.cells.get((r, c))
        if isinstance(v, XlErr):
            return _h.ERROR_CODES[str(v)]
        if isinstance(v, dt.datetime):
            return _h.TimeType(v.year, v.month, v.day, v.hour, v.minute, v.second,
                               tzinfo=dt.UTC)
        return v

    @property
    def Value(self) -> Any:  # noqa: N802
        return self._grid(self._com_value)

    @Value.setter
    def Value(self, data: Any) -> None:  # noqa: N802
        self._assign(data)

    def _assign(self, data: Any) -> None:
        r1, c1, r2, c2 = self.bounds
        if isinstance(data, (list, tuple)):
            rows = data if data and isinstance(data[0], (list, tuple)) else [data]
            for i in range(r2 - r1 + 1):
                for j in range(c2 - c1 + 1):
                    # Excel fills a larger range with #N/A beyond the data
                    ok = i < len(rows) and j < len(rows[i])
                    self._m.type_in(r1 + i, c1 + j, rows[i][j] if ok else "=NA()")
        else:
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    self._m.type_in(r, c, data)

    @property
    def Formula(self) -> Any:  # noqa: N802
        return self._grid(self._m.formula_text)

    @Formula.setter
    def Formula(self, data: Any) -> None:  # noqa: N802
        self._assign(data)

    def ClearContents(self) -> None:  # noqa: N802
        self._m.clear(self.bounds)

    def _each(self) -> Iterator[tuple[int, int]]:
        r1, c1, r2, c2 = self.bounds
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                yield r, c

    @property
    def NumberFormat(self) -> Any:  # noqa: N802
        return self._m.formats.get(self.bounds[:2], "General")

    @NumberFormat.setter
    def NumberFormat(self, value: str) -> None:  # noqa: N802
        for cell in self._each():
            self._m.formats[cell] = value

    @property
    def ColumnWidth(self) -> float:  # noqa: N802
        return self._m.col_widths.get(self.bounds[1], 8.43)

    @ColumnWidth.setter
    def ColumnWidth(self, value: float) -> None:  # noqa: N802
        for c in range(self.bounds[1], self.bounds[3] + 1):
            self._m.col_widths[c] = float(value)

    @property
    def RowHeight(self) -> float:  # noqa: N802
        return self._m.row_heights.get(self.bounds[0], 15.0)

    @RowHeight.setter
    def RowHeight(self, value: float) -> None:  # noqa: N802
        for r in range(self.bounds[0], self.bounds[2] + 1):
            self._m.row_heights[r] = float(value)

    @property
    def Font(self) -> Any:  # noqa: N802
        """Range.Font: Size and Bold of every cell of the range (read: its first cell's)."""
        m, each, first = self._m, list(self._each()), self.bounds[:2]

        class _Font:
            @property
            def Size(self) -> float:  # noqa: N802
                return m.font_sizes.get(first, 11.0)

            @Size.setter
            def Size(self, value: float) -> None:  # noqa: N802
                for cell in each:
                    m.font_sizes[cell] = float(value)

            @property
            def Bold(self) -> bool:  # noqa: N802
                return first in m.bold

            @Bold.setter
            def Bold(self, value: bool) -> None:  # noqa: N802
                for cell in each:
                    (m.bold.add if value else m.bold.discard)(cell)

        return _Font()

    @property
    def WrapText(self) -> bool:  # noqa: N802
        return self.bounds[:2] in self._m.wrapped

    @WrapText.setter
    def WrapText(self, value: bool) -> None:  # noqa: N802
        for cell in self._each():
            (self._m.wrapped.add if value else self._m.wrapped.discard)(cell)

    @property
    def Left(self) -> float:  # noqa: N802
        return self._m.left_of(self.bounds[1])

    @property
    def Top(self) -> float:  # noqa: N802
        return self._m.top_of(self.bounds[0])

    @property
    def Address(self) -> str:  # noqa: N802
        return address_of(self.bounds)

    def GetAddress(self, row_abs: bool = True, col_abs: bool = True, style: int = 1,  # noqa: N802
                   external: bool = False) -> str:
        a = address_of(self.bounds)
        return f"[{self._m.book.name}]{self._m.name}!{a}" if external else a

    @property
    def Validation(self) -> Any:  # noqa: N802
        """Excel's ``Validation`` of the range: ``Type`` raises for cells without one (or with
        different rules), as Excel does."""
        rng = self

        class _Validation:
            @property
            def Type(self) -> int:  # noqa: N802
                rules = {rng._m.validations.get(cell) for cell in rng._each()}
                if None in rules or len(rules) != 1:
                    raise _com_error("Application-defined or object-defined error")
                return 3  # xlValidateList: the only kind the add-in makes

            @property
            def Formula1(self) -> Any:  # noqa: N802
                return rng._m.validations.get(rng.bounds[:2])

            def Delete(self) -> None:  # noqa: N802
                for cell in rng._each():
                    rng._m.validations.pop(cell, None)

            def Add(self, Type: Any = None, AlertStyle: Any = None,  # noqa: N802, N803
                    Operator: Any = None, Formula1: Any = None,  # noqa: N803
                    Formula2: Any = None) -> None:  # noqa: N803
                if "validation" in rng._m.book.app.refuses:
                    raise _com_error("Application-defined or object-defined error")
                for cell in rng._each():
                    rng._m.validations[cell] = Formula1

            Modify = Add

            def __setattr__(self, name: str, value: Any) -> None:
                pass  # InCellDropdown, alerts: the look of the list, not modelled

        return _Validation()

    def SpecialCells(self, kind: Any, value: Any = None) -> ComRange:  # noqa: N802
        """Only ``xlCellTypeAllValidation`` (the add-in's one use): the validated cells'
        bounding block, or Excel's "No cells were found" error."""
        cells = list(self._m.validations)
        if not cells:
            raise _com_error("No cells were found.")
        rows, cols = [r for r, _ in cells], [c for _, c in cells]
        return ComRange(self._s, (min(rows), min(cols), max(rows), max(cols)))

    @property
    def Application(self) -> Any:  # noqa: N802
        sheet = self._s

        class _App:
            def Intersect(self, a: ComRange, b: ComRange) -> Any:  # noqa: N802
                r1, c1 = max(a.bounds[0], b.bounds[0]), max(a.bounds[1], b.bounds[1])
                r2, c2 = min(a.bounds[2], b.bounds[2]), min(a.bounds[3], b.bounds[3])
                return ComRange(sheet, (r1, c1, r2, c2)) if r1 <= r2 and c1 <= c2 else None

            #: Application.International, indexed by pywin32: xlListSeparator (5) is "," in
            #: an English-locale Excel.
            International = {5: ","}  # noqa: N815

        return _App()

    @property
    def Cells(self) -> Any:  # noqa: N802
        return types.SimpleNamespace(Count=self.Count, CountLarge=self.Count)


class ComChart:
    def __init__(self, obj: ComChartObject) -> None:
        self._o = obj

    @property
    def _m(self) -> XlChart:
        return self._o._m

    def SetSourceData(self, source: ComRange, plot_by: Any = None) -> None:  # noqa: N802
        self._m.set_source(source._m, source.bounds)

    @property
    def ChartType(self) -> Any:  # noqa: N802
        return self._m.chart_type

    @ChartType.setter
    def ChartType(self, value: Any) -> None:  # noqa: N802
        self._m.chart_type = value
        for s in self._m.series:
            s.props["ChartType"] = value

    def SeriesCollection(self, index: Any = None) -> Any:  # noqa: N802
        chart = self._m
        sheet = self._o._s

        class _Series(_Bag):
            def __init__(self, s: XlSeries) -> None:
                super().__init__(s.props)
                object.__setattr__(self, "_series", s)

            def __setattr__(self, name: str, value: Any) -> None:
                s = object.__getattribute__(self, "_series")
                if name == "ChartType" and "series chart type" in chart.sheet.book.app.refuses:
                    raise _com_error("Unable to set the ChartType property of the Series class")
                if name == "Name":
                    s.name = value
                elif name == "XValues":
                    s.xvalues = (value._m, value.bounds) if isinstance(value, ComRange) \
                        else value
                elif name == "Values":
                    s.values = (value._m, value.bounds)
                else:
                    s.props[name] = value

            @property
            def Name(self) -> Any:  # noqa: N802
                return object.__getattribute__(self, "_series").name

        class _Collection:
            @property
            def Count(self) -> int:  # noqa: N802
                return len(chart.series)

            def __call__(self, i: int) -> Any:
                return _Series(chart.series[i - 1])

            Item = __call__

            def __iter__(self) -> Iterator[Any]:
                return (_Series(s) for s in list(chart.series))

            def NewSeries(self) -> Any:  # noqa: N802
                s = XlSeries(f"Series{len(chart.series) + 1}", None)
                chart.series.append(s)
                return _Series(s)

        del sheet
        coll = _Collection()
        return coll if index is None else coll(index)

    @property
    def HasTitle(self) -> bool:  # noqa: N802
        return self._m.title is not None

    @HasTitle.setter
    def HasTitle(self, value: bool) -> None:  # noqa: N802
        if not value:
            self._m.title = None
        elif self._m.title is None:
            self._m.title = ""

    @property
    def ChartTitle(self) -> Any:  # noqa: N802
        chart = self._m

        class _Title:
            @property
            def Text(self) -> Any:  # noqa: N802
                return chart.title

            @Text.setter
            def Text(self, value: str) -> None:  # noqa: N802
                chart.title = value

        return _Title()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        props = self._m.props
        if name not in props:
            props[name] = _Bag()
        return props[name]

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or isinstance(getattr(type(self), name, None), property):
            object.__setattr__(self, name, value)
        else:
            self._m.props[name] = value

    @property
    def _oleobj_(self) -> Any:
        """The raw dispatch xlwings uses for the indexed ``HasAxis`` property."""
        props = self._m.props

        class _Ole:
            def GetIDsOfNames(self, lcid: int, name: str) -> str:  # noqa: N802
                return name

            def Invoke(self, dispid: str, lcid: int, flags: int, retval: int,  # noqa: N802
                       *args: Any) -> Any:
                if flags == 4:  # DISPATCH_PROPERTYPUT
                    props[(dispid, *args[:-1])] = args[-1]
                    return None
                return props.get((dispid, *args), True)

        return _Ole()

    def Axes(self, axis_type: Any, group: Any = 1) -> Any:  # noqa: N802
        key = ("axis", axis_type, group)
        if key not in self._m.props:
            self._m.props[key] = _Bag()
        return self._m.props[key]


class ComChartObject:
    def __init__(self, sheet: ComSheet, chart: XlChart) -> None:
        self._s, self._m = sheet, chart

    @property
    def Name(self) -> str:  # noqa: N802
        return self._m.name

    @Name.setter
    def Name(self, value: str) -> None:  # noqa: N802
        self._m.name = value

    @property
    def Chart(self) -> ComChart:  # noqa: N802
        return ComChart(self)

    @property
    def Parent(self) -> ComSheet:  # noqa: N802
        return self._s

    def Delete(self) -> None:  # noqa: N802
        self._s._m.charts.remove(self._m)

    def __getattr__(self, name: str) -> Any:
        if name in ("Left", "Top", "Width", "Height"):
            return getattr(self._m, name.lower())
        raise AttributeError(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("Left", "Top", "Width", "Height"):
            setattr(self._m, name.lower(), float(value))
        else:
            object.__setattr__(self, name, value)


class ComChartObjects:
    def __init__(self, sheet: ComSheet) -> None:
        self._s = sheet

    @property
    def Count(self) -> int:  # noqa: N802
        return len(self._s._m.charts)

    def __iter__(self) -> Iterator[ComChartObject]:
        return (ComChartObject(self._s, c) for c in list(self._s._m.charts))

    def Item(self, key: Any) -> ComChartObject:  # noqa: N802
        charts = self._s._m.charts
        if isinstance(key, int):
            if not 1 <= key <= len(charts):
                raise _com_error("The index into the specified collection is out of bounds.")
            return ComChartObject(self._s, charts[key - 1])
        for c in charts:
            if c.name.lower() == str(key).lower():
                return ComChartObject(self._s, c)
        raise _com_error("Unable to get the Item property")

    __call__ = Item

    @property
    def Parent(self) -> ComSheet:  # noqa: N802
        return self._s

    def Add(self, left: float, top: float, width: float, height: float) -> ComChartObject:  # noqa: N802
        sheet = self._s._m
        n = len(sheet.charts) + 1
        taken = {c.name.lower() for c in sheet.charts}
        while f"chart {n}" in taken:
            n += 1
        chart = XlChart(sheet, f"Chart {n}", float(left), float(top), float(width),
                        float(height))
        sheet.charts.append(chart)
        return ComChartObject(self._s, chart)


class ComSheet:
    def __init__(self, book: ComBook, sheet: XlSheet) -> None:
        self._b, self._m = book, sheet

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ComSheet) and other._m is self._m

    def __hash__(self) -> int:
        return id(self._m)

    @property
    def Name(self) -> str:  # noqa: N802
        return self._m.name

    @Name.setter
    def Name(self, value: str) -> None:  # noqa: N802
        try:
            self._m.book.rename_sheet(self._m, value)
        except ValueError as exc:
            raise _com_error(str(exc)) from None

    @property
    def Parent(self) -> ComBook:  # noqa: N802
        return self._b

    @property
    def Visible(self) -> int:  # noqa: N802
        return -1 if self._m.visible else 0  # xlSheetVisible, xlSheetHidden

    @Visible.setter
    def Visible(self, value: Any) -> None:  # noqa: N802
        self._m.visible = value in (True, -1)

    @property
    def Index(self) -> int:  # noqa: N802
        return self._m.book.sheets.index(self._m) + 1

    def Cells(self, row: int, col: int) -> ComRange:  # noqa: N802
        return ComRange(self, (row, col, row, col))

    def Range(self, cell1: Any, cell2: Any = None) -> ComRange:  # noqa: N802
        if isinstance(cell1, str):
            b = parse_address(cell1)
            if cell2 is None:
                return ComRange(self, b)
            cell1 = ComRange(self, b)
        if isinstance(cell2, str):
            cell2 = ComRange(self, parse_address(cell2))
        b1 = cell1.bounds
        b2 = cell2.bounds if cell2 is not None else b1
        return ComRange(self, (min(b1[0], b2[0]), min(b1[1], b2[1]),
                               max(b1[2], b2[2]), max(b1[3], b2[3])))

    @property
    def UsedRange(self) -> ComRange:  # noqa: N802
        keys = [*self._m.cells, *self._m.formulas]
        if not keys:
            return self.Cells(1, 1)
        rows, cols = [r for r, _ in keys], [c for _, c in keys]
        return ComRange(self, (min(rows), min(cols), max(rows), max(cols)))

    def ChartObjects(self) -> ComChartObjects:  # noqa: N802
        return ComChartObjects(self)

    @property
    def PageSetup(self) -> Any:  # noqa: N802
        sheet = self._m

        class _PageSetup(_Bag):
            @property
            def PrintArea(self) -> str:  # noqa: N802
                return sheet.print_area

            def __setattr__(self, name: str, value: Any) -> None:
                if name == "PrintArea":
                    sheet.print_area = value
                else:
                    sheet.props[("PageSetup", name)] = value

        return _PageSetup()

    def Activate(self) -> None:  # noqa: N802
        self._m.book.active_sheet = self._m

    def Delete(self) -> None:  # noqa: N802
        self._m.book.delete_sheet(self._m)

    def Move(self, Before: Any = None, After: Any = None) -> None:  # noqa: N802, N803
        sheets = self._m.book.sheets
        sheets.remove(self._m)
        if Before is not None:
            sheets.insert(sheets.index(Before._m), self._m)
        else:
            sheets.insert(sheets.index(After._m) + 1, self._m)


class ComSheets:
    def __init__(self, book: ComBook) -> None:
        self._b = book

    @property
    def Count(self) -> int:  # noqa: N802
        return len(self._b._m.sheets)

    def __call__(self, key: Any) -> ComSheet:
        try:
            return ComSheet(self._b, self._b._m.sheet(key))
        except KeyError:
            raise _com_error("Subscript out of range") from None

    Item = __call__

    def __iter__(self) -> Iterator[ComSheet]:
        return (ComSheet(self._b, s) for s in list(self._b._m.sheets))

    @property
    def Parent(self) -> ComBook:  # noqa: N802
        return self._b

    def Add(self, Before: Any = None, After: Any = None) -> ComSheet:  # noqa: N802, N803
        sheets = self._b._m.sheets
        if Before is not None:
            index = sheets.index(Before._m)
        elif After is not None:
            index = sheets.index(After._m) + 1
        else:
            index = sheets.index(self._b._m.active_sheet)
        sheet = self._b._m.add_sheet(index)
        self._b._m.active_sheet = sheet
        return ComSheet(self._b, sheet)


class ComName:
    def __init__(self, book: ComBook, item: XlName) -> None:
        self._b, self._m = book, item

    @property
    def Name(self) -> str:  # noqa: N802
        return self._m.name

    @property
    def RefersTo(self) -> str:  # noqa: N802
        return self._m.refers_to

    @RefersTo.setter
    def RefersTo(self, value: str) -> None:  # noqa: N802
        self._m.refers_to = value

    @property
    def Visible(self) -> bool:  # noqa: N802
        return self._m.visible

    @Visible.setter
    def Visible(self, value: bool) -> None:  # noqa: N802
        self._m.visible = bool(value)

    @property
    def RefersToRange(self) -> ComRange:  # noqa: N802
        try:
            sheet, b = self._b._m.name_range(self._m)
        except (LookupError, KeyError):
            raise _com_error("Application-defined or object-defined error") from None
        return ComRange(ComSheet(self._b, sheet), b)

    def Delete(self) -> None:  # noqa: N802
        self._b._m.names.remove(self._m)


class ComNames:
    def __init__(self, book: ComBook) -> None:
        self._b = book

    @property
    def Count(self) -> int:  # noqa: N802
        return len(self._b._m.names)

    def __call__(self, key: Any) -> ComName:
        names = self._b._m.names
        if isinstance(key, int):
            if not 1 <= key <= len(names):
                raise _com_error("Invalid index")
            return ComName(self._b, names[key - 1])
        item = self._b._m.find_name(key)
        if item is None:
            raise _com_error("Invalid name")
        return ComName(self._b, item)

    Item = __call__

    def __iter__(self) -> Iterator[ComName]:
        return (ComName(self._b, n) for n in list(self._b._m.names))

    def Add(self, name: str, refers_to: str) -> ComName:  # noqa: N802
        return ComName(self._b, self._b._m.add_name(name, refers_to))


class ComApplication:
    def __init__(self, app: XlApp) -> None:
        self._m = app
        self.Hwnd = 4242
        self.Name = "Microsoft Excel"

    @property
    def StatusBar(self) -> Any:  # noqa: N802
        return self._m.status_bar

    @StatusBar.setter
    def StatusBar(self, value: Any) -> None:  # noqa: N802
        self._m.set_status(value)

    @property
    def ScreenUpdating(self) -> bool:  # noqa: N802
        return self._m.screen_updating

    @ScreenUpdating.setter
    def ScreenUpdating(self, value: bool) -> None:  # noqa: N802
        self._m.screen_updating = value

    @property
    def DisplayAlerts(self) -> bool:  # noqa: N802
        return self._m.display_alerts

    @DisplayAlerts.setter
    def DisplayAlerts(self, value: bool) -> None:  # noqa: N802
        self._m.display_alerts = value


class ComBook:
    def __init__(self, book: XlBook) -> None:
        self._m = book

    @property
    def Name(self) -> str:  # noqa: N802
        return self._m.name

    @property
    def Application(self) -> ComApplication:  # noqa: N802
        return ComApplication(self._m.app)

    @property
    def Worksheets(self) -> ComSheets:  # noqa: N802
        return ComSheets(self)

    Sheets = Worksheets

    @property
    def Names(self) -> ComNames:  # noqa: N802
        return ComNames(self)

    @property
    def ActiveSheet(self) -> ComSheet:  # noqa: N802
        return ComSheet(self, self._m.active_sheet)

    @property
    def Date1904(self) -> bool:  # noqa: N802
        return self._m.date1904


def _windows_modules(app: XlApp) -> dict[str, types.ModuleType]:
    mods = _h._fake_pywin32()
    mods["pywintypes"].com_error = ComError  # type: ignore[attr-defined]
    mods["pythoncom"].DISPATCH_PROPERTYGET = 2  # type: ignore[attr-defined]
    mods["pythoncom"].DISPATCH_PROPERTYPUT = 4  # type: ignore[attr-defined]
    for name in ("win32api", "win32con", "win32gui", "win32process"):
        mods[name] = _h._Permissive(name)

    def message_box(hwnd: Any, text: str, title: str, style: int) -> int:
        app.alerts.append(text)
        return 1

    mods["win32api"].MessageBox = message_box  # type: ignore[attr-defined]
    mods["win32process"].GetWindowThreadProcessId = lambda hwnd: (1, 4242)  # type: ignore[attr-defined]
    for const, value in (("MB_OK", 0), ("MB_OKCANCEL", 1), ("MB_YESNO", 4),
                         ("MB_YESNOCANCEL", 3), ("MB_ICONINFORMATION", 64),
                         ("MB_ICONWARNING", 48)):
        setattr(mods["win32con"], const, value)
    client = mods["win32com.client"]
    for cls in ("CDispatch", "CoClassBaseClass", "DispatchBaseClass"):
        setattr(client, cls, type(cls, (), {}))
    client.DispatchEx = lambda *a, **k: None  # type: ignore[attr-defined]
    return mods


# ----------------------------------------------------------------------------------------
# macOS: appscript references over the model.
# ----------------------------------------------------------------------------------------


class Keyword:
    """``appscript.k.<name>``: compares by name."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.AS_name = name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Keyword) and other.name == self.name

    def __hash__(self) -> int:
        return hash(("kw", self.name))

    def __repr__(self) -> str:
        return f"k.{self.name}"


class _K:
    def __getattr__(self, name: str) -> Keyword:
        if name.startswith("__"):
            raise AttributeError(name)
        return Keyword(name)


kw = _K()
MISSING_VALUE = Keyword("missing_value")


class CommandError(Exception):
    def __init__(self, message: str, number: int = -1728) -> None:
        super().__init__(message)
        self.errornumber = number


def _nest(items: list[list[Any]]) -> Any:
    if len(items) == 1 and len(items[0]) == 1:
        return items[0][0]
    return items


class Ref:
    """A lazy appscript reference: a path of steps from the application, resolved anew by
    every command (so a renamed sheet or chart must be addressed by its new name)."""

    def __init__(self, root: MacRoot, steps: tuple[tuple[str, Any], ...] = ()) -> None:
        object.__setattr__(self, "_root", root)
        object.__setattr__(self, "_steps", steps)

    def __getattr__(self, name: str) -> Ref:
        if name.startswith("__"):
            raise AttributeError(name)
        return Ref(self._root, (*self._steps, ("attr", name)))

    def __getitem__(self, key: Any) -> Ref:
        return Ref(self._root, (*self._steps, ("item", key)))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        *path, last = self._steps
        node = self._root.resolve(tuple(path))
        return node.command(last[1], *args, **kwargs)

    def _node(self) -> Any:
        return self._root.resolve(self._steps)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ref) and self._node() is other._node()

    def __hash__(self) -> int:
        return id(self._node())

    def __int__(self) -> int:
        return 1

    def __repr__(self) -> str:
        return "app" + "".join(f".{k}" if t == "attr" else f"[{k!r}]" for t, k in self._steps)


class MacNode:
    """A resolved object; properties and commands by appscript name."""

    def child(self, step: tuple[str, Any]) -> Any:
        kind, key = step
        if kind == "attr":
            return Prop(self, key)
        raise CommandError(f"{type(self).__name__} has no elements", -1728)

    def prop_get(self, name: str) -> Any:
        raise CommandError(f"no property {name} of {type(self).__name__}")

    def prop_set(self, name: str, value: Any) -> None:
        raise CommandError(f"cannot set {name} of {type(self).__name__}")

    def command(self, name: str, *args: Any, **kwargs: Any) -> Any:
        raise CommandError(f"{type(self).__name__} does not understand {name}")


class Prop(MacNode):
    def __init__(self, owner: MacNode, name: str) -> None:
        self.owner, self.name = owner, name

    def child(self, step: tuple[str, Any]) -> Any:
        sub = self.owner.prop_get(self.name)
        if isinstance(sub, Ref):
            sub = sub._node()
        if not isinstance(sub, MacNode):
            raise CommandError(f"{self.name} has no {step[1]}")
        return sub.child(step)

    def command(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "get":
            return self.owner.prop_get(self.name)
        if name == "set":
            return self.owner.prop_set(self.name, args[0] if args else kwargs.get("to"))
        sub = self.owner.prop_get(self.name)
        if isinstance(sub, Ref):
            sub = sub._node()
        return sub.command(name, *args, **kwargs)


class BagNode(MacNode):
    """Formatting the add-in sets and never reads back (series look, axis titles): recorded."""

    def __init__(self, props: dict[Any, Any], ref: Ref) -> None:
        self.props, self.ref = props, ref

    def prop_get(self, name: str) -> Any:
        if name not in self.props:
            self.props[name] = {}
        value = self.props[name]
        if isinstance(value, dict):
            return Ref(self.ref._root, (*self.ref._steps, ("attr", name)))
        return value

    def child(self, step: tuple[str, Any]) -> Any:
        kind, key = step
        if kind == "attr" and isinstance(self.props.get(key, {}), dict):
            self.props.setdefault(key, {})
            return BagNode(self.props[key], Ref(self.ref._root,
                                                (*self.ref._steps, ("attr", key))))
        if kind == "item":
            self.props.setdefault(("item", key), {})
            return BagNode(self.props[("item", key)],
                           Ref(self.ref._root, (*self.ref._steps, ("item", key))))
        return Prop(self, key)

    def prop_set(self, name: str, value: Any) -> None:
        self.props[name] = value

    def command(self, name: str, *args: Any, **kwargs: Any) -> Any:
        # A property reached as an element (``axis.scale_type.set(...)``): it keeps what is
        # set, and gives it back, as Excel does.
        if name == "set":
            self.props["__value__"] = args[0] if args else kwargs.get("to")
            return None
        if name == "get":
            return self.props.get("__value__", MISSING_VALUE)
        if name.startswith("get_has_"):
            return self.props.get(name[4:], True)
        if name.startswith("set_has_"):
            self.props[name[4:]] = kwargs.get("axis_exists", True)
            return None
        self.props.setdefault(("cmd", name), {})
        return Ref(self.ref._root, (*self.ref._steps, ("attr", name)))


class MacRoot(MacNode):
    def __init__(self, app: XlApp) -> None:
        self.app = app

    def resolve(self, steps: tuple[tuple[str, Any], ...]) -> Any:
        node: Any = self
        for i, step in enumerate(steps):
            if isinstance(node, BagNode):
                node = node.child(step)
                continue
            node = node.child(step)
            if isinstance(node, BagNode) and not node.ref._steps:
                node.ref = Ref(self, steps[:i + 1])
        return node

    def child(self, step: tuple[str, Any]) -> Any:
        kind, key = step
        if (kind, key) == ("attr", "workbooks"):
            return MacBooks(self)
        if (kind, key) == ("attr", "AS_appdata"):
            return _AppData()
        return super().child(step)

    def prop_get(self, name: str) -> Any:
        if name == "status_bar":
            return self.app.status_bar
        if name == "screen_updating":
            return self.app.screen_updating
        if name == "display_alerts":
            return self.app.display_alerts
        if name == "active_workbook":
            return Ref(self, (("attr", "workbooks"), ("item", self.app.books[0].name)))
        return super().prop_get(name)

    def command(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "get_international" and kwargs.get("data_type") == kw.list_separator:
            return ","  # an English-locale Excel
        return super().command(name, *args, **kwargs)

    def prop_set(self, name: str, value: Any) -> None:
        if name == "status_bar":
            self.app.set_status(value)
        elif name == "screen_updating":
            self.app.screen_updating = value
        elif name == "display_alerts":
            self.app.display_alerts = value
        else:
            super().prop_set(name, value)


class _AppData(MacNode):
    def command(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "target":
            return types.SimpleNamespace(addressdesc=types.SimpleNamespace(
                coerce=lambda kind: types.SimpleNamespace(data=struct.pack("i", 4242))))
        return super().command(name, *args, **kwargs)


class MacBooks(MacNode):
    def __init__(self, root: MacRoot) -> None:
        self.root = root

    def child(self, step: tuple[str, Any]) -> Any:
        kind, key = step
        if kind == "item":
            books = self.root.app.books
            if isinstance(key, int):
                return MacBook(self.root, books[key - 1])
            for b in books:
                if b.name == key:
                    return MacBook(self.root, b)
            raise CommandError(f"no workbook {key}")
        return super().child(step)


class MacBook(MacNode):
    def __init__(self, root: MacRoot, book: XlBook) -> None:
        self.root, self.m = root, book

    def _ref(self, *steps: tuple[str, Any]) -> Ref:
        return Ref(self.root, (("attr", "workbooks"), ("item", self.m.name), *steps))

    def child(self, step: tuple[str, Any]) -> Any:
        kind, key = step
        if kind == "attr" and key in ("worksheets", "sheets"):
            return MacSheets(self)
        if kind == "attr" and key == "named_items":
            return MacNames(self)
        return super().child(step)

    def prop_get(self, name: str) -> Any:
        if name == "name":
            return self.m.name
        if name == "date_1904":
            return self.m.date1904
        if name == "active_sheet":
            return self._ref(("attr", "worksheets"), ("item", self.m.active_sheet.name))
        return super().prop_get(name)

    def command(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "exists":
            return True
        if name == "count":
            each = kwargs.get("each")
            if each == kw.worksheet:
                return len(self.m.sheets)
        if name == "make":
            new, at = kwargs.get("new"), kwargs.get("at")
            props = kwargs.get("with_properties", {})
            if new == kw.worksheet:
                where, sheet_name = at._steps[-1][1], at._steps[-2][1]
                index = self.m.sheets.index(self.m.sheet(sheet_name))
                sheet = self.m.add_sheet(index + (1 if where == "after" else 0))
                self.m.active_sheet = sheet
                return self._ref(("attr", "worksheets"), ("item", sheet.name))
            if new == kw.named_item:
                item = self.m.add_name(props[kw.name], props[kw.references])
                return self._ref(("attr", "named_items"), ("item", item.name))
        return super().command(name, *args, **kwargs)


class MacSheets(MacNode):
    def __init__(self, book: MacBook) -> None:
        self.book = book

    def child(self, step: tuple[str, Any]) -> Any:
        kind, key = step
        if kind == "item":
            return MacSheet(self.book, key)
        return super().child(step)

    def prop_get(self, name: str) -> Any:
        if name == "name":
            return [s.name for s in self.book.m.sheets]
        return super().prop_get(name)


class MacSheet(MacNode):
    """A worksheet reference by name or index (resolved lazily: may not exist)."""

    def __init__(self, book: MacBook, key: Any) -> None:
        self.book, self.key = book, key

    @property
    def m(self) -> XlSheet:
        try:
            return self.book.m.sheet(self.key)
        except KeyError:
            raise CommandError(f"no worksheet {self.key!r}", -1728) from None

    def _ref(self, *steps: tuple[str, Any]) -> Ref:
        return self.book._ref(("attr", "worksheets"), ("item", self.m.name), *steps)

    def child(self, step: tuple[str, Any]) -> Any:
        kind, key = step
        if kind == "attr" and key == "cells":
            return MacCellsOf(self)
        if kind == "attr" and key == "rows":
            return MacRowsOf(self)
        if kind == "attr" and key == "chart_objects":
            return MacChartObjects(self)
        if kind == "attr" and key in ("before", "after"):
            return Prop(self, key)
        if kind == "attr" and key == "used_range":
            keys = [*self.m.cells, *self.m.formulas]
            if not keys:
                return MacRange(self, (1, 1, 1, 1))
            rows, cols = [r for r, _ in keys], [c for _, c in keys]
            return MacRange(self, (min(rows), min(cols), max(rows), max(cols)))
        if kind == "attr" and key == "page_setup_object":
            return MacPageSetup(self)
        if kind == "attr" and key == "named_items":
            return MacNames(self.book, scope=self)
        return super().child(step)

    def prop_get(self, name: str) -> Any:
        if name == "name":
            return self.m.name
        if name == "entry_index":
            return self.book.m.sheets.index(self.m) + 1
        if name == "visible":
            return kw.sheet_visible if self.m.visible else kw.sheet_hidden
        return super().prop_get(name)

    def prop_set(self, name: str, value: Any) -> None:
        if name == "name":
            try:
                self.book.m.rename_sheet(self.m, value)
            except ValueError as exc:
                raise CommandError(str(exc), -50) from None
        elif name == "visible":
            self.m.visible = value in (True, kw.sheet_visible)
        else:
            super().prop_set(name, value)

    def command(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "exists":
            try:
                self.m  # noqa: B018
            except CommandError:
                return False
            return True
        if name == "count":
            each = kwargs.get("each")
            if each == kw.chart_object:
                return len(self.m.charts)
            if each == kw.row:
                return SHEET_ROWS
            if each == kw.column:
                return SHEET_COLS
        if name == "make" and kwargs.get("new") == kw.chart_object:
            p = kwargs.get("with_properties", {})
            sheet = self.m
            n = len(sheet.charts) + 1
            taken = {c.name.lower() for c in sheet.charts}
            while f"chart {n}" in taken:
                n += 1
            chart = XlChart(sheet, f"Chart {n}", float(p[kw.left_position]), float(p[kw.top]),
                            float(p[kw.width]), float(p[kw.height]))
            sheet.charts.append(chart)
            return self._ref(("attr", "chart_objects"), ("item", chart.name))
        if name == "activate_object":
            self.book.m.active_sheet = self.m
            return None
        if name == "delete":
            self.book.m.delete_sheet(self.m)
            return None
        return super().command(name, *args, **kwargs)


class MacRowsOf(MacNode):
    """``sheet.rows[r].columns[c]``: a cell by position (for ``get_address``)."""

    def __init__(self, sheet: MacSheet, row: int | None = None) -> None:
        self.sheet, self.row = sheet, row

    def child(self, step: tuple[str, Any]) -> Any:
        kind, key = step
        if kind == "item" and self.row is None:
            return MacRowsOf(self.sheet, key)
        if (kind, key) == ("attr", "columns") and self.row is not None:
            return MacColumnsOf(self.sheet, self.row)
        return super().child(step)


class MacColumnsOf(MacNode):
    def __init__(self, sheet: MacSheet, row: int) -> None:
        self.sheet, self.row = sheet, row

    def child(self, step: tuple[str, Any]) -> Any:
        kind, key = step
        if kind == "item":
            return MacRange(self.sheet, (self.row, key, self.row, key))
        return super().child(step)


class MacCellsOf(MacNode):
    def __init__(self, sheet: MacSheet) -> None:
        self.sheet = sheet

    def child(self, step: tuple[str, Any]) -> Any:
        kind, key = step
        if kind == "item" and isinstance(key, str):
            return MacRange(self.sheet, parse_address(key))
        return super().child(step)


class MacRange(MacNode):
    def __init__(self, sheet: MacSheet, b: Bounds) -> None:
        self.sheet, self.b = sheet, b

    @property
    def m(self) -> XlSheet:
        return self.sheet.m

    def _grid(self, one: Any) -> Any:
        r1, c1, r2, c2 = self.b
        return _nest([[one(r, c) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)])

    def _value(self, r: int, c: int) -> Any:
        v = self.m.cells.get((r, c))
        if v is None:
            return ""
        if isinstance(v, XlErr):
            return MISSING_VALUE  # AppleScript's value of an error cell carries no error
        return v

    def _each(self) -> Iterator[tuple[int, int]]:
        r1, c1, r2, c2 = self.b
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                yield r, c

    def prop_get(self, name: str) -> Any:
        m = self.m
        if name == "value":
            return self._grid(self._value)
        if name == "string_value":
            return self._grid(m.shown_text)
        if name in ("formula", "formula2"):
            return self._grid(m.formula_text)
        if name == "number_format":
            return m.formats.get(self.b[:2], "General")
        if name == "column_width":
            return m.col_widths.get(self.b[1], 8.43)
        if name == "row_height":
            return m.row_heights.get(self.b[0], 15.0)
        if name == "wrap_text":
            return self.b[:2] in m.wrapped
        if name == "first_row_index":
            return self.b[0]
        if name == "first_column_index":
            return self.b[1]
        return super().prop_get(name)

    def prop_set(self, name: str, value: Any) -> None:
        m = self.m
        r1, c1, r2, c2 = self.b
        if name in ("value", "formula"):
            if isinstance(value, list):
                rows = value if value and isinstance(value[0], list) else [value]
                for i in range(r2 - r1 + 1):
                    for j in range(c2 - c1 + 1):
                        ok = i < len(rows) and j < len(rows[i])
                        m.type_in(r1 + i, c1 + j, rows[i][j] if ok else "=NA()")
            else:
                for r, c in self._each():
                    m.type_in(r, c, value)
        elif name == "number_format":
            for cell in self._each():
                m.formats[cell] = value
        elif name == "column_width":
            for c in range(c1, c2 + 1):
                m.col_widths[c] = float(value)
        elif name == "row_height":
            for r in range(r1, r2 + 1):
                m.row_heights[r] = float(value)
        elif name == "wrap_text":
            for cell in self._each():
                (m.wrapped.add if value else m.wrapped.discard)(cell)
        else:
            super().prop_set(name, value)

    def child(self, step: tuple[str, Any]) -> Any:
        if step == ("attr", "validation"):
            return _MacValidation(self)
        if step == ("attr", "font_object"):
            return _MacFont(self)
        return super().child(step)

    def command(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "get_address":
            a = address_of(self.b)
            if kwargs.get("external"):
                return f"[{self.sheet.book.m.name}]{self.m.name}!{a}"
            return a
        if name == "count":
            each = kwargs.get("each")
            if each == kw.row:
                return self.b[2] - self.b[0] + 1
            if each == kw.column:
                return self.b[3] - self.b[1] + 1
            if each == kw.cell:
                return (self.b[2] - self.b[0] + 1) * (self.b[3] - self.b[1] + 1)
        if name == "clear_contents":
            self.m.clear(self.b)
            return None
        if name == "properties":
            return {kw.left_position: self.m.left_of(self.b[1]),
                    kw.top: self.m.top_of(self.b[0])}
        if name == "exists":
            return True
        return super().command(name, *args, **kwargs)


class _MacFont(MacNode):
    """A range's ``font_object``: ``font_size`` and ``bold`` of every cell of the range."""

    def __init__(self, rng: MacRange) -> None:
        self.rng = rng

    def prop_get(self, name: str) -> Any:
        m, first = self.rng.m, self.rng.b[:2]
        if name == "font_size":
            return m.font_sizes.get(first, 11.0)
        if name == "bold":
            return first in m.bold
        return super().prop_get(name)

    def prop_set(self, name: str, value: Any) -> None:
        m = self.rng.m
        if name == "font_size":
            for cell in self.rng._each():
                m.font_sizes[cell] = float(value)
        elif name == "bold":
            for cell in self.rng._each():
                (m.bold.add if value else m.bold.discard)(cell)
        else:
            super().prop_set(name, value)


class _MacValidation(MacNode):
    def __init__(self, rng: MacRange) -> None:
        self.rng = rng

    def command(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "delete_data_validation":
            for cell in self.rng._each():
                self.rng.m.validations.pop(cell, None)
            return None
        if name == "add_data_validation":
            if "validation" in self.rng.m.book.app.refuses:
                raise CommandError("Microsoft Excel got an error: Parameter error.", -50)
            for cell in self.rng._each():
                self.rng.m.validations[cell] = kwargs.get("formula1")
            return None
        return None

    def prop_get(self, name: str) -> Any:
        return MISSING_VALUE

    def prop_set(self, name: str, value: Any) -> None:
        pass


class MacPageSetup(MacNode):
    def __init__(self, sheet: MacSheet) -> None:
        self.sheet = sheet

    def prop_get(self, name: str) -> Any:
        if name == "print_area":
            return self.sheet.m.print_area or MISSING_VALUE
        return self.sheet.m.props.get(("page_setup", name), MISSING_VALUE)

    def prop_set(self, name: str, value: Any) -> None:
        if name == "print_area":
            self.sheet.m.print_area = value
        else:
            self.sheet.m.props[("page_setup", name)] = value


class MacChartObjects(MacNode):
    def __init__(self, sheet: MacSheet) -> None:
        self.sheet = sheet

    def child(self, step: tuple[str, Any]) -> Any:
        kind, key = step
        if kind == "item":
            return MacChartObject(self.sheet, key)
        return super().child(step)


class MacChartObject(MacNode):
    def __init__(self, sheet: MacSheet, key: Any) -> None:
        self.sheet, self.key = sheet, key

    @property
    def m(self) -> XlChart:
        charts = self.sheet.m.charts
        if isinstance(self.key, int):
            if 1 <= self.key <= len(charts):
                return charts[self.key - 1]
        else:
            for c in charts:
                if c.name.lower() == str(self.key).lower():
                    return c
        raise CommandError(f"no chart object {self.key!r}", -1728)

    def _ref(self, *steps: tuple[str, Any]) -> Ref:
        return self.sheet._ref(("attr", "chart_objects"), ("item", self.m.name), *steps)

    def child(self, step: tuple[str, Any]) -> Any:
        if step == ("attr", "chart"):
            return MacChart(self)
        return super().child(step)

    def prop_get(self, name: str) -> Any:
        m = self.m
        if name == "name":
            return m.name
        if name in ("left_position", "top", "width", "height"):
            return getattr(m, "left" if name == "left_position" else name)
        return super().prop_get(name)

    def prop_set(self, name: str, value: Any) -> None:
        m = self.m
        if name == "name":
            m.name = value
        elif name in ("left_position", "top", "width", "height"):
            setattr(m, "left" if name == "left_position" else name, float(value))
        else:
            super().prop_set(name, value)

    def command(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "exists":
            try:
                self.m  # noqa: B018
            except CommandError:
                return False
            return True
        if name == "delete":
            self.sheet.m.charts.remove(self.m)
            return None
        return super().command(name, *args, **kwargs)


class MacChart(MacNode):
    def __init__(self, obj: MacChartObject) -> None:
        self.obj = obj

    def _ref(self, *steps: tuple[str, Any]) -> Ref:
        return self.obj._ref(("attr", "chart"), *steps)

    def child(self, step: tuple[str, Any]) -> Any:
        kind, key = step
        if (kind, key) == ("attr", "series_collection"):
            return MacSeriesCollection(self)
        if kind == "attr" and key in ("chart_title", "axes"):
            m = self.obj.m
            m.props.setdefault(key, {})
            return BagNode(m.props[key], self._ref(step))
        return super().child(step)

    def prop_get(self, name: str) -> Any:
        m = self.obj.m
        if name == "chart_type":
            return m.chart_type
        if name == "has_title":
            return m.title is not None
        return m.props.get(name, MISSING_VALUE)

    def prop_set(self, name: str, value: Any) -> None:
        m = self.obj.m
        if name == "chart_type":
            m.chart_type = value
            for s in m.series:
                s.props["chart_type"] = value
        elif name == "has_title":
            m.title = (m.title or "") if value else None
        else:
            m.props[name] = value

    def command(self, name: str, *args: Any, **kwargs: Any) -> Any:
        m = self.obj.m
        if name == "set_source_data":
            src = kwargs["source"]._node()
            m.set_source(src.m, src.b)
            return None
        if name == "count" and kwargs.get("each") == kw.series:
            return len(m.series)
        if name in ("get_has_axis", "set_has_axis"):
            key = ("has_axis", kwargs.get("axis_type"))
            if name == "set_has_axis":
                m.props[key] = kwargs.get("axis_exists")
                return None
            return m.props.get(key, True)
        if name == "get_axis":
            axis_type = kwargs.get("axis_type")
            m.props.setdefault(("axis", axis_type), {})
            ref = Ref(self.obj.sheet.book.root, ())
            return types.SimpleNamespace(AS_aemreference=types.SimpleNamespace(
                _key=1 if axis_type == kw.category_axis else 2), ref=ref)
        return super().command(name, *args, **kwargs)


class MacSeriesCollection(MacNode):
    def __init__(self, chart: MacChart) -> None:
        self.chart = chart

    def child(self, step: tuple[str, Any]) -> Any:
        kind, key = step
        if kind == "item":
            return MacSeries(self.chart, key)
        return super().child(step)

    def command(self, name: str, *args: Any, **kwargs: Any) -> Any:
        series = self.chart.obj.m.series
        if name == "get":
            if not series:
                return MISSING_VALUE
            return [self.chart._ref(("attr", "series_collection"), ("item", i + 1))
                    for i in range(len(series))]
        return super().command(name, *args, **kwargs)


class MacSeries(MacNode):
    def __init__(self, chart: MacChart, index: int) -> None:
        self.chart, self.index = chart, index

    @property
    def m_chart(self) -> XlChart:
        return self.chart.obj.m

    @property
    def m(self) -> XlSeries:
        series = self.chart.obj.m.series
        if not 1 <= self.index <= len(series):
            raise CommandError(f"no series {self.index}", -1728)
        return series[self.index - 1]

    def prop_get(self, name: str) -> Any:
        if name == "name":
            return self.m.name
        return self.m.props.get(name, MISSING_VALUE)

    def prop_set(self, name: str, value: Any) -> None:
        if name == "chart_type" and "series chart type" in self.m_chart.sheet.book.app.refuses:
            raise CommandError("Microsoft Excel got an error: Parameter error.", -50)
        if name == "name":
            self.m.name = value
        elif name == "xvalues":
            node = value._node() if isinstance(value, Ref) else value
            self.m.xvalues = (node.m, node.b) if isinstance(node, MacRange) else value
        else:
            self.m.props[name] = value

    def child(self, step: tuple[str, Any]) -> Any:
        kind, key = step
        if kind == "attr" and key not in ("name", "xvalues", "chart_type"):
            self.m.props.setdefault(key, {})
            if isinstance(self.m.props[key], dict):
                return BagNode(self.m.props[key],
                               self.chart._ref(("attr", "series_collection"),
                                               ("item", self.index), step))
        return super().child(step)

    def command(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "exists":
            try:
                self.m  # noqa: B018
            except CommandError:
                return False
            return True
        return super().command(name, *args, **kwargs)


class MacNames(MacNode):
    def __init__(self, book: MacBook, scope: MacSheet | None = None) -> None:
        self.book, self.scope = book, scope

    def _items(self) -> list[XlName]:
        return [] if self.scope is not None else self.book.m.names

    def child(self, step: tuple[str, Any]) -> Any:
        kind, key = step
        if kind == "item":
            return MacName(self, key)
        return super().child(step)

    def prop_get(self, name: str) -> Any:
        if name == "name":
            items = self._items()
            return [n.name for n in items] if items else MISSING_VALUE
        return super().prop_get(name)

    def command(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "get":
            items = self._items()
            if not items:
                return MISSING_VALUE
            return [self.book._ref(("attr", "named_items"), ("item", n.name)) for n in items]
        return super().command(name, *args, **kwargs)


class MacName(MacNode):
    def __init__(self, names: MacNames, key: Any) -> None:
        self.names, self.key = names, key

    @property
    def m(self) -> XlName:
        items = self.names._items()
        if isinstance(self.key, int):
            if 1 <= self.key <= len(items):
                return items[self.key - 1]
        else:
            for n in items:
                if n.name.lower() == str(self.key).lower():
                    return n
        raise CommandError(f"no named item {self.key!r}", -1728)

    def child(self, step: tuple[str, Any]) -> Any:
        if step == ("attr", "reference_range"):
            book = self.names.book
            try:
                sheet, b = book.m.name_range(self.m)
            except (LookupError, KeyError):
                raise CommandError("the name refers to no range", -1728) from None
            return MacRange(MacSheet(book, sheet.name), b)
        return super().child(step)

    def prop_get(self, name: str) -> Any:
        if name == "name":
            return self.m.name
        if name == "references":
            return self.m.refers_to
        if name == "visible":
            return self.m.visible
        return super().prop_get(name)

    def prop_set(self, name: str, value: Any) -> None:
        if name == "references":
            self.m.refers_to = value
        elif name == "visible":
            self.m.visible = bool(value)
        else:
            super().prop_set(name, value)

    def command(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "get":
            self.m  # noqa: B018
            return Ref(self.names.book.root, (("attr", "workbooks"),
                                              ("item", self.names.book.m.name),
                                              ("attr", "named_items"), ("item", self.m.name)))
        if name == "properties":
            return {kw.references: self.m.refers_to, kw.name: self.m.name}
        if name == "delete":
            self.names.book.m.names.remove(self.m)
            return None
        if name == "exists":
            try:
                self.m  # noqa: B018
            except CommandError:
                return False
            return True
        return super().command(name, *args, **kwargs)


def _mac_modules(app: XlApp) -> dict[str, types.ModuleType]:
    appscript = types.ModuleType("appscript")
    reference = types.ModuleType("appscript.reference")
    reference.CommandError = CommandError  # type: ignore[attr-defined]
    reference.Reference = Ref  # type: ignore[attr-defined]
    appscript.reference = reference  # type: ignore[attr-defined]
    appscript.k = kw  # type: ignore[attr-defined]
    appscript.its = _h._Permissive("its")  # type: ignore[attr-defined]
    appscript.mactypes = _h._Permissive("mactypes")  # type: ignore[attr-defined]
    appscript.CommandError = CommandError  # type: ignore[attr-defined]
    appscript.app = lambda *a, **k: Ref(MacRoot(app))  # type: ignore[attr-defined]
    aem = _h._Permissive("aem")
    aem.kae = types.SimpleNamespace(typeKernelProcessID="kpid")  # type: ignore[attr-defined]
    osax = types.ModuleType("osax")

    class OSAX:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pass

        def activate(self) -> None:
            pass

        def display_alert(self, title: str, message: str = "", **kwargs: Any) -> Any:
            app.alerts.append(message)
            return {kw.button_returned: "OK"}

    osax.OSAX = OSAX  # type: ignore[attr-defined]
    return {"appscript": appscript, "appscript.reference": reference, "aem": aem,
            "osax": osax, "psutil": _h._Permissive("psutil")}


# ----------------------------------------------------------------------------------------
# The context manager.
# ----------------------------------------------------------------------------------------

_PATCHED_MODULES = ("pythoncom", "pywintypes", "win32timezone", "win32com", "win32com.client",
                    "win32api", "win32con", "win32gui", "win32process", "appscript",
                    "appscript.reference", "aem", "osax", "psutil", "xlwings._xlwindows",
                    "xlwings._xlmac", "xlwings._win32patch")


@contextlib.contextmanager
def xlwings_book(engine: str, *sheet_names: str, date1904: bool = False,
                 name: str = "Book1.xlsm") -> Iterator[Any]:
    """A real ``xlwings.Book`` on xlwings' own ``engine`` ("windows" or "mac") over a fake
    Excel; ``book.impl`` is that engine's ``Book``. ``excel_model(book)`` is the model, for
    tests to inspect and to prepare (formulas, error cells). Undone on exit."""
    import xlwings
    import xlwings.main as xm

    if engine not in ("windows", "mac"):
        raise ValueError(engine)
    saved = {k: sys.modules.get(k) for k in _PATCHED_MODULES}
    saved_attrs = {k: getattr(xlwings, k, None) for k in ("_xlwindows", "_xlmac")}
    saved_ctypes = {k: getattr(ctypes, k, None) for k in ("oledll", "windll", "PyDLL")}
    app = XlApp()
    book = XlBook(app, name, sheet_names or ("Sheet1",), date1904)
    app.books.append(book)
    try:
        if engine == "windows":
            sys.modules.update(_windows_modules(app))
            for k in ("oledll", "windll"):
                if not hasattr(ctypes, k):
                    setattr(ctypes, k, _Deep())
            ctypes.PyDLL = lambda *a, **k: _Deep()  # type: ignore[misc,assignment]
            mods_pythoncom = sys.modules["pythoncom"]
            mods_pythoncom.__file__ = "pythoncom.dll"
            for k in ("xlwings._xlwindows", "xlwings._win32patch"):
                sys.modules.pop(k, None)
            impl_mod = importlib.import_module("xlwings._xlwindows")
            impl_book = impl_mod.Book(xl=ComBook(book))
            impl_mod.App  # noqa: B018
        else:
            sys.modules.update(_mac_modules(app))
            sys.modules.pop("xlwings._xlmac", None)
            impl_mod = importlib.import_module("xlwings._xlmac")
            impl_app = impl_mod.App(xl=Ref(MacRoot(app)))
            impl_book = impl_mod.Book(impl_app, name)
        result = xm.Book(impl=impl_book)
        _MODELS[id(result.impl)] = book
        yield result
    finally:
        _MODELS.clear()
        import atexit

        for k in ("xlwings._xlwindows", "xlwings._xlmac"):
            mod = sys.modules.get(k)
            if mod is not None and saved.get(k) is not mod and hasattr(mod, "cleanup"):
                atexit.unregister(mod.cleanup)
        _h.restore_modules(saved)
        _h.restore_attrs(xlwings, saved_attrs)
        _h.restore_attrs(ctypes, saved_ctypes)


_MODELS: dict[int, XlBook] = {}


def excel_model(book: Any) -> XlBook:
    """The fake Excel's workbook behind a book from :func:`xlwings_book`."""
    return _MODELS[id(book.impl)]

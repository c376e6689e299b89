"""Run xlwings' own Windows UDF machinery on Linux, so tests exercise the real Excel boundary.

There is no Excel (and no pywin32) on our machines, yet what reaches a UDF and what goes back to
the cell is decided by xlwings' code, not ours. This harness makes that code runnable:

* fake ``pythoncom``, ``pywintypes``, ``win32com.client`` (and ``win32timezone``, used by the
  date hook) so that ``import xlwings.udfs`` works;
* a stand-in ``xlwings._xlwindows`` whose value hooks (``Engine.prepare_xl_data_element``,
  ``Engine.clean_value_data`` and the helpers they call) are the *source code of the installed
  xlwings*, extracted with :mod:`ast` and executed, not re-written; it is registered as the
  engine named ``"excel"`` that ``xlwings.conversion.read/write`` look up;
* the UDF module imported while ``xw.func``/``xw.arg``/``xw.ret`` are xlwings' Windows
  decorators (``xlwings.udfs.xlfunc`` ...), so ``__xlfunc__`` metadata exists as on Windows;
* :func:`call_udf` goes through the real ``xlwings.udfs.call_udf`` (missing-argument sentinel,
  argument conversion, result conversion), and :func:`vba_wrappers` through the real
  ``xlwings.udfs.generate_vba_wrapper``.

What stays fake is only the COM transport: a range argument is a small object whose ``Value``
is the tuple of tuples pywin32 would deliver, dates are ``pywintypes.TimeType`` with a UTC
tzinfo as pywin32 delivers them, an omitted optional argument is the ``DISP_E_PARAMNOTFOUND``
integer that VBA passes.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import importlib
import io
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
    "_clean_value_data_element",
    "Engine",
)

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
    return TimeType(year, month, day, tzinfo=dt.timezone.utc)


class _ComError(Exception):
    pass


def _fake_pywin32() -> dict[str, types.ModuleType]:
    mods: dict[str, types.ModuleType] = {name: _Permissive(name) for name in _PYWIN32_MODULES}
    pywintypes = mods["pywintypes"]
    pywintypes.TimeType = TimeType  # type: ignore[attr-defined]
    pywintypes.com_error = _ComError  # type: ignore[attr-defined]
    pywintypes.IID = str  # type: ignore[attr-defined]
    tz = mods["win32timezone"]
    tz.TimeZoneInfo = types.SimpleNamespace(utc=lambda: dt.timezone.utc)  # type: ignore[attr-defined]
    mods["win32com.client"].Dispatch = lambda *a, **k: None  # type: ignore[attr-defined]
    mods["win32com"].client = mods["win32com.client"]  # type: ignore[attr-defined]
    return mods


class FakeXlRange:
    """The COM ``Range`` object Excel passes for a range argument: only ``Value`` is read.

    ``values`` is a list of rows; like pywin32, a single cell gives a scalar and several cells a
    tuple of tuples.
    """

    def __init__(self, values: list[list[Any]]) -> None:
        rows = tuple(tuple(r) for r in values)
        self.Value = rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows


class _RangeImpl:
    """Minimal ``xlwings._xlwindows.Range``: what ``xlwings.main.Range`` and the conversion
    pipeline touch when reading an argument (``raw_value`` mirrors ``Range.raw_value`` there)."""

    max_cells_per_read = None
    max_cells_per_write = None

    def __init__(self, xl: Any = None, engine: Any = None) -> None:
        self.xl = xl
        self.options: dict[str, Any] = {}
        app = types.SimpleNamespace(engine=engine, pid=0)
        book = types.SimpleNamespace(app=app)
        self.sheet = types.SimpleNamespace(book=book)

    @property
    def raw_value(self) -> Any:
        return self.xl.Value if self.xl is not None else None

    @property
    def api(self) -> Any:
        return self.xl


def _xlwindows_hooks(engine_holder: dict[str, Any]) -> types.ModuleType:
    """Build ``xlwings._xlwindows`` from the installed file's own value hooks."""
    import numpy as np
    import pandas as pd
    import xlwings
    from xlwings.utils import np_datetime_to_datetime

    source_path = Path(xlwings.__file__).with_name("_xlwindows.py")
    tree = ast.parse(source_path.read_text(encoding="utf-8"))
    picked: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in _HOOK_NAMES:
            picked.append(node)
        elif isinstance(node, (ast.Assign, ast.If)):
            targets = [t.id for t in ast.walk(node) if isinstance(t, ast.Name)]
            if targets and targets[0] in ("time_types", "cell_errors"):
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
        pywintypes=sys.modules["pywintypes"], win32timezone=sys.modules["win32timezone"],
        np_datetime_to_datetime=np_datetime_to_datetime, base_classes=None,
    )
    code = compile(ast.Module(body=picked, type_ignores=[]), str(source_path), "exec")
    exec(code, ns)  # noqa: S102  (xlwings' own code, from the installed package)
    ns["engine"] = ns["Engine"]()
    engine_holder["impl"] = ns["engine"]
    ns["BOOK_CALLER"] = None
    ns["is_range_instance"] = lambda x: isinstance(x, FakeXlRange)
    ns["Range"] = lambda xl=None: _RangeImpl(xl, engine_holder["impl"])
    return mod


class Harness:
    """Handle on the installed fakes and the UDF module loaded with real decorators."""

    def __init__(self, module_name: str, module: types.ModuleType) -> None:
        self.module_name = module_name
        self.module = module
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
        return self.udfs.call_udf(self.module_name, func_name, tuple(full), None, None)

    def vba(self, workbook_name: str = "betahedge.xlsm") -> str:
        """The VBA module text xlwings' "Import Functions" would write into the workbook."""
        out = io.StringIO()
        book = types.SimpleNamespace(Name=workbook_name)
        self.udfs.generate_vba_wrapper(self.module_name, self.module, out, book)
        return out.getvalue()


@contextlib.contextmanager
def xlwings_windows(module_name: str = "betahedge_xl.udfs") -> Iterator[Harness]:
    """Install the fakes, import ``module_name`` under xlwings' Windows decorators, undo after.

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
        sys.modules.update(_fake_pywin32())
        holder: dict[str, Any] = {}
        xlwindows = _xlwindows_hooks(holder)
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
        yield Harness(module_name, module)
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

"""A model of xlwings' Office.js custom functions (xlwings Lite), written from their source.

xlwings Lite registers and calls custom functions through ``xlwings/pro/udfs_officejs.py``
(``xlfunc``/``xlarg``/``xlret``, ``custom_functions_meta``, ``custom_functions_call``) and
writes results through the "officejs" engine of ``xlwings/pro/_xlofficejs.py``. Those modules
are xlwings PRO (PolyForm Noncommercial, licence-checked on import): the suite neither imports
nor executes them. This module restates, step by step, what they do in xlwings 0.37.8, so that
the tests hand the functions exactly what Lite hands them:

* the decorators build ``__xlfunc__`` as ``xlfunc``/``xlarg``/``xlret`` do (arguments with
  ``pos``, ``doc``, ``vararg``, ``options`` and ``optional`` = the Python default);
* :func:`custom_functions_meta` lists the functions of a module as Office.js registers them;
* :func:`custom_functions_call`: varargs flattened, each argument through ``to_scalar`` (a 1x1
  list becomes its cell, a one-row list its row), an omitted one (``None``) replaced by the
  Python default *without conversion*, the others through xlwings' real
  ``conversion.read(None, arg, options, engine_name="officejs")``; the result through xlwings'
  real ``conversion.write`` with ``date_format`` and ``runtime`` options (the real one awaits
  ``async_write``; the stages are the same);
* :class:`OfficeJsEngine` is the engine's value hooks: ``""`` read as empty, an error object as
  ``None`` or (``err_to_str``) its ``basicValue``, another object as its ``basicValue``; on
  write ``None`` as ``""``, NaN as the ``#NUM!`` error object, dates as ``FormattedNumber``
  objects (runtime 1.4 or later with a date format), ``"#..."`` error texts as error objects.

:func:`lite_runtime` imports :mod:`betahedge_xl.lite` the way Lite does: with ``xlwings.func``,
``xlwings.arg`` and ``xlwings.ret`` being these decorators and the engine registered.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import inspect
import sys
import types
from collections.abc import Iterator
from typing import Any

#: What Office.js sends with each call (``runtime``: the custom-functions requirement set).
CALL_DATA = {"version": "0.37.8", "client": "Office.js", "runtime": "1.4",
             "date_format": "yyyy-mm-dd", "culture_info_name": "en-US",
             "caller_address": "Sheet1!A1"}

#: Office.js error types of the classic errors (``errorstr_to_errortype``).
ERROR_TYPES = {"#DIV/0!": "Div0", "#N/A": "NotAvailable", "#NAME?": "Name", "#NULL!": "Null",
               "#NUM!": "Num", "#REF!": "Ref", "#VALUE!": "Value"}


def error(text: str, error_type: str | None = None) -> dict[str, Any]:
    """An error cell as Office.js passes it to a custom function."""
    return {"type": "Error", "basicValue": text,
            "errorType": error_type or ERROR_TYPES.get(text, "Unknown")}


# --- decorators (xlfunc, xlarg, xlret) --------------------------------------------------------
def xlfunc(f: Any = None, **kwargs: Any) -> Any:
    """``@xw.func`` of Lite: record the function's arguments and their Python defaults."""

    def inner(f: Any) -> Any:
        if not hasattr(f, "__xlfunc__"):
            sig = inspect.signature(f)
            params = [p for p in sig.parameters.values()
                      if p.kind in (p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
            if len(params) != len(sig.parameters):
                raise ValueError("xlwings does not support UDFs with keyword arguments")
            args = []
            for pos, p in enumerate(params):
                info: dict[str, Any] = {"name": p.name, "pos": pos,
                                        "doc": f"Positional argument {pos + 1}",
                                        "vararg": p.kind is p.VAR_POSITIONAL, "options": {}}
                if p.default is not inspect.Parameter.empty:
                    info["optional"] = p.default
                args.append(info)
            f.__xlfunc__ = {
                "name": f.__name__, "args": args, "argmap": {a["name"]: a for a in args},
                "ret": {"doc": f.__doc__ if f.__doc__ is not None
                        else f"Python function '{f.__name__}'", "options": {}},
            }
        f.__xlfunc__["volatile"] = bool(kwargs.get("volatile", False))
        f.__xlfunc__["excel_name"] = kwargs.get("name")
        f.__xlfunc__["namespace"] = kwargs.get("namespace")
        f.__xlfunc__["help_url"] = kwargs.get("help_url")
        return f

    return inner if f is None else inner(f)


def xlarg(arg: str, convert: Any = None, **kwargs: Any) -> Any:
    """``@xw.arg`` of Lite: the argument's converter options and its help text."""
    if convert is not None:
        kwargs["convert"] = convert

    def inner(f: Any) -> Any:
        info = xlfunc(f).__xlfunc__
        if arg.lstrip("*") not in info["argmap"]:
            raise ValueError(f"Invalid argument name '{arg}'.")
        a = info["argmap"][arg.lstrip("*")]
        if "doc" in kwargs:
            a["doc"] = kwargs.pop("doc")
        a["options"].update(kwargs)
        return f

    return inner


def xlret(convert: Any = None, **kwargs: Any) -> Any:
    """``@xw.ret`` of Lite: the result's converter options."""
    if convert is not None:
        kwargs["convert"] = convert

    def inner(f: Any) -> Any:
        xlfunc(f).__xlfunc__["ret"]["options"].update(kwargs)
        return f

    return inner


# --- the engine's value hooks ----------------------------------------------------------------
def _serial(value: dt.date) -> float:
    """``xlwings.utils.datetime_to_xlserial``: days since 1899-12-30 (1900 system)."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    delta = value.replace(tzinfo=None) - dt.datetime(1899, 12, 30)
    return delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6


class OfficeJsEngine:
    """The "officejs" engine's hooks, as ``xlwings/pro/_xlofficejs.py`` defines them."""

    name = "officejs"
    type = "remote"

    @staticmethod
    def clean_value_data(data: Any, datetime_builder: Any, empty_as: Any, number_builder: Any,
                         err_to_str: bool) -> list[list[Any]]:
        def one(value: Any) -> Any:
            if value == "":
                return empty_as
            if isinstance(value, dict):
                if value["type"] == "Error":
                    return value["basicValue"] if err_to_str else None
                return value["basicValue"]
            if number_builder is not None and isinstance(value, float):
                return number_builder(value)
            return value

        return [[one(c) for c in row] for row in data]

    @staticmethod
    def prepare_xl_data_element(x: Any, options: dict[str, Any]) -> Any:
        import numpy as np
        import pandas as pd

        runtime = float(options["runtime"])

        def error_object(text: str) -> Any:
            if runtime < 1.4 or text not in ERROR_TYPES:
                return text
            return {"type": "Error", "errorType": ERROR_TYPES[text]}

        def date_object(value: dt.date) -> Any:
            serial = _serial(value)
            if runtime < 1.4 or options["date_format"] is None:
                return serial
            return {"type": "FormattedNumber", "basicValue": serial,
                    "numberFormat": options["date_format"]}

        if x is None:
            return ""
        if not isinstance(x, (list, dict)) and pd.isna(x):
            return error_object("#NUM!")
        if isinstance(x, np.number):
            return float(x)
        if isinstance(x, np.datetime64):
            return date_object(pd.Timestamp(x).to_pydatetime())
        if isinstance(x, pd.Timestamp):
            return date_object(x.to_pydatetime())
        if isinstance(x, (dt.date, dt.datetime)):
            return date_object(x)
        if isinstance(x, str) and x.startswith("#"):
            return error_object(x)
        return x


# --- dispatch ---------------------------------------------------------------------------------
def to_scalar(arg: Any) -> Any:
    """``to_scalar``: a one-element list is unwrapped once or twice."""
    if isinstance(arg, (list, tuple)) and len(arg) == 1:
        if isinstance(arg[0], (list, tuple)) and len(arg[0]) == 1:
            return arg[0][0]
        return arg[0]
    return arg


def custom_functions_meta(module: types.ModuleType) -> dict[str, Any]:
    """What Office.js registers: every member of ``module`` that has ``__xlfunc__``."""
    funcs = []
    for _, obj in inspect.getmembers(module):
        if not hasattr(obj, "__xlfunc__"):
            continue
        info = obj.__xlfunc__
        params = []
        for a in info["args"]:
            param = {"description": a["doc"], "name": a["name"], "dimensionality": "matrix",
                     "type": "any"}
            if "optional" in a:
                param["optional"] = True
            elif a["vararg"]:
                param["repeating"] = True
            params.append(param)
        funcs.append({
            "description": info["ret"]["doc"], "id": info["name"].upper(),
            "name": info.get("excel_name") or info["name"].upper(),
            "options": {"requiresAddress": True, "requiresParameterAddresses": True},
            "result": {"dimensionality": "matrix", "type": "any"}, "parameters": params,
        })
    return {"allowCustomDataForDataTypeAny": True, "allowErrorForDataTypeAny": True,
            "functions": funcs}


def custom_functions_call(data: dict[str, Any], module: types.ModuleType) -> Any:
    """Call ``data["func_name"]`` of ``module`` with ``data["args"]`` as Lite does."""
    import xlwings.conversion as conversion

    func = getattr(module, data["func_name"])
    args_info = func.__xlfunc__["args"]
    ret_info = func.__xlfunc__["ret"]
    args, infos = [], []
    for i, value in enumerate(data["args"]):
        info = args_info[min(i, len(args_info) - 1)]
        if info["vararg"]:
            args.extend(value)
            infos.extend([info] * len(value))
        else:
            args.append(value)
            infos.append(info)
    for i, value in enumerate(args):
        value = to_scalar(value)
        if value is None:
            args[i] = infos[i].get("optional", None)
        else:
            args[i] = conversion.read(None, value, infos[i]["options"], engine_name="officejs")
    ret = func(*args)
    options = dict(ret_info["options"], date_format=data.get("date_format"),
                   runtime=data["runtime"])
    return conversion.write(ret, None, options, engine_name="officejs")


def call(module: types.ModuleType, name: str, *args: Any, **data: Any) -> Any:
    """``=NAME(args...)`` in a cell: Office.js sends every declared argument, ``None`` for one
    left out (``null``)."""
    declared = len(getattr(module, name).__xlfunc__["args"])
    padded = list(args) + [None] * (declared - len(args))
    return custom_functions_call({**CALL_DATA, **data, "func_name": name, "args": padded},
                                 module)


# --- Lite's import of the package -------------------------------------------------------------
_FRESH = ("betahedge_xl.udfs", "betahedge_xl.lite", "betahedge_xl.excel.officejs")


@contextlib.contextmanager
def lite_runtime(module: str = "betahedge_xl.lite") -> Iterator[types.ModuleType]:
    """Import ``module`` as in Lite: ``xlwings.func/arg/ret`` are the Office.js decorators
    above and the "officejs" engine is registered. ``module`` is what Lite's ``main.py``
    imports: :mod:`betahedge_xl.lite`, or :mod:`betahedge_xl.udfs` registered directly.
    Everything is undone on exit (modules, the package's attributes, xlwings' engines)."""
    from unittest import mock

    import xlwings
    from xlwings.main import Engine


    engines = xlwings.engines
    saved = {name: sys.modules.pop(name) for name in _FRESH if name in sys.modules}

    def parent(name: str) -> tuple[types.ModuleType, str]:
        package, _, attr = name.rpartition(".")
        return importlib.import_module(package), attr

    saved_attrs = {name: vars(parent(name)[0]).get(parent(name)[1]) for name in _FRESH}

    def restore_modules() -> None:
        # only the package's own modules: whatever else was imported meanwhile (scipy ...)
        # stays, or a second copy of it would be imported later
        for name in _FRESH:
            sys.modules.pop(name, None)
            package, attr = parent(name)
            vars(package).pop(attr, None)
            if saved_attrs[name] is not None:
                vars(package)[attr] = saved_attrs[name]
        sys.modules.update(saved)

    with contextlib.ExitStack() as undo:
        undo.callback(restore_modules)
        undo.enter_context(mock.patch.dict(engines.engines_by_name))
        undo.enter_context(mock.patch.object(engines, "engines", list(engines.engines)))
        undo.enter_context(mock.patch.multiple(xlwings, func=xlfunc, arg=xlarg, ret=xlret))
        if "officejs" not in engines.engines_by_name:
            engines.add(Engine(impl=OfficeJsEngine()))
        yield importlib.import_module(module)


def price_range(dates: Any, prices: Any, header: str | None) -> list[list[Any]]:
    """A two-column range of dates (serial numbers, as Office.js sends every date) and
    prices, with an optional header row."""
    rows: list[list[Any]] = [[_serial(d), float(p)] for d, p in zip(dates, prices)]
    return ([["Date", header]] if header else []) + rows


def fixture_prices() -> tuple[list[dt.date], list[float], list[float]]:
    """Dates and closes of TSLA and SPY in 2014 (``fixtures/lite/tsla_spy_2014.csv``)."""
    import csv
    from pathlib import Path

    path = Path(__file__).parent / "fixtures" / "lite" / "tsla_spy_2014.csv"
    with open(path, encoding="utf-8") as f:
        rows = list(csv.reader(line for line in f if not line.startswith("#")))[1:]
    return ([dt.date.fromisoformat(r[0]) for r in rows], [float(r[1]) for r in rows],
            [float(r[2]) for r in rows])

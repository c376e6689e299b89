"""The Refresh button (RunPython): inputs block -> :func:`betahedge_xl.beta_hedge` -> plan -> sheet.

``main()`` is called by xlwings' ``RunPython`` from the workbook's button or the ribbon
add-in; ``xw.Book.caller()`` is the analyst's workbook in both cases. The steps are separate
functions so that tests can drive them on xlwings' own engines over a fake Excel (there is no
Excel on our machines).

The outcome is shown where it stays: on macOS xlwings resets the status bar when the macro
returns, so a refresh that ran writes a small "Last refresh" table on the report sheet (when,
from which inputs, the result, the notes); a refresh that stopped or failed changes nothing
and says why in a dialog.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from typing import Any

from ..exceptions import BetaHedgeError, InputError, InsufficientDataError
from ..plan import OutputPlan, Table, build_plan, with_front_page
from . import cells
from . import inputs as inp

#: Prefix of the status-bar text (progress, and the outcome on Windows).
STATUS_PREFIX = "BetaHedge: "
#: Defined name of the "Last refresh" table the refresh writes below the summary.
STATUS_NAME = "bh_status"
STATUS_TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
#: Rows of the "Last refresh" table; the notes are known only once the charts are drawn.
_STATUS_ROWS = ("Refreshed", "From", "Result", "Notes")


def main() -> None:
    """Refresh the calling workbook. Problems are shown to the user, never as a traceback."""
    import xlwings as xw

    book = xw.Book.caller()
    message = refresh(book)
    _show(book, message)


def refresh(book: Any) -> str:
    """Read the inputs, compute, check, draw; return the line to show the user.

    Everything is read, computed and checked before the first write, so that a refresh that
    stops (a cell of the user's where the report goes, a name or sheet of theirs) leaves
    every cell, name, chart and sheet as it was.
    """
    from .drawer import check, draw_checked, read_record, seal

    app = book.app

    def progress(text: str) -> None:
        app.status_bar = STATUS_PREFIX + text

    try:
        progress("reading inputs")
        block, holdings, add = find_inputs(book)
        from .._dates import date_system
        from .grid import uses_1904

        with date_system(uses_1904(book)):  # typed dates: the workbook's serial numbers
            request = inp.read_request(block, holdings)
        progress(f"computing {request.asset} against {request.benchmark}")
        from ..data.yahoo import report_progress
        from . import hedge

        with report_progress(lambda done, total: progress(
                f"prices from Yahoo: {done} of {total} tickers")):
            result = hedge(request.asset, request.benchmark, request.start, request.end,
                           **request.options)
        if request.hedge is not None:
            if result.capital is None:
                raise InputError("Hedge with: give the book's value in Capital")
            result = result.with_hedge(*request.hedge)
        done = (f"{result.name} on {result.benchmark}: beta {result.beta:.3f}, "
                f"{result.n_obs} observations")
        plan = build_plan(result)
        source = (_source(book, isinstance(request.asset, list)) if not add
                  else f"{inp.INPUTS_NAME} ({inp.inputs_ref().lstrip('=')})")
        status = _status_table(plan, source, done)
        # The page to forward, as the .xlsx report prints it first: its own sheet, its
        # charts drawing from this sheet's tables.
        plan = with_front_page(dataclasses.replace(plan, tables=[*plan.tables, status]),
                               result)
        front = plan.front
        assert front is not None
        _check_inputs_clear(book, plan)
        _check_inputs_clear(book, front)
        record = read_record(book)
        backtest_plan, backtest_notes = plan_backtest(book, request, progress, record,
                                                      result.name)
        plans = [plan, front] + ([backtest_plan] if backtest_plan is not None else [])
        works = check(book, plans, record)
        # -- nothing has been written up to here --
        notes = ([f"added the sheet '{inp.INPUTS_SHEET}' with an example: edit it and "
                  f"refresh", *add_inputs(book)] if add else [])
        drawn, now = draw_checked(book, works, record, progress)
        notes = [*notes, *drawn, *backtest_notes]
        _write_notes(book, plan, status, notes)
        seal(book, now)  # what the report's cells hold now: the next refresh compares
        return "; ".join([done, *notes])
    except BetaHedgeError as exc:
        return "stopped: " + cells.message(exc)
    except Exception as exc:  # noqa: BLE001  (a button shows a message, not a traceback)
        return "failed: " + cells.message(exc)
    finally:
        app.status_bar = False  # hand the status bar back to Excel


def _source(book: Any, portfolio: bool) -> str:
    """Where the inputs were read: the block's name and address (and the holdings', when
    they made the asset)."""
    names = {n.name.lower(): n for n in book.names}
    parts = []
    for key in (inp.INPUTS_NAME, inp.HOLDINGS_NAME)[:2 if portfolio else 1]:
        if key in names:
            parts.append(f"{key} ({str(names[key].refers_to).lstrip('=')})")
    return ", ".join(parts)


def _status_table(plan: OutputPlan, source: str, result: str) -> Table:
    """The "Last refresh" table, below the summary (column A, which the charts leave free)."""
    summary = plan.tables[0]
    # Below the lowest table in the summary's columns (a portfolio's positions sit under it).
    below = max(t.last_row for t in plan.tables if t.anchor[1] == summary.anchor[1])
    now = _dt.datetime.now().replace(microsecond=0)
    rows = [[label, value] for label, value in zip(_STATUS_ROWS, (now, source, result, ""),
                                                   strict=True)]
    return Table(name=STATUS_NAME, title="Last refresh", anchor=(below + 2, summary.anchor[1]),
                 header=["Refresh", "Detail"], rows=rows,
                 cell_formats={(0, 1): STATUS_TIME_FORMAT})


def _write_notes(book: Any, plan: OutputPlan, status: Table, notes: list[str]) -> None:
    from .drawer import as_text, report_sheet

    sheet = report_sheet(book, plan.sheet)
    row = status.first_data_row + _STATUS_ROWS.index("Notes")
    sheet.range((row + 1, status.anchor[1] + 2)).value = as_text("; ".join(notes) or "none")


def _check_inputs_clear(book: Any, plan: OutputPlan) -> None:
    """Stop before drawing when the inputs block (or holdings) sits where the report goes.

    The block is the analyst's: the refresh must not write over it, even over its empty
    cells (the holdings rows), which the drawer's check of non-empty cells would let pass.
    """
    from .drawer import same_sheet

    for name in book.names:
        if name.name.lower() not in (inp.INPUTS_NAME, inp.HOLDINGS_NAME):
            continue
        try:
            rng = name.refers_to_range
            sheet_name = rng.sheet.name
        except Exception:  # noqa: BLE001  (no range: read_request has said so already)
            continue
        if not same_sheet(sheet_name, plan.sheet):
            continue
        r0, c0 = rng.row - 1, rng.column - 1
        r1, c1 = r0 + rng.shape[0] - 1, c0 + rng.shape[1] - 1
        for table in plan.tables:
            t0, u0, t1, u1 = table.bounds()
            if r0 <= t1 and t0 <= r1 and c0 <= u1 and u0 <= c1:
                raise InputError(
                    f"the inputs ({name.name}, {str(name.refers_to).lstrip('=')}) are where "
                    f"the report's {table.title!r} goes on the sheet '{sheet_name}': move "
                    f"them to another sheet (cut and paste; the name follows)")


def plan_backtest(book: Any, request: inp.Request, progress: Any, record: Any,
                  name: str) -> tuple[OutputPlan | None, list[str]]:
    """The backtest section (:func:`betahedge_xl.backtest` with its defaults, daily returns)
    for its own sheet, and notes for the user; computed, not drawn.

    A request that cannot be backtested (a year of data is shorter than the 252-day window and
    a month after it) draws nothing, unless an earlier refresh drew a backtest: that sheet then
    gets a line saying why, so that it never shows another request's numbers.
    """
    from ..plan import BACKTEST_SHEET, backtest_note_plan, build_backtest_plan
    from . import backtest

    holdings = {k: request.options[k] for k in ("weights", "shares") if k in request.options}
    try:
        progress("backtesting the estimators")
        result = backtest(request.asset, request.benchmark, request.start, request.end,
                          **holdings)
    except (InputError, InsufficientDataError) as exc:
        if not record.on("cells", BACKTEST_SHEET):
            return None, []
        reason = cells.message(exc)
        return (backtest_note_plan(name, request.benchmark, reason),
                [f"no backtest ({reason})"])
    return build_backtest_plan(result), []


def _show(book: Any, message: str) -> None:
    # Success goes to the status bar (no click needed); a stop or failure must be seen, so it
    # gets a message box (xlwings' App.alert: MessageBox on Windows, a dialog on macOS).
    if message.startswith(("stopped:", "failed:")):
        try:
            book.app.alert(message, title="BetaHedge")
            return
        except Exception:  # noqa: BLE001  (no dialog possible: the status bar keeps it)
            pass
    book.app.status_bar = STATUS_PREFIX + message


def find_inputs(book: Any) -> tuple[Any, Any, bool]:
    """Values of the inputs block and of the holdings table, or the example's when the
    workbook has no block (nothing is added here: see :func:`add_inputs`).

    Returns
    -------
    (block values, holdings values or None, whether the example block is to be added)
    """
    names = {n.name.lower(): n for n in book.names}  # Excel's names ignore case
    if inp.INPUTS_NAME in names:
        block = inp.read_values(names[inp.INPUTS_NAME].refers_to_range)
        holdings = None
        if inp.HOLDINGS_NAME in names:
            holdings = inp.read_values(names[inp.HOLDINGS_NAME].refers_to_range)
        return block, holdings, False
    if any(s.name.lower() == inp.INPUTS_SHEET.lower() for s in book.sheets):
        raise InputError(f"the sheet '{inp.INPUTS_SHEET}' exists but the name "
                         f"{inp.INPUTS_NAME} is missing; re-create the name or delete the "
                         f"sheet to get a fresh example")
    if inp.HOLDINGS_NAME in names:
        theirs = names[inp.HOLDINGS_NAME]
        raise InputError(f"the name {theirs.name} ({str(theirs.refers_to).lstrip('=')}) "
                         f"exists but {inp.INPUTS_NAME} is missing: define {inp.INPUTS_NAME} "
                         f"over your inputs block, or rename {theirs.name} to get the example")
    return [row[:2] for row in inp.example_rows()], None, True


def add_inputs(book: Any) -> list[str]:
    """Add the inputs sheet with the worked example, as the build script lays it out.

    Returns
    -------
    Notes for the user (drop-down lists an Excel refused; the block works without them).
    """
    from .drawer import as_text

    refused: list[str] = []
    sheet = book.sheets.add(inp.INPUTS_SHEET, after=book.sheets[len(book.sheets) - 1])
    r, c = inp.TITLE_CELL
    sheet.range((r + 1, c + 1)).value = as_text(inp.TITLE)
    r, c = inp.FIELDS_ANCHOR
    sheet.range((r + 1, c + 1)).value = [[as_text(v) for v in row] for row in inp.example_rows()]
    for i, f in enumerate(inp.FIELDS):
        if f.number_format:
            sheet.range((r + 1 + i, c + 2)).number_format = f.number_format
        if f.choices:
            # A drop-down (xlwings CE's Range.data_validation, Windows and macOS). Excel
            # refuses another typed value; a pasted one bypasses the list and the reader
            # refuses it with its own message.
            try:
                sheet.range((r + 1 + i, c + 2)).data_validation.set_list(list(f.choices))
            except Exception as exc:  # noqa: BLE001  (an Excel without the call: no list)
                refused.append(f"{f.label} ({_excel_says(exc)})")
    r, c = inp.HOLDINGS_ANCHOR
    sheet.range((r + 1, c + 1)).value = [[as_text(v) for v in inp.HOLDINGS_HEADER]]
    book.names.add(inp.INPUTS_NAME, inp.inputs_ref())
    book.names.add(inp.HOLDINGS_NAME, inp.holdings_ref())
    if refused:
        return [f"no drop-down list for {', '.join(refused)}: type the value"]
    return []


def _excel_says(exc: BaseException) -> str:
    """What Excel said when it refused a call: a COM error (pywin32's ``com_error``: hresult,
    text, excepinfo, argument) carries Excel's own description in its excepinfo; anything
    else is shown as the project shows an unexpected error."""
    args: tuple[Any, ...] = tuple(exc.args)
    info = args[2] if len(args) == 4 else None
    if isinstance(info, tuple) and len(info) > 2 and isinstance(info[2], str) and info[2]:
        return f"Excel: {info[2]}"
    return cells.message(exc)

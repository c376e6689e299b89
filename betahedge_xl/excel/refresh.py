"""The Refresh button (RunPython): inputs block -> :func:`betahedge_xl.beta_hedge` -> plan -> sheet.

``main()`` is called by xlwings' ``RunPython`` from the workbook's button or the ribbon
add-in; ``xw.Book.caller()`` is the analyst's workbook in both cases. The steps are separate
functions so that tests can drive them with a fake book (there is no Excel on our machines).
"""

from __future__ import annotations

from typing import Any

from ..exceptions import BetaHedgeError, InputError
from . import cells
from . import inputs as inp

#: Name of the sheet-level message cell written when a refresh cannot run.
STATUS_PREFIX = "BetaHedge: "


def main() -> None:
    """Refresh the calling workbook. Problems are shown to the user, never as a traceback."""
    import xlwings as xw

    book = xw.Book.caller()
    message = refresh(book)
    _show(book, message)


def refresh(book: Any) -> str:
    """Read the inputs, compute, draw; return the line to show the user."""
    from ..plan import build_plan
    from .drawer import draw

    app = book.app

    def progress(text: str) -> None:
        app.status_bar = STATUS_PREFIX + text

    try:
        progress("reading inputs")
        block, holdings, added = find_or_add_inputs(book)
        request = inp.read_request(block, holdings)
        progress(f"computing {request.asset} against {request.benchmark}")
        from . import hedge

        result = hedge(request.asset, request.benchmark, request.start, request.end,
                       **request.options)
        plan = build_plan(result)
        notes = draw(book, plan, progress)
        done = (f"{result.asset} on {result.benchmark}: beta {result.beta:.3f}, "
                f"{result.n_obs} observations")
        if added:
            done += f"; added the sheet '{inp.INPUTS_SHEET}' with an example: edit it and refresh"
        return "; ".join([done, *notes])
    except BetaHedgeError as exc:
        return "stopped: " + cells.message(exc)
    except Exception as exc:  # noqa: BLE001  (a button shows a message, not a traceback)
        return "failed: " + cells.message(exc)
    finally:
        app.status_bar = False  # hand the status bar back to Excel


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


def find_or_add_inputs(book: Any) -> tuple[Any, Any, bool]:
    """Values of the inputs block and of the holdings table; add the example when absent.

    Returns
    -------
    (block values, holdings values or None, whether the block was added)
    """
    names = {n.name: n for n in book.names}
    if inp.INPUTS_NAME in names:
        block = names[inp.INPUTS_NAME].refers_to_range.options(ndim=2).value
        holdings = None
        if inp.HOLDINGS_NAME in names:
            holdings = names[inp.HOLDINGS_NAME].refers_to_range.options(ndim=2).value
        return block, holdings, False
    if any(s.name == inp.INPUTS_SHEET for s in book.sheets):
        raise InputError(f"the sheet '{inp.INPUTS_SHEET}' exists but the name "
                         f"{inp.INPUTS_NAME} is missing; re-create the name or delete the "
                         f"sheet to get a fresh example")
    add_inputs(book)
    return [row[:2] for row in inp.example_rows()], None, True


def add_inputs(book: Any) -> Any:
    """Add the inputs sheet with the worked example, as the build script lays it out."""
    sheet = book.sheets.add(inp.INPUTS_SHEET, after=book.sheets[len(book.sheets) - 1])
    r, c = inp.TITLE_CELL
    sheet.range((r + 1, c + 1)).value = inp.TITLE
    r, c = inp.FIELDS_ANCHOR
    sheet.range((r + 1, c + 1)).value = inp.example_rows()
    for i, f in enumerate(inp.FIELDS):
        if f.number_format:
            sheet.range((r + 1 + i, c + 2)).number_format = f.number_format
    r, c = inp.HOLDINGS_ANCHOR
    sheet.range((r + 1, c + 1)).value = [list(inp.HOLDINGS_HEADER)]
    book.names.add(inp.INPUTS_NAME, inp.inputs_ref())
    book.names.add(inp.HOLDINGS_NAME, inp.holdings_ref())
    return sheet

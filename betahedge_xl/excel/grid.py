"""Reading cells as Excel holds them, the same way on Windows and macOS.

xlwings 0.37.8 cannot read a multi-row, multi-column range with ``err_to_str=True`` on macOS
(``_xlmac.Range.raw_value``: its ``ensure_2d`` returns ``None`` for a list of lists), and reads
a formula whose result is ``""`` as ``None``, like an empty cell. So a range is read twice,
through paths that work on both engines: its values (``ndim=2``) and its formulas (the
formula, or the constant as text; ``""`` only for a truly empty cell). A cell that reads
``None`` but is not empty (an error, or a formula showing ``""``) is then read alone with
``err_to_str``, which xlwings handles for one cell on both platforms.
"""

from __future__ import annotations

from typing import Any


def formulas(rng: Any) -> list[list[str]]:
    """The formula of every cell of ``rng`` (the constant as text; ``""`` when empty)."""
    f = rng.formula
    if f is None:
        return [[""] * rng.shape[1] for _ in range(rng.shape[0])]
    if isinstance(f, str):
        return [[f]]
    rows = [list(r) if isinstance(r, (list, tuple)) else [r] for r in f]
    if rng.shape[0] == 1 and len(rows) == rng.shape[1] and rng.shape[1] > 1 \
            and all(len(r) == 1 for r in rows):
        rows = [[r[0] for r in rows]]
    return [["" if v is None else str(v) for v in r] for r in rows]


def read_values(rng: Any) -> list[list[Any]]:
    """The values of ``rng`` as rows; error cells as their text (``"#N/A"``), a formula
    showing ``""`` as ``None`` (as an empty cell reads)."""
    values = rng.options(ndim=2).value
    texts = formulas(rng)
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            if v is None and texts[i][j] != "":
                cell = rng.sheet.range((rng.row + i, rng.column + j))
                row[j] = cell.options(err_to_str=True).value
    return values


def occupied(rng: Any, texts: list[list[str]] | None = None) -> list[tuple[int, int, str]]:
    """Cells of ``rng`` that hold anything (a value, or a formula whatever it shows), as
    (row offset, column offset, formula or constant text); from ``texts`` (its
    :func:`formulas`, read already) when given."""
    rows = formulas(rng) if texts is None else texts
    return [(i, j, f) for i, row in enumerate(rows) for j, f in enumerate(row) if f != ""]


def uses_1904(book: Any) -> bool:
    """Whether ``book`` (an ``xlwings.Book``) uses the 1904 date system (``Date1904``).

    xlwings CE has no call for it: the native workbook's property, COM on Windows
    (``Date1904``), AppleScript on macOS (``date 1904``). A book that answers neither (no
    Excel) is taken as the 1900 system, Excel's default.
    """
    try:
        api = book.api
    except Exception:  # noqa: BLE001  (no native workbook)
        return False
    for read in (lambda: api.Date1904, lambda: api.date_1904.get()):
        try:
            value = read()
        except Exception:  # noqa: BLE001  (the other platform's object)
            continue
        if isinstance(value, bool):
            return value
    return False

"""What the Refresh drew, recorded in the workbook itself, and the cell helpers it reads by.

A hidden sheet (:data:`RECORD_SHEET`) lists every sheet the Refresh added, cell block it
wrote, defined name and chart it made, with a fingerprint of what each block held when
written. Only what the record lists is ever cleared, replaced or deleted; a block whose cells
no longer match their fingerprint was edited by the analyst, and the Refresh stops.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import BetaHedgeError
from ..plan import a1 as _a1
from .grid import formulas

Rect = tuple[int, int, int, int]  # first_row, first_col, last_row, last_col (0-based)


class OutputInTheWay(BetaHedgeError):
    """A cell the report needs holds something the tool did not write."""


#: The hidden sheet where the Refresh records, in the workbook itself, what it drew: one row
#: per sheet it added, cell block it wrote, defined name and chart it made. Only what this
#: record lists is ever cleared, replaced or deleted; a workbook without it owns nothing.
RECORD_SHEET = "BetaHedge Record"
_RECORD_HEADER = ["Kind", "Sheet", "Item", "Address", "Fingerprint"]
#: Longest fingerprint kept whole in one cell (Excel holds 32,767 characters); a longer one
#: keeps its block and column parts only, and a change is then named by the block.
_PRINT_LIMIT = 30_000


@dataclass
class Record:
    """What earlier refreshes drew: (kind, sheet, item, address) rows, kind one of
    ``sheet``, ``cells``, ``name``, ``chart``. Sheet and item compare without case, as
    Excel compares sheet, name and chart names."""

    rows: list[tuple[str, str, str, str]] = field(default_factory=list)
    #: Fingerprint of what a refresh left in a cell block (see :func:`fingerprint`), by
    #: (sheet in lower case, address); a block without one (drawing cut short, or a record
    #: from before fingerprints) is not compared.
    prints: dict[tuple[str, str], str] = field(default_factory=dict)

    def on(self, kind: str, sheet: str) -> list[tuple[str, str]]:
        return [(i, a) for k, s, i, a in self.rows if k == kind and same_sheet(s, sheet)]

    def has(self, kind: str, sheet: str, item: str = "") -> bool:
        return any(i.lower() == item.lower() for i, _ in self.on(kind, sheet))

    def name_rows(self) -> dict[str, tuple[str, str]]:
        return {i.lower(): (s, a) for k, s, i, a in self.rows if k == "name"}

    def without_sheet(self, sheet: str) -> Record:
        return Record([r for r in self.rows if not same_sheet(r[1], sheet)],
                      {k: v for k, v in self.prints.items() if not same_sheet(k[0], sheet)})

    def fingerprint_of(self, sheet: str, address: str) -> str:
        return self.prints.get((sheet.lower(), address.upper()), "")


def read_record(book: Any) -> Record:
    """The record of what earlier refreshes drew (empty when the workbook has none)."""
    from .grid import read_values

    for sheet in book.sheets:
        if same_sheet(sheet.name, RECORD_SHEET):
            used = sheet.used_range
            values = read_values(sheet.range((1, 1), (max(used.last_cell.row, 1), 5)))
            rows = [["" if v is None else str(v) for v in r[:5]] for r in values[1:]
                    if r and r[0]]
            record = Record([(r[0], r[1], r[2], r[3]) for r in rows])
            record.prints = {(r[1].lower(), r[3].upper()): r[4] for r in rows
                             if r[0] == "cells" and r[4]}
            return record
    return Record()


def fingerprint(texts: list[list[str]]) -> str:
    """A compact fingerprint of a cell block's formulas (each cell's formula, or its constant
    as text: what was written, whatever a formula shows).

    ``v1:<block>:<g>:<row digests>:<column digests>``: the block's 64-bit digest tells whether
    anything changed; a 16-bit digest per column and per group of ``g`` rows tells where (a
    cell is in a changed column and a changed group). ``g`` is 1 unless the block is too
    long for the row digests to fit one cell.
    """
    def digest(cells: list[str], size: int = 2) -> str:
        return hashlib.blake2b("\x1f".join(cells).encode(), digest_size=size).hexdigest()

    n_cols = len(texts[0]) if texts else 0
    block = digest(["\x1e".join("\x1f".join(r) for r in texts)], 8)
    cols = "".join(digest([r[j] for r in texts]) for j in range(n_cols))
    room = (_PRINT_LIMIT - len(cols) - 40) // 4
    group = max(1, -(-len(texts) // max(room, 1)))
    rows = "".join(digest(["\x1e".join("\x1f".join(r) for r in texts[k:k + group])])
                   for k in range(0, len(texts), group))
    return f"v1:{block}:{group}:{rows}:{cols}"


def _changed(texts: list[list[str]], stored: str) -> list[tuple[int, int]]:
    """The cells (offsets in the block) that may differ from what ``stored`` fingerprints;
    none when the block is as it was (or ``stored`` is no fingerprint of this version)."""
    was = stored.split(":")
    now = fingerprint(texts).split(":")
    if len(was) != 5 or was[0] != "v1" or now[1] == was[1]:
        return []
    n_rows, n_cols = len(texts), len(texts[0]) if texts else 0

    def moved(was_part: str, now_part: str, n: int) -> list[int]:
        if len(was_part) != len(now_part):  # another shape: anywhere along it
            return list(range(n))
        return [k for k in range(n) if was_part[4 * k:4 * k + 4] != now_part[4 * k:4 * k + 4]]

    group = int(now[2])
    groups = moved(was[3], now[3], len(now[3]) // 4) if was[2] == now[2] else list(range(
        -(-n_rows // group)))
    rows = [i for k in groups for i in range(k * group, min((k + 1) * group, n_rows))]
    return [(i, j) for i in rows for j in moved(was[4], now[4], n_cols)]


def _check_untouched(sheet: Any, record: Record) -> dict[Rect, list[list[str]]]:
    """Stop when a cell block the Refresh drew on ``sheet`` holds something else now: a value
    or formula the analyst typed over the report's own cells. A cell they emptied is no
    one's: the next drawing fills it again. Returns what each compared block holds."""
    held = {}
    for _, address in record.on("cells", sheet.name):
        stored = record.fingerprint_of(sheet.name, address)
        if not stored:
            continue
        rect = _rect(address)
        texts = held[rect] = formulas(_rng(sheet, rect))
        theirs = [(i, j) for i, j in _changed(texts, stored) if texts[i][j] != ""]
        if not theirs:
            continue
        # The formula, or the constant as the analyst typed it.
        shown = ", ".join(f"{sheet.name}!{_a1(rect[0] + i, rect[1] + j)} ({texts[i][j]})"
                          for i, j in theirs[:5])
        more = f" and {len(theirs) - 5} more" if len(theirs) > 5 else ""
        block = _address_of(rect) if rect[:2] != rect[2:] else _a1(rect[0], rect[1], True)
        raise OutputInTheWay(
            f"{shown}{more}: typed over the report's cells {sheet.name}!{block} since the "
            f"last refresh (the report did not write it); copy it elsewhere and clear it, or "
            f"delete the {sheet.name} sheet")
    return held


def seal(book: Any, record: Record) -> Record:
    """Fingerprint what the record's cell blocks hold now (those without a fingerprint: the
    ones just drawn) and write the record; the next refresh compares against it."""
    sheets = {s.name.lower(): s for s in book.sheets}
    prints = dict(record.prints)
    for kind, where, _, address in record.rows:
        key = (where.lower(), address.upper())
        if kind == "cells" and key not in prints and where.lower() in sheets:
            prints[key] = fingerprint(formulas(_rng(sheets[where.lower()], _rect(address))))
    sealed = Record(record.rows, prints)
    _write_record(book, sealed)
    return sealed


def _write_record(book: Any, record: Record) -> None:
    sheet = None
    for s in book.sheets:
        if same_sheet(s.name, RECORD_SHEET):
            sheet = s
    if sheet is None:
        sheet = book.sheets.add(RECORD_SHEET, after=book.sheets[len(book.sheets) - 1])
        sheet.visible = False
    used = sheet.used_range
    sheet.range((1, 1), (max(used.last_cell.row, 1), 5)).clear_contents()
    rows = [_RECORD_HEADER, *[[*r, record.fingerprint_of(r[1], r[3]) if r[0] == "cells"
                               else ""] for r in dict.fromkeys(record.rows)]]
    sheet.range((1, 1)).value = [[as_text(v) for v in r] for r in rows]


def _address(refers_to: str) -> str:
    """``='Sheet'!$A$1:$B$2`` -> ``$A$1:$B$2``."""
    return refers_to.rsplit("!", 1)[-1].upper()


def _address_of(rect: Rect) -> str:
    r0, c0, r1, c1 = rect
    return f"{_a1(r0, c0, True)}:{_a1(r1, c1, True)}"


def _rect(address: str) -> Rect:
    import re

    m = re.fullmatch(r"\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?", address.upper())
    if m is None:
        raise OutputInTheWay(f"the sheet {RECORD_SHEET} holds {address!r}, not an address: "
                             f"delete that sheet and the report's sheets to start afresh")

    def col(letters: str) -> int:
        n = 0
        for ch in letters:
            n = n * 26 + ord(ch) - 64
        return n - 1

    r0, c0 = int(m.group(2)) - 1, col(m.group(1))
    r1 = int(m.group(4)) - 1 if m.group(4) else r0
    c1 = col(m.group(3)) if m.group(3) else c0
    return r0, c0, r1, c1


def as_text(value: Any) -> Any:
    """``value`` as Excel must receive it to keep text as text.

    Excel reads an assigned string as if typed: ``=x``, ``+x``, ``-x`` and ``@x`` become
    formulas (``-5`` a number), and a leading apostrophe is taken as the text prefix and
    dropped. The apostrophe added here is that prefix: the cell shows, and xlwings reads back,
    the string unchanged.
    """
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "'"):
        return "'" + value
    return value


def same_sheet(a: str, b: str) -> bool:
    """Whether two sheet names are one sheet to Excel (names compare without case)."""
    return a.lower() == b.lower()


def _rng(sheet: Any, rect: Rect) -> Any:
    r0, c0, r1, c1 = rect
    return sheet.range((r0 + 1, c0 + 1), (r1 + 1, c1 + 1))

"""How a result shows: its printed summary, Jupyter's HTML, the summary frame."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .rows import SummaryRows


class Display(SummaryRows):
    """``print``, Jupyter and the summary table of :class:`HedgeResult`."""

    def _repr_html_(self) -> str:
        """The summary (and a book's positions) as HTML tables, for Jupyter."""
        table = self.summary().to_html(index=False, header=False, float_format="{:.6g}".format)
        out = f"<h4>Beta hedge: {self.name} on {self.benchmark}</h4>{table}"
        if self.book is not None:
            out += "<h4>Positions</h4>" + self.book.positions.to_html(float_format="{:.6g}".format)
        return out

    def summary(self) -> pd.DataFrame:
        """The label/value table (what ``=BETA_HEDGE`` spills and ``print`` shows).

        The values are exact; printed (or shown in Jupyter) the table reads as the report's
        cells do (:mod:`betahedge_xl.formats`): percentages, ``<0.001``, dates without a time.
        """
        stats = self._stats()
        cells = np.empty((len(stats), 2), dtype=object)  # one block: a third of a list's cost
        cells[:, 0] = [label for _, label, _ in stats]
        cells[:, 1] = [value for _, _, value in stats]
        table = SummaryFrame(cells, columns=_SUMMARY_COLUMNS, copy=False)  # labels: str
        # Shown as text when displayed, not here: a table read for its numbers (a worksheet
        # spill, a script) never pays for formatting thirty-odd values.
        table.text_rows = ([(key, value) for key, _, value in stats], list(self.benchmarks))
        return table

    def _texts(self, stats: list[tuple[str, str, Any]]) -> list[str]:
        return _texts([(key, value) for key, _, value in stats], self.benchmarks)

    def __str__(self) -> str:
        stats = self._stats()
        return "\n".join(f"{label:<38} {text}"
                         for (_, label, _), text in zip(stats, self._texts(stats)))


_SUMMARY_COLUMNS = pd.Index(["label", "value"])


class SummaryFrame(pd.DataFrame):
    """The summary's label/value DataFrame; printed, its values read as the report shows them.

    Only the display changes: the ``value`` column keeps the exact numbers and dates, and any
    frame derived from it (a slice, a copy) is a plain DataFrame that prints as pandas does.
    """

    _metadata = ["texts", "text_rows"]
    texts: list[str] | None = None
    #: (key, value) rows and benchmark names the texts are made from on first display.
    text_rows: tuple[list[tuple[str, Any]], list[str]] | None = None

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        return pd.DataFrame

    def _display(self) -> pd.DataFrame:
        if self.texts is None and self.text_rows is not None:
            self.texts = _texts(*self.text_rows)
        texts = self.texts
        if texts is None or len(texts) != len(self) or list(self.columns) != ["label", "value"]:
            return pd.DataFrame(self)
        return pd.DataFrame({"label": self["label"], "value": texts}, index=self.index)

    def __repr__(self) -> str:
        return repr(self._display())

    def to_string(self, *args: Any, **kwargs: Any) -> str:  # type: ignore[override]
        return str(self._display().to_string(*args, **kwargs))

    def _repr_html_(self) -> str | None:
        return self._display()._repr_html_()  # type: ignore[operator]


def _texts(rows: list[tuple[str, Any]], benchmarks: list[str]) -> list[str]:
    """Each (key, value) as the report's cell shows it (:func:`betahedge_xl.formats.text`)."""
    from ..formats import text

    return [text(key, value, benchmarks) for key, value in rows]

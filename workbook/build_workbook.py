"""Build ``betahedge.xlsm`` and ``betahedge.xlam`` from the VBA that the pinned xlwings ships.

Run from anywhere, with the project's environment active::

    python workbook/build_workbook.py            # writes workbook/betahedge.xlsm and .xlam

No binary is edited by hand:

* ``betahedge.xlsm`` is written by XlsxWriter. Its VBA project is ``xl/vbaProject.bin`` copied
  byte for byte from xlwings' ``quickstart_standalone.xlsm`` (the template of
  ``xlwings quickstart --standalone``): the full xlwings VBA module of the installed version
  plus ``Module1.SampleCall``, which runs ``import <workbook name>; <workbook name>.main()``.
  The sheets' code names (``ThisWorkbook``, ``Sheet1``, ``Sheet2``) match that project's
  document modules. The sheets hold the inputs block (:mod:`betahedge_xl.excel.inputs`), the
  example formulas, two buttons (Refresh -> ``SampleCall``, Import functions ->
  ``ImportPythonUDFs``) and the ``xlwings.conf`` sheet naming the UDF module.
* ``betahedge.xlam`` is xlwings' ``quickstart_addin_ribbon.xlam`` with only
  ``customUI/customUI.xml`` (the ribbon's labels) rewritten; every other part, the VBA project
  included, is copied unchanged. Its button runs ``RibbonMyAddin.RunMain``, which imports the
  module named like the add-in file: ``betahedge``.

Both outputs are byte-for-byte reproducible (fixed timestamps).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import zipfile
from pathlib import Path

import xlsxwriter
import xlwings

HERE = Path(__file__).resolve().parent
#: The xlwings version whose VBA the files carry; must equal the pin in pyproject.toml.
PINNED_XLWINGS = "0.37.8"
#: The Python module xlwings' quickstart macros import: the workbook's file name.
MODULE = "betahedge"
UDF_MODULE = "betahedge_xl.udfs"
FIXED_TIME = dt.datetime(2024, 1, 1, 0, 0, 0)

RIBBON_XML = """<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui">
    <ribbon>
        <tabs>
            <tab id="betahedgeTab" label="BetaHedge">
                <group id="betahedgeGroup" label="Beta hedge">
                    <button id="betahedgeRefresh" label="Refresh report" size="large" \
onAction="RibbonMyAddin.RunMain" imageMso="Refresh" \
screentip="Rebuild the BetaHedge sheet of the active workbook from its inputs" />
                </group>
            </tab>
        </tabs>
    </ribbon>
</customUI>
"""


def _template(name: str) -> Path:
    if xlwings.__version__ != PINNED_XLWINGS:
        sys.exit(f"xlwings {xlwings.__version__} is installed; the files must carry the VBA of "
                 f"the pinned {PINNED_XLWINGS}: install xlwings=={PINNED_XLWINGS}")
    return Path(xlwings.__file__).with_name(name)


def example_formulas() -> list[tuple[str, str, str]]:
    """(label, formula, note) of the example formulas under the inputs block.

    They refer to the inputs block's value cells, so changing an input recalculates them.
    """
    from betahedge_xl.excel import inputs as inp

    r0, c0 = inp.FIELDS_ANCHOR
    ref = {f.key: _a1(r0 + i, c0 + 1) for i, f in enumerate(inp.FIELDS)}
    args = f"{ref['asset']},{ref['benchmark']},{ref['start']},{ref['end']}"
    return [
        # The first row's cell (the beta) feeds the sizing below it.
        ("Beta", f"=BETA_HEDGE_STAT(\"beta\",{args})", "one number, for use in formulas"),
        ("Beta t-stat", f"=BETA_HEDGE_STAT(\"beta_t\",{args})", ""),
        ("R-squared", f"=BETA_HEDGE_STAT(\"r_squared\",{args})", "share of the variance"),
        ("Hedge 1,000,000 with shares at 200",
         f"=BETA_HEDGE_SIZE({_a1(EXAMPLES_ANCHOR[0] + 1, EXAMPLES_ANCHOR[1] + 1)},1000000,200)",
         "spills: units to short, notional, residual beta"),
        ("Summary", f"=BETA_HEDGE({args})", "spills the label/value table"),
        ("Rolling beta", f"=BETA_HEDGE_ROLLING({ref['asset']},{ref['benchmark']},,"
                         f"{ref['start']},{ref['end']})", "spills date, beta per day"),
    ]


#: Rows the example spills take: the summary's label/value rows and the rolling beta's days
#: (a year of daily returns less the window); cells beyond get no number format.
ROLLING_ROWS = 260


def summary_formats() -> list[str | None]:
    """The number format of each value row of ``=BETA_HEDGE(...)``'s spill, in order.

    A worksheet function hands Excel numbers, never formats: a date is a serial number until
    its cell is formatted as a date. The rows are the worked example's (TSLA on SPY, 2014,
    from the package's sample prices): the report's summary formats, the same statistics.
    """
    import pandas as pd

    import betahedge_xl as bh
    from betahedge_xl.formats import excel_format

    def sample(ticker: str) -> pd.Series:
        from importlib import resources

        path = resources.files("betahedge_xl") / "sample" / f"{ticker}.csv"
        with path.open() as f:
            frame = pd.read_csv(f, index_col="Date", parse_dates=True)
        col = "Adj Close" if "Adj Close" in frame else "Close"
        return frame[col].rename(ticker)

    res = bh.beta_hedge(sample("TSLA"), sample("SPY"), "2014-01-01", "2015-01-01")
    table = res.summary()
    return [excel_format(key, value) for key, value in
            zip(res.stat_names(), table["value"], strict=True)]


#: Where the example formulas start (0-based row, col): two rows below the inputs block.
EXAMPLES_ANCHOR = (2 + 14 + 2, 0)  # FIELDS_ANCHOR row + len(FIELDS) + 2 (a test checks it)
#: Fill and border of the cells an analyst edits (Excel's "Input" cell style colours).
INPUT_FILL = "#FFF2CC"
INPUT_BORDER = "#BFBFBF"
#: The line under the title.
HINT = ("Edit the shaded cells, then press Refresh. Worksheet functions: click "
        "Import functions once (Windows).")


def _a1(row: int, col: int) -> str:
    from betahedge_xl.plan import a1

    return a1(row, col)


def build_xlsm(out: Path) -> Path:
    from betahedge_xl.excel import inputs as inp

    template = _template("quickstart_standalone.xlsm")
    with zipfile.ZipFile(template) as z:
        vba = z.read("xl/vbaProject.bin")
    tmp_vba = out.with_suffix(".vbaProject.bin")
    tmp_vba.write_bytes(vba)
    try:
        wb = xlsxwriter.Workbook(str(out), {"strings_to_numbers": False})
        wb.set_properties({"title": "BetaHedge", "created": FIXED_TIME,
                           "comments": f"xlwings {PINNED_XLWINGS} standalone VBA"})
        wb.set_vba_name("ThisWorkbook")
        wb.add_vba_project(str(tmp_vba))
        bold = wb.add_format({"bold": True})
        title = wb.add_format({"bold": True, "font_size": 13})
        hint = wb.add_format({"font_color": "#444444"})
        note = wb.add_format({"italic": True, "font_color": "#666666"})
        number = wb.add_format({"num_format": "0.0000"})
        from betahedge_xl.plan import DATE_FORMAT

        formats: dict[str | None, xlsxwriter.format.Format] = {}

        def fmt_of(spec: str | None) -> xlsxwriter.format.Format:
            if spec not in formats:
                formats[spec] = wb.add_format({"num_format": spec or "General"})
            return formats[spec]
        header = wb.add_format({"bold": True, "bottom": 1})

        def input_cell(num_format: str | None = None) -> xlsxwriter.format.Format:
            # Excel's "Input" look: what the analyst edits stands out from labels and results.
            spec: dict[str, object] = {"bg_color": INPUT_FILL, "border": 1,
                                       "border_color": INPUT_BORDER, "locked": False,
                                       "align": "left"}
            if num_format:
                spec["num_format"] = num_format
            return wb.add_format(spec)

        ws = wb.add_worksheet(inp.INPUTS_SHEET)
        ws.set_vba_name("Sheet1")
        ws.hide_gridlines(2)
        ws.set_landscape()
        ws.set_paper(9)  # A4; Excel switches to the printer's paper when printing elsewhere
        ws.fit_to_pages(1, 0)  # one page wide
        ws.set_column(0, 0, 34)
        ws.set_column(1, 1, 14)
        ws.set_column(2, 2, 46)
        ws.set_column(4, 5, 16)
        ws.write(*inp.TITLE_CELL, inp.TITLE, title)
        ws.write(inp.TITLE_CELL[0] + 1, inp.TITLE_CELL[1], HINT, hint)
        r0, c0 = inp.FIELDS_ANCHOR
        for i, (f, (label, value, text)) in enumerate(zip(inp.FIELDS, inp.example_rows(),
                                                          strict=True)):
            ws.write(r0 + i, c0, label, bold)
            fmt = input_cell(f.number_format)
            if isinstance(value, dt.datetime):
                ws.write_datetime(r0 + i, c0 + 1, value, fmt)
            elif value is not None:
                ws.write(r0 + i, c0 + 1, value, fmt)
            else:
                ws.write_blank(r0 + i, c0 + 1, None, fmt)
            ws.write(r0 + i, c0 + 2, text, note)
            if f.choices:
                # A drop-down of the values the reader accepts (the Refresh gives the block it
                # adds the same list); a typed value outside it gets Excel's stop alert.
                ws.data_validation(r0 + i, c0 + 1, r0 + i, c0 + 1, {
                    "validate": "list", "source": list(f.choices),
                    "error_title": f.label, "error_message": f"{f.label}: "
                    f"{', '.join(f.choices)}"})
        hr, hc = inp.HOLDINGS_ANCHOR
        ws.write_row(hr, hc, list(inp.HOLDINGS_HEADER), header)
        holding = input_cell()
        for i in range(1, inp.HOLDINGS_ROWS + 1):
            ws.write_blank(hr + i, hc, None, holding)
            ws.write_blank(hr + i, hc + 1, None, holding)
        ws.write(hr + inp.HOLDINGS_ROWS + 1, hc, "Portfolio: fill tickers and weights "
                 "(or share counts);", note)
        ws.write(hr + inp.HOLDINGS_ROWS + 2, hc, "leave empty to hedge the Asset above.", note)
        wb.define_name(inp.INPUTS_NAME, inp.inputs_ref())
        wb.define_name(inp.HOLDINGS_NAME, inp.holdings_ref())

        ws.insert_button(hr, hc + 3, {"macro": "SampleCall", "caption": "Refresh",
                                      "width": 140, "height": 32, "name": "bh_refresh"})
        ws.insert_button(hr + 3, hc + 3, {"macro": "ImportPythonUDFs",
                                          "caption": "Import functions",
                                          "width": 140, "height": 32, "name": "bh_import"})

        er, ec = EXAMPLES_ANCHOR
        ws.write(er, ec, "Example formulas (click Import functions once first)", title)
        value_formats = summary_formats()
        for i, (label, formula, text) in enumerate(example_formulas(), start=1):
            row = er + i
            if label == "Summary":
                row += 8  # room for the sizing spill
            elif label == "Rolling beta":
                row += 8 + len(value_formats) + 2  # below the summary's spill
            ws.write(row, ec, label, bold)
            from betahedge_xl.formats import excel_format

            first = {"R-squared": fmt_of(excel_format("r_squared", 0.5)), "Summary": None,
                     "Rolling beta": None}.get(label, number)
            ws.write_dynamic_array_formula(row, ec + 1, row, ec + 1, formula, first)
            ws.write(row, ec + 3 if label != "Rolling beta" else ec + 4, text, note)
            # A spill takes the formats of the cells it lands on: dates as dates,
            # rates as percentages (the report's formats for the same statistics).
            if label == "Summary":
                for k, spec in enumerate(value_formats):
                    if spec is not None:
                        ws.write_blank(row + k, ec + 1 + 1, None, fmt_of(spec))
            elif label == "Rolling beta":
                for k in range(1, ROLLING_ROWS + 1):
                    ws.write_blank(row + k, ec + 1, None, fmt_of(DATE_FORMAT))
                    ws.write_blank(row + k, ec + 2, None, number)

        conf = wb.add_worksheet("xlwings.conf")
        conf.set_vba_name("Sheet2")
        conf.set_column(0, 0, 16)
        conf.set_column(1, 1, 22)
        # Only keys with a value: an empty Interpreter row would hide the interpreter that
        # "xlwings addin install" writes to the user's xlwings.conf file.
        conf.write(0, 0, "UDF Modules")
        conf.write(0, 1, UDF_MODULE)
        ws.activate()
        wb.close()
    finally:
        tmp_vba.unlink(missing_ok=True)
    _normalise_zip(out)
    return out


def build_xlam(out: Path) -> Path:
    template = _template("quickstart_addin_ribbon.xlam")
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(out, "w",
                                                           zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "customUI/customUI.xml":
                data = RIBBON_XML.encode("utf-8")
            dst.writestr(_zipinfo(info.filename), data)
    return out


def _zipinfo(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _normalise_zip(path: Path) -> None:
    """Rewrite ``path`` with fixed timestamps and order, so builds are byte-identical."""
    with zipfile.ZipFile(path) as z:
        parts = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts:
            z.writestr(_zipinfo(name), data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=HERE)
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for path in (build_xlsm(args.out_dir / f"{MODULE}.xlsm"),
                 build_xlam(args.out_dir / f"{MODULE}.xlam")):
        print(f"wrote {path.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

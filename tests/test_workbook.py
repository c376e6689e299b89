"""The committed workbook and add-in, read back: what an analyst relies on when opening them.

The VBA project is checked by decompressing its module sources (MS-OVBA 2.4.1) out of the OLE
container with ``olefile``; the xlwings module must carry the pinned version and the macros the
buttons and the ribbon name must exist.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

ROOT = Path(__file__).resolve().parents[1]
XLSM = ROOT / "workbook" / "betahedge.xlsm"
XLAM = ROOT / "workbook" / "betahedge.xlam"
PINNED = "0.37.8"
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def ovba_decompress(data: bytes) -> bytes:
    """MS-OVBA 2.4.1 decompression of a CompressedContainer."""
    if not data or data[0] != 1:
        raise ValueError("not an MS-OVBA compressed container")
    out = bytearray()
    pos = 1
    while pos < len(data):
        header = struct.unpack_from("<H", data, pos)[0]
        chunk_end = min(pos + (header & 0x0FFF) + 3, len(data))
        pos += 2
        start = len(out)
        if not header & 0x8000:  # raw chunk
            out += data[pos:pos + 4096]
            pos += 4096
            continue
        while pos < chunk_end:
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if not flags >> bit & 1:
                    out.append(data[pos])
                    pos += 1
                    continue
                token = struct.unpack_from("<H", data, pos)[0]
                pos += 2
                bit_count = max((len(out) - start - 1).bit_length(), 4)
                length = (token & (0xFFFF >> bit_count)) + 3
                offset = (token >> (16 - bit_count)) + 1
                for _ in range(length):
                    out.append(out[-offset])
    return bytes(out)


def vba_modules(package: Path) -> dict[str, str]:
    """Module name -> VBA source text of the package's ``xl/vbaProject.bin``."""
    olefile = pytest.importorskip("olefile")
    with zipfile.ZipFile(package) as z:
        ole = olefile.OleFileIO(io.BytesIO(z.read("xl/vbaProject.bin")))
    d = ovba_decompress(ole.openstream(["VBA", "dir"]).read())
    pos, name, out = 0, None, {}
    while pos < len(d):
        rid, size = struct.unpack_from("<HI", d, pos)
        pos += 6
        if rid == 0x0009:  # PROJECTVERSION: its size field says 4 but 6 bytes follow
            size = 6
        data = d[pos:pos + size]
        pos += size
        if rid == 0x0019:  # MODULENAME
            name = data.decode("latin-1")
        elif rid == 0x0031 and name is not None:  # MODULEOFFSET: source starts here
            offset = struct.unpack("<I", data)[0]
            stream = ole.openstream(["VBA", name]).read()
            out[name] = ovba_decompress(stream[offset:]).decode("latin-1")
    return out


def _xml(package: Path, part: str) -> ET.Element:
    with zipfile.ZipFile(package) as z:
        return ET.fromstring(z.read(part))


def test_every_xml_part_is_well_formed() -> None:
    # What LibreOffice and Excel parse first; a malformed part makes Excel "repair" the file.
    for package in (XLSM, XLAM):
        with zipfile.ZipFile(package) as z:
            assert z.testzip() is None
            for name in z.namelist():
                if name.endswith((".xml", ".rels", ".vml")):
                    ET.fromstring(z.read(name))


def test_xlsm_sheets_names_and_inputs() -> None:
    openpyxl = pytest.importorskip("openpyxl")
    from betahedge_xl.excel import inputs as inp

    wb = openpyxl.load_workbook(XLSM)  # reading only: the VBA is checked below
    assert wb.sheetnames == [inp.INPUTS_SHEET, "xlwings.conf"]
    names = {n: wb.defined_names[n].attr_text for n in wb.defined_names}
    assert names[inp.INPUTS_NAME] == inp.inputs_ref()[1:]
    assert names[inp.HOLDINGS_NAME] == inp.holdings_ref()[1:]
    ws = wb[inp.INPUTS_SHEET]
    block = [[c.value for c in row] for row in ws[names[inp.INPUTS_NAME].split("!")[1]]]
    req = inp.read_request(block)  # the refresh's own reader accepts the built block
    assert req.asset == "TSLA" and req.benchmark == "SPY"
    assert req.start.to_pydatetime() == dt.datetime(2014, 1, 1)
    assert req.end.to_pydatetime() == dt.datetime(2015, 1, 1)
    assert req.options["frequency"] == "daily"
    # the example formulas start below the block, not on its last rows (Capital, Hedge ...)
    last_block_row = ws[names[inp.INPUTS_NAME].split("!")[1]][-1][0].row
    formula_rows = [c.row for row in ws.iter_rows() for c in row  # spills: ArrayFormula
                    if str(getattr(c.value, "text", c.value) or "").startswith("=")]
    assert formula_rows and min(formula_rows) > last_block_row + 1
    conf = wb["xlwings.conf"]
    rows = [[c.value for c in r] for r in conf.iter_rows()]
    # Only keys with values: an empty Interpreter row would mask the user's xlwings.conf.
    assert rows == [["UDF Modules", "betahedge_xl.udfs"]]


def test_xlsm_example_formulas_spill_and_name_real_udfs() -> None:
    root = _xml(XLSM, "xl/worksheets/sheet1.xml")
    formulas = {c.get("r"): (c.get("cm"), c.find("m:f", NS).text)
                for c in root.iter(f"{{{NS['m']}}}c") if c.find("m:f", NS) is not None}
    import betahedge_xl.udfs as udfs

    used = {re.match(r"(\w+)\(", f).group(1) for _, f in formulas.values()}
    assert used <= set(udfs.__all__)
    assert "BETA_HEDGE" in used
    # cm="1" points at the dynamic-array metadata: without it Excel shows =@BETA_HEDGE(...)
    # and only the first cell instead of the spill.
    assert all(cm == "1" for cm, _ in formulas.values())
    meta = _xml(XLSM, "xl/metadata.xml")
    assert any(t.get("name") == "XLDAPR" for t in meta.iter(f"{{{NS['m']}}}metadataType"))


def test_xlsm_buttons_run_macros_that_exist() -> None:
    with zipfile.ZipFile(XLSM) as z:
        vml = [z.read(n).decode() for n in z.namelist() if n.endswith(".vml")]
    macros = re.findall(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", "".join(vml))
    assert macros == ["SampleCall", "ImportPythonUDFs"]
    modules = vba_modules(XLSM)
    assert re.search(r"(?m)^Sub SampleCall\(\)", modules["Module1"])
    # SampleCall imports the module named like the workbook file: betahedge.
    assert 'RunPython "import " & mymodule & ";" & mymodule & ".main()"' in modules["Module1"]
    assert re.search(r"(?m)^Sub ImportPythonUDFs\(\)", modules["xlwings"])


def test_vba_is_the_pinned_xlwings_templates() -> None:
    import xlwings

    assert xlwings.__version__ == PINNED
    for package, template in ((XLSM, "quickstart_standalone.xlsm"),
                              (XLAM, "quickstart_addin_ribbon.xlam")):
        modules = vba_modules(package)
        assert f'Public Const XLWINGS_VERSION As String = "{PINNED}"' in modules["xlwings"]
        assert f"xlwings64-{PINNED}.dll" in modules["xlwings"]
        with zipfile.ZipFile(package) as a, \
                zipfile.ZipFile(Path(xlwings.__file__).with_name(template)) as b:
            # Copied byte for byte: nobody edited the VBA binary.
            assert hashlib.sha256(a.read("xl/vbaProject.bin")).digest() == \
                hashlib.sha256(b.read("xl/vbaProject.bin")).digest()


def test_sheet_code_names_match_the_vba_document_modules() -> None:
    # Excel pairs each sheet with the VBA document module of its code name.
    modules = vba_modules(XLSM)
    root = _xml(XLSM, "xl/workbook.xml")
    assert root.find("m:workbookPr", NS).get("codeName") == "ThisWorkbook"
    for part in ("xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"):
        code = _xml(XLSM, part).find("m:sheetPr", NS).get("codeName")
        assert code in modules


def test_xlam_ribbon_runs_the_betahedge_module() -> None:
    root = _xml(XLAM, "customUI/customUI.xml")
    ns = {"c": "http://schemas.microsoft.com/office/2006/01/customui"}
    tab = root.find(".//c:tab", ns)
    button = root.find(".//c:button", ns)
    assert tab.get("label") == "BetaHedge"
    assert button.get("label") == "Refresh report"
    proc_module, proc = button.get("onAction").split(".")
    source = vba_modules(XLAM)[proc_module]
    assert re.search(rf"(?m)^Sub {proc}\(control As IRibbonControl\)", source)
    assert "ThisWorkbook.Name" in source  # module = add-in file name = betahedge
    with zipfile.ZipFile(XLAM) as z:
        rels = z.read("_rels/.rels").decode()
    assert "customUI/customUI.xml" in rels


def test_build_is_reproducible(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(ROOT / "workbook" / "build_workbook.py"),
                    "--out-dir", str(tmp_path)], check=True, capture_output=True)
    for built in (XLSM, XLAM):
        assert (tmp_path / built.name).read_bytes() == built.read_bytes(), (
            f"{built.name} differs from a fresh build: run workbook/build_workbook.py")


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_libreoffice_opens_the_workbook(tmp_path: Path) -> None:
    from betahedge_xl.excel import inputs as inp

    src = tmp_path / "in.xlsm"
    shutil.copy(XLSM, src)
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "csv", "--outdir", str(tmp_path), str(src)],
                   check=True, capture_output=True, timeout=180)
    text = (tmp_path / "in.csv").read_text(encoding="utf-8", errors="replace")
    assert inp.TITLE in text and "TSLA" in text and "SPY" in text


def test_inputs_look_editable_and_print_on_one_page_wide() -> None:
    openpyxl = pytest.importorskip("openpyxl")
    from betahedge_xl.excel import inputs as inp

    ws = openpyxl.load_workbook(XLSM)[inp.INPUTS_SHEET]
    r0, c0 = inp.FIELDS_ANCHOR
    for i, f in enumerate(inp.FIELDS):
        cell = ws.cell(r0 + i + 1, c0 + 2)
        # Every value cell, filled or empty, is shaded as an input and left unlocked.
        assert cell.fill.fgColor.rgb.endswith("FFF2CC"), f.label
        assert cell.protection.locked is False, f.label
        if f.key == "risk_free":
            assert cell.number_format == "0.00%"  # 2% reads as 2.00%, not 0.02
        if f.key in ("start", "end"):
            assert cell.number_format == "yyyy-mm-dd"
    hr, hc = inp.HOLDINGS_ANCHOR
    for i in range(1, inp.HOLDINGS_ROWS + 1):
        assert ws.cell(hr + i + 1, hc + 1).fill.fgColor.rgb.endswith("FFF2CC")
    assert ws.page_setup.orientation == "landscape"
    # Fit to one page wide (fitToWidth 1 is the format's default, so it may be left out).
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth or 1) == 1 and ws.page_setup.fitToHeight == 0
    assert ws.sheet_view.showGridLines is False


def test_inputs_offer_drop_down_lists() -> None:
    openpyxl = pytest.importorskip("openpyxl")
    from openpyxl.utils import get_column_letter

    from betahedge_xl.excel import cells
    from betahedge_xl.excel import inputs as inp

    ws = openpyxl.load_workbook(XLSM)[inp.INPUTS_SHEET]
    r0, c0 = inp.FIELDS_ANCHOR
    keys = [f.key for f in inp.FIELDS]
    expected = {"frequency": cells.FREQUENCIES, "returns": cells.RETURN_KINDS,
                "cov_type": cells.COV_TYPES, "holdings_type": cells.HOLDINGS_KINDS}
    found = {}
    for dv in ws.data_validations.dataValidation:
        assert dv.type == "list" and dv.showDropDown in (None, False)  # False: arrow shown
        assert dv.showErrorMessage
        for ref in str(dv.sqref).split():
            found[ref] = tuple(dv.formula1.strip('"').split(","))
    assert found == {f"{get_column_letter(c0 + 2)}{r0 + 1 + keys.index(k)}": v
                     for k, v in expected.items()}
    for ref, choices in found.items():  # the example values are among the choices
        assert ws[ref].value in choices


def test_example_spills_show_dates_as_dates_and_r_squared_as_a_percentage() -> None:
    """A worksheet function hands Excel serial numbers: the cells its spill lands on carry
    the formats (checked against the statistics' order of the worked example)."""
    import openpyxl

    import betahedge_xl as bh
    from betahedge_xl.excel import inputs as inp
    from test_analysis import sample_series

    ws = openpyxl.load_workbook(XLSM)[inp.INPUTS_SHEET]
    found = {}
    for row in ws.iter_rows(min_col=1, max_col=2):
        label, cell = row
        if label.value in ("R-squared", "Summary", "Rolling beta"):
            found[label.value] = cell
    assert "%" in found["R-squared"].number_format
    res = bh.beta_hedge(sample_series("TSLA"), sample_series("SPY"), "2014-01-01",
                        "2015-01-01")
    top = found["Summary"].row
    for k, (key, value) in enumerate(zip(res.stat_names(), res.summary()["value"],
                                         strict=True)):
        fmt = ws.cell(row=top + k, column=3).number_format
        if hasattr(value, "year"):
            assert fmt == "yyyy-mm-dd", (key, fmt)
        if key == "r_squared":
            assert "%" in fmt, fmt
    rolling = found["Rolling beta"].row
    n = len(res.rolling_beta.dropna(how="all"))
    for r in (rolling + 1, rolling + n):  # the header row, then a date per day
        assert ws.cell(row=r, column=2).number_format == "yyyy-mm-dd"

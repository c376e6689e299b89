"""The VBA that xlwings' "Import Functions" writes for our UDFs is valid, and the wizard texts fit.

The wrappers come from xlwings' own ``generate_vba_wrapper``, run on metadata made by xlwings'
own Windows decorators (see ``tests/xlwings_harness.py``). What is checked is what would break
in Excel: names that are VBA keywords or look like cell references, duplicates, a parameter
named like its function, clashes with the procedures of the xlwings VBA module, lines beyond
VBA's 1023 characters, and function-wizard texts beyond Excel's 255 characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import xlwings

from xlwings_harness import Harness, xlwings_windows

# VBA keywords and the names the generated body uses (a parameter called "Array" or "Err"
# would shadow them). Case-insensitive, as VBA is.
VBA_RESERVED = {w.lower() for w in """
AddressOf Alias And Any Array As Attribute Base Binary Boolean ByRef Byte ByVal Call Case
CBool CByte CCur CDate CDbl CDec CInt CLng CLngLng CLngPtr Close Compare Const CSng CStr
Currency CVar CVErr Date Debug Decimal Declare DefBool DefByte DefCur DefDate DefDbl DefDec
DefInt DefLng DefObj DefSng DefStr DefVar Dim Do Double Each Else ElseIf Empty End EndIf Enum
Eqv Erase Err Error Event Exit Explicit False For Friend Function Get Global GoSub GoTo If Imp
Implements In Input Integer Is LBound Len Let Lib Like Line Load Lock Long LongLong LongPtr
Loop LSet Me Mid Mod Module Name New Next Not Nothing Null Object On Open Option Optional Or
ParamArray Preserve Print Private Property Public Put RaiseEvent Random Read ReDim Rem Resume
Return RSet Seek Select Set Shared Single Spc Static Step Stop String Sub Tab Text Then Time
To True Type TypeOf UBound Unload Unlock Until Variant Wend While Width With WithEvents Write
Xor Application Caller Range ThisWorkbook ActiveWorkbook XLPy Exit failed
""".split()}

IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,254}$")
# An Excel function name must not read as a cell reference (A1 or R1C1 style).
CELL_LIKE = re.compile(r"^([A-Za-z]{1,3}[0-9]+|[Rr][0-9]*[Cc][0-9]*)$")
SIGNATURE = re.compile(r"^Function (\w+)\((.*)\)$")


@pytest.fixture(scope="module")
def xl() -> Iterator[Harness]:
    with xlwings_windows() as harness:
        yield harness


def _signatures(vba: str) -> dict[str, list[str]]:
    out = {}
    for line in vba.splitlines():
        m = SIGNATURE.match(line)
        if m:
            out[m.group(1)] = [p.strip() for p in m.group(2).split(",") if p.strip()]
    return out


def _xlwings_module_procedures() -> set[str]:
    bas = Path(xlwings.__file__).with_name("xlwings.bas").read_text(encoding="latin-1")
    return {m.lower() for m in re.findall(r"(?im)^\s*(?:Public\s+|Private\s+)?"
                                          r"(?:Function|Sub)\s+(\w+)", bas)}


def test_every_udf_gets_a_wrapper(xl: Harness) -> None:
    sigs = _signatures(xl.vba())
    assert set(sigs) == {
        "BETA_HEDGE", "BETA_HEDGE_STAT", "BETA_HEDGE_SERIES", "BETA_HEDGE_ROLLING",
        "BETA_HEDGE_PRICES", "BETA_HEDGE_SIZE", "BETA_HEDGE_PORTFOLIO", "BETA_HEDGE_BACKTEST",
        "BETA_HEDGE_POSITIONS",
    }


def vba_problems(vba: str) -> list[str]:
    """What would break in Excel, in the wrappers ``generate_vba_wrapper`` wrote."""
    problems = []
    sigs = _signatures(vba)
    xlwings_procs = _xlwings_module_procedures()
    assert "runpython" in xlwings_procs  # the parse of xlwings.bas found its procedures
    for fname, params in sigs.items():
        if not IDENT.match(fname) or CELL_LIKE.match(fname):
            problems.append(f"function name {fname} is not a valid Excel function name")
        if fname.lower() in VBA_RESERVED | xlwings_procs:
            problems.append(f"function name {fname} is reserved in VBA or xlwings' module")
        names = []
        seen_optional = False
        for p in params:
            words = p.split()
            if words[0] == "Optional":
                seen_optional = True
                words = words[1:]
            elif seen_optional:
                problems.append(f"{fname}: required {p} after an Optional one")
            if len(words) != 1:
                problems.append(f"{fname}: parameter {p!r} is not one word")
            names.append(words[-1])
        for n in names:
            if not IDENT.match(n):
                problems.append(f"{fname}: parameter {n} is not a VBA identifier")
            if n.lower() in VBA_RESERVED:
                problems.append(f"{fname}: parameter {n} is reserved in VBA")
            if n.lower() == fname.lower():
                problems.append(f"{fname}: parameter {n} is named like its function")
        if len({n.lower() for n in names}) != len(names):
            problems.append(f"{fname}: parameters differ only in case")
    for line in vba.splitlines():
        if len(line) > 1023:
            problems.append(f"line longer than VBA's 1023 characters: {line[:40]}")
    # Blocks balance: every Function ends, every #If ends.
    if vba.count("\nEnd Function") + vba.startswith("End Function") != len(sigs):
        problems.append("unbalanced Function blocks")
    if not vba.count("#If App") == vba.count("#End If") == len(sigs):
        problems.append("unbalanced #If blocks")
    return problems


def test_wrapper_names_are_valid_vba_and_excel_names(xl: Harness) -> None:
    assert vba_problems(xl.vba()) == []


BAD_UDFS = '''
import xlwings as xw


@xw.func
def LOG10(x, end=None):
    return x


@xw.func
def Clean(Range, clean=None, CLEAN2=None, clean2=None):
    return Range


@xw.func
def RunPython(x):
    return x
'''


def test_the_check_catches_bad_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Proof that the check above would fail: a module with the mistakes it looks for, through
    # the same xlwings machinery.
    (tmp_path / "bad_udfs.py").write_text(BAD_UDFS, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    with xlwings_windows("bad_udfs") as bad:
        problems = vba_problems(bad.vba())
    assert "function name LOG10 is not a valid Excel function name" in problems  # cell LOG10
    assert "LOG10: parameter end is reserved in VBA" in problems
    assert "Clean: parameter Range is reserved in VBA" in problems
    assert "Clean: parameter clean is named like its function" in problems
    assert "Clean: parameters differ only in case" in problems
    assert "function name RunPython is reserved in VBA or xlwings' module" in problems


def test_wrappers_for_an_addin_use_the_active_workbook(xl: Harness) -> None:
    assert "ActiveWorkbook, Application.Caller" in xl.vba("betahedge.xlam")
    assert "ThisWorkbook, Application.Caller" in xl.vba("betahedge.xlsm")


def test_function_wizard_texts_fit_excel(xl: Harness) -> None:
    for name in _signatures(xl.vba()):
        info = getattr(xl.module, name).__xlfunc__
        assert info["category"] == "BetaHedge"
        for arg in info["args"]:
            if arg["name"] == "caller":  # the calling cell, not an argument Excel shows
                continue
            assert not arg["doc"].startswith("Positional argument"), (name, arg["name"])
            assert len(arg["doc"]) <= 255, (name, arg["name"])


def test_wizard_description_reads_as_one_whole_paragraph(xl: Harness) -> None:
    # xlwings' import_udfs sends Application.MacroOptions(Description=ret["doc"][:255]): by
    # default the whole docstring, numpydoc sections and indentation included.
    for name in _signatures(xl.vba()):
        func = getattr(xl.module, name)
        sent = func.__xlfunc__["ret"]["doc"][:255]
        first_paragraph = " ".join(func.__doc__.strip().split("\n\n")[0].split())
        assert sent == first_paragraph, name  # whole: never cut in a sentence
        assert 40 < len(sent) <= 255 and sent.endswith("."), (name, sent)
        for noise in ("\n", "  ", "Returns", "Parameters", "---", "``"):
            assert noise not in sent, (name, noise, sent)

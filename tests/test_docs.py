"""The documentation runs: every command and snippet in README.md, docs/ and workbook/.

What a fenced block means here (so that a writer knows what will be checked):

- ```` ```python ````: executed, in order, in one namespace per document; it must not raise.
- ```` ```pycon ````: a doctest in that same namespace; what it prints is compared
  (``...`` and runs of whitespace match as in doctest's ELLIPSIS and NORMALIZE_WHITESPACE).
- ```` ```console ````: ``$ betahedge ...`` lines are run (a trailing ``\\`` continues a line); the
  lines below a command are an excerpt of what it prints: each must appear, in that order.
- ```` ```bash ````: each line starting ``betahedge`` is run and must succeed (a ``# comment``
  after it is dropped). Other lines (``pip``, ``pytest``, ``python benchmarks/...``) are what CI
  (``.ci/run``) and a developer run; they are not run here.
- ```` ```csv NAME ````: written to ``NAME`` in the document's working folder before its commands run.

Everything runs offline on the package's sample prices (``betahedge_xl/sample``), with TSLA and
SPY extended to 2011-2017 from the same export (``tests/fixtures/docs``) for the backtest.
Figures quoted in prose are checked in ``test_prose_figures`` against what the package computes.
"""
from __future__ import annotations

import contextlib
import doctest
import io
import re
import shlex
import shutil
import sys
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "betahedge_xl" / "sample"
EXTRA = Path(__file__).resolve().parent / "fixtures" / "docs"
DOCS = sorted([ROOT / "README.md", ROOT / "workbook" / "README.md",
               ROOT / "workbook" / "checklist.md", *(ROOT / "docs").glob("*.md")])

FENCE = re.compile(r"^( {0,3})```([^\n`]*)\n(.*?)^ {0,3}```\s*$", re.S | re.M)


@dataclass
class Block:
    lang: str
    arg: str
    text: str
    line: int


def blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        info = m.group(2).split()
        body = textwrap.dedent(m.group(3)) if m.group(1) else m.group(3)
        out.append(Block(info[0] if info else "", " ".join(info[1:]), body,
                         text.count("\n", 0, m.start()) + 2))
    return out


def prose(path: Path) -> str:
    """The text outside fenced blocks."""
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


# ---------------------------------------------------------------------------------------------
# Shape of the README; links
# ---------------------------------------------------------------------------------------------
def test_readme_is_short_and_keeps_the_quick_start() -> None:
    readme = ROOT / "README.md"
    assert readme.stat().st_size <= 15 * 1024
    text = readme.read_text(encoding="utf-8")
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [b.text.strip().splitlines() for b in blocks(readme)
                if f"```{b.lang}\n{b.text}" in quick]
    assert commands == [['pip install . && betahedge demo', 'pip install ".[test]" && pytest']]


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def anchors(doc: Path) -> set[str]:
    """GitHub's anchors of a Markdown file: its headings' slugs and explicit ids."""
    text = prose(doc)
    slugs = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
             for h in re.findall(r"^#+ (.*)$", text, re.M)}
    return slugs | set(re.findall(r'<a id="([^"]+)">', text))


@pytest.mark.parametrize("doc", DOCS, ids=_rel)
def test_relative_links_resolve(doc: Path) -> None:
    bad = []
    for target in LINK.findall(prose(doc)):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path, _, anchor = target.partition("#")
        if not (doc.parent / path).exists():
            bad.append(target)
        elif anchor and anchor not in anchors(doc.parent / path):
            bad.append(target)
    assert not bad, f"{_rel(doc)}: links that lead nowhere: {bad}"


def test_every_doc_is_reachable_from_the_readme() -> None:
    seen, todo = set(), [ROOT / "README.md"]
    while todo:
        doc = todo.pop().resolve()
        if doc in seen or doc.suffix != ".md":
            continue
        seen.add(doc)
        todo += [doc.parent / t.split("#", 1)[0] for t in LINK.findall(prose(doc))
                 if not re.match(r"[a-z]+:", t) and not t.startswith("#")]
    assert {d.resolve() for d in DOCS} <= seen


def test_docs_name_no_machine_path_and_no_moving_module_file() -> None:
    # the house is being restructured: docs name commands, packages and public names
    # (betahedge_xl.engine, bh.beta_hedge), not the files that hold them today
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        assert "/work/" not in text and "/root/" not in text, _rel(doc)
        assert not re.findall(r"betahedge_xl/\w+\.py", text), _rel(doc)


# ---------------------------------------------------------------------------------------------
# Running the documents
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def doc_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "prices"
    data.mkdir()
    for src in [*SAMPLE.glob("*.csv"), *EXTRA.glob("*.csv")]:
        shutil.copy(src, data / src.name)  # the fixtures' TSLA and SPY replace the sample's
    work = tmp_path / "work"
    work.mkdir()
    shutil.copytree(SAMPLE, work / "prices")  # a folder of <TICKER>.csv files to import
    monkeypatch.setenv("BETAHEDGE_DATA_DIR", str(data))
    for var in ("HOME", "APPDATA", "USERPROFILE"):
        monkeypatch.setenv(var, str(tmp_path / "home"))
    monkeypatch.chdir(work)
    from betahedge_xl.data import clear_memory

    clear_memory()
    return work


def commands(text: str, prompt: str) -> list[tuple[str, list[str]]]:
    """(command, lines shown below it) for each line starting with ``prompt``."""
    out: list[tuple[str, list[str]]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(prompt):
            cmd = line[len(prompt):]
            while cmd.rstrip().endswith("\\") and i + 1 < len(lines):
                i += 1
                cmd = cmd.rstrip()[:-1] + " " + lines[i].strip()
            for part in cmd.split("  #", 1)[0].split("&&"):  # `pip install . && betahedge demo`
                out.append((part.strip(), []))
        elif out and prompt == "$ ":
            out[-1][1].append(line.rstrip())
        i += 1
    return out


def run_cli(cmd: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    from betahedge_xl.cli import main

    argv = shlex.split(cmd)
    assert argv[0] == "betahedge"
    target = None
    if ">" in argv:  # `betahedge hedged ... > hedged.csv`
        at = argv.index(">")
        argv, target = argv[:at], Path(argv[at + 1])
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            monkeypatch.context() as patch:
        if argv[1:3] == ["excel", "setup"]:
            # Excel runs on Windows or macOS: set-up runs as on Windows, into the test's home
            patch.setattr(sys, "platform", "win32")
        rc = main(argv[1:])
    if target is not None:
        target.write_text(out.getvalue(), encoding="utf-8")
        assert out.getvalue(), f"{cmd}: nothing on stdout"
        return rc, err.getvalue()
    return rc, out.getvalue() + err.getvalue()


def excerpt_missing(expected: list[str], actual: str) -> list[str]:
    """The expected lines that do not appear, in order, among the actual ones."""
    got = [ln.rstrip() for ln in actual.splitlines()]
    missing, at = [], 0
    for want in (w for w in expected if w.strip()):
        try:
            at = got.index(want, at) + 1
        except ValueError:
            missing.append(want)
    return missing


@pytest.mark.filterwarnings("ignore::betahedge_xl.DataWarning")  # a doc's short samples warn
@pytest.mark.parametrize("doc", DOCS, ids=_rel)
def test_document_runs(doc: Path, doc_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    where = _rel(doc)
    globs: dict = {"__name__": "__docs__"}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    parser = doctest.DocTestParser()
    for b in blocks(doc):
        if b.lang == "csv" and b.arg:
            (doc_env / b.arg).write_text(b.text, encoding="utf-8")
    for b in blocks(doc):
        label = f"{where}:{b.line}"
        if b.lang == "python":
            exec(compile(b.text, label, "exec"), globs)  # noqa: S102 - the docs' own snippet
        elif b.lang == "pycon":
            test = parser.get_doctest(b.text, globs, label, str(doc), b.line)
            out = io.StringIO()
            result = runner.run(test, out=out.write, clear_globs=False)
            assert result.failed == 0, out.getvalue()
            globs.update(test.globs)  # DocTest works on a copy of the namespace
        elif b.lang in ("bash", "console"):
            for cmd, shown in commands(b.text, "$ " if b.lang == "console" else ""):
                if not cmd.startswith("betahedge"):
                    continue
                rc, printed = run_cli(cmd, monkeypatch)
                assert rc == 0, f"{label}: {cmd} -> status {rc}\n{printed}"
                missing = excerpt_missing(shown, printed)
                assert not missing, f"{label}: {cmd} does not print {missing}\n{printed}"


INLINE = re.compile(r"`(betahedge [^`]+)`")
COMMAND_WORDS = re.compile(r"betahedge( [a-z]+){1,2}")


@pytest.mark.parametrize("doc", DOCS, ids=_rel)
def test_inline_commands_run(doc: Path, doc_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A command quoted in a sentence runs too: a bare command name with ``--help``, the
    placeholders ``DIR`` and ``URL`` filled in; a sketch with ``...`` is the only exception."""
    spans = INLINE.findall(" ".join(prose(doc).split()))
    for n, cmd in enumerate(spans):
        if "..." in cmd:
            continue
        if COMMAND_WORDS.fullmatch(cmd):
            cmd += " --help"
        if " cache import DIR" in cmd:
            cmd = cmd.replace(" DIR", " prices")
        cmd = cmd.replace(" DIR", f" folder{n}").replace(" URL", " https://files.example.com/bh/")
        try:
            rc, printed = run_cli(cmd, monkeypatch)
        except SystemExit as exc:  # argparse's --help
            rc, printed = int(exc.code or 0), ""
        assert rc == 0, f"{_rel(doc)}: `{cmd}` -> status {rc}\n{printed}"


# ---------------------------------------------------------------------------------------------
# Figures quoted in prose
# ---------------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::betahedge_xl.DataWarning")  # 11 monthly returns warn
def test_prose_figures(doc_env: Path) -> None:
    import betahedge_xl as bh

    res = bh.beta_hedge("TSLA", "SPY", "2014-01-01", "2015-01-01")
    bt = bh.backtest("TSLA", "SPY", "2012-01-01", "2018-01-01", cost_bps=5)
    table = bt.table
    claims = {
        "README.md": [
            f"{res.n_obs} returns, beta {res.beta:.3f}, alpha {res.alpha:.4f} a day",
            f"t = {res.alpha_t:.2f}",
            f"`TSLA - {res.beta:.3f} * SPY`",
        ],
        "docs/backtest.md": [
            f"hedged beta {table.loc['ewma', 'hedged_beta']:.3f}",
            f"hedged beta {table.loc['dimson', 'hedged_beta']:.2f}",
            f"{bt.n_days:,} hedged days",
            f"{len(bt.ratios)} rebalances",
        ],
    }
    monthly = bh.beta_hedge("TSLA", "SPY", "2014-01-01", "2015-01-01", frequency="monthly")
    claims["docs/conventions.md"] = [
        f"monthly returns over a calendar year are {monthly.n_obs}, not 12"]
    claims["docs/cli.md"] = [f"`hedged: TSLA - {res.beta:.2f} x SPY`",
                             f"(`Rolling {res.rolling_window}-day beta`)"]
    history = ROOT / "tests" / "fixtures" / "history"
    spy = [set(p.read_text().splitlines()[1:]) for p in
           (history / "long" / "SPY.csv", history / "short" / "SPY.csv")]
    days = {line.split(",")[0] for line in spy[0] | spy[1]}
    claims["docs/prices.md"] = [f"keeps all {len(days):,} days"]
    claims["workbook/checklist.md"] = checklist_claims()
    for name, texts in claims.items():
        text = " ".join(prose(ROOT / name).split())
        for claim in texts:
            assert claim in text, f"{name} should say {claim!r}"
    assert abs(res.hedged_beta) < 1e-9
    assert 0.09 < table.loc["ols", "effectiveness"] < 0.11  # "about a tenth"


def checklist_claims() -> list[str]:
    """What the checklist tells a person with Excel to expect, from the worksheet functions."""
    import datetime as dt

    from betahedge_xl import udfs

    s, e = dt.datetime(2014, 1, 1), dt.datetime(2015, 1, 1)
    beta = udfs.BETA_HEDGE_STAT("beta", "TSLA", "SPY", s, e)
    summary = udfs.BETA_HEDGE("TSLA", "SPY", s, e)               # B32 of the shipped workbook
    sizing = udfs.BETA_HEDGE_SIZE(beta, 1000000, 200)            # B23
    es = dict(udfs.BETA_HEDGE_SIZE(beta, 1000000, 4800, "ES"))
    names = udfs.BETA_HEDGE_STAT("?")
    bt = udfs.BETA_HEDGE_BACKTEST("TSLA", "SPY", dt.datetime(2012, 1, 1),
                                  dt.datetime(2018, 1, 1), 252, "monthly", 5)
    short = udfs.BETA_HEDGE_BACKTEST("TSLA", "SPY", s, e)
    n_obs = udfs.BETA_HEDGE_STAT("n_obs", "TSLA", "SPY", s, e)
    assert "too few returns" in short[0][0]
    assert [r[0] for r in bt][-2:] == ["no hedge", "Best"]
    assert "dates reversed" in udfs.BETA_HEDGE("TSLA", "SPY", e, s)[0][0]
    table = ["| " + " | ".join(f"{v:.4f}" if isinstance(v, float) else str(v) for v in row)
             + " |" for row in bt[1:-1]]
    assert bt[-1][0] == "Best" and not any(bt[-1][2:])
    table.append(f"| Best | {bt[-1][1]} | | | | |")
    return [*table,
            f"`B20` (beta) is about {beta:.2f}",
            f"`B32` spills {len(summary)} rows × {len(summary[0])} columns",
            f"the sizing block spills {len(sizing)} rows",
            f"spills about {es['Contracts to sell']} contracts",
            f"summary (beta about {beta:.2f}, {n_obs} observations)",
            f"spills {len(bt)} rows x {len(bt[0])} columns",
            f"spills {len(names)} rows (name, meaning)",
            f"`=BETA_HEDGE_STAT(\"n_obs\",\"TSLA\",\"SPY\",DATE(2014,1,1),DATE(2015,1,1))` is {n_obs}"]


def test_versions_quoted_are_the_pins() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    pin = re.search(r'"xlwings==([0-9.]+);', pyproject).group(1)
    oldest_calendars = re.search(r'"exchange_calendars>=([0-9.]+)"', pyproject).group(1)
    for doc in DOCS:
        text = prose(doc)
        for quoted in re.findall(r"xlwings ([0-9]+\.[0-9]+\.[0-9]+)", text):
            assert quoted == pin, f"{_rel(doc)} names xlwings {quoted}; the pin is {pin}"
    assert f"Version {oldest_calendars} (the oldest allowed)" in prose(ROOT / "docs" / "prices.md")


# ---------------------------------------------------------------------------------------------
# The workbook that ships, as workbook/README.md and the checklist describe it
# ---------------------------------------------------------------------------------------------
def ws_value(ref: str) -> object:
    import openpyxl

    return openpyxl.load_workbook(ROOT / "workbook" / "betahedge.xlsm")["BetaHedge Inputs"][ref].value


def _workbook_names() -> tuple[set[str], dict[str, str], dict[str, set[str]]]:
    import openpyxl

    wb = openpyxl.load_workbook(ROOT / "workbook" / "betahedge.xlsm", keep_vba=True)
    names = {n: d.attr_text for n, d in wb.defined_names.items()}
    cells = {ws.title: {c.coordinate for row in ws.iter_rows() for c in row
                        if c.value is not None} for ws in wb}
    return set(wb.sheetnames), names, cells


def test_workbook_readme_names_what_the_workbook_has() -> None:
    sheets, names, cells = _workbook_names()
    text = (ROOT / "workbook" / "README.md").read_text(encoding="utf-8")
    inputs = cells["BetaHedge Inputs"]
    block = {f"B{row}" for row in range(3, 17)}  # bh_inputs' value column, asserted below
    assert names["bh_inputs"] == "'BetaHedge Inputs'!$A$3:$B$16"
    for ref in set(re.findall(r"`([A-Z]{1,2}[0-9]{1,3})`", text)):
        assert ref in inputs or ref in block, f"workbook/README.md names {ref}, an empty cell"
    for ref, label in re.findall(r"\| `(B[0-9]+)` \| ([^|`]+?) \|", text):
        assert ws_value("A" + ref[1:]) == label, ref
    for name in set(re.findall(r"`(bh_[a-z_]+)`", text)) & {"bh_inputs", "bh_holdings"}:
        assert name in names
    for name, ref in names.items():
        assert f"`{name}`" in text and ref.split("!")[1] in text, (name, ref)
    for sheet in sheets:
        assert sheet in text
    with zipfile.ZipFile(ROOT / "workbook" / "betahedge.xlsm") as z:
        vml = z.read("xl/drawings/vmlDrawing1.vml").decode()
    for button, cell in (("Refresh", "H3"), ("Import functions", "H6")):
        assert button in vml and f"**{button}**" in text
        col, row = ord(cell[0]) - ord("A"), int(cell[1:]) - 1  # the VML anchor is 0-based
        anchor = vml.split(button, 1)[1].split("<x:Anchor>", 1)[1]
        assert anchor.startswith(f"{col}, 0, {row}, 0"), (button, anchor[:20])
        assert f"{cell} and" in text or f"and {cell}" in text
    with zipfile.ZipFile(ROOT / "workbook" / "betahedge.xlam") as z:
        ribbon = z.read("customUI/customUI.xml").decode()
    assert 'label="BetaHedge"' in ribbon and 'label="Refresh report"' in ribbon
    assert "**BetaHedge > Refresh report**" in text


def test_workbook_formulas_quoted_are_the_workbooks() -> None:
    import openpyxl

    ws = openpyxl.load_workbook(ROOT / "workbook" / "betahedge.xlsm")["BetaHedge Inputs"]
    text = (ROOT / "workbook" / "README.md").read_text(encoding="utf-8")
    for ref, formula in re.findall(r"\| `([A-Z]+[0-9]+)` \| `(=[^`]+)`", text):
        value = ws[ref].value
        assert getattr(value, "text", value) == formula, ref


def test_checklist_cells_exist() -> None:
    sheets, names, cells = _workbook_names()
    text = (ROOT / "workbook" / "checklist.md").read_text(encoding="utf-8")
    for ref in set(re.findall(r"`(B[0-9]+)`", text)):
        assert ref in cells["BetaHedge Inputs"], ref
    for ref in re.findall(r"bh_inputs \('BetaHedge Inputs'!(\$[A-Z]\$\d+:\$[A-Z]\$\d+)\)", text):
        assert names["bh_inputs"] == f"'BetaHedge Inputs'!{ref}"


def test_links_of_the_copied_workbook_folder_resolve_in_it(tmp_path: Path) -> None:
    """Every relative link of the Markdown files ``betahedge workbook DIR`` writes leads to a
    file in DIR: the folder is all a person with Excel may have (docs/ is not shipped)."""
    from betahedge_xl.cli import main

    dest = tmp_path / "wb"
    assert main(["workbook", str(dest)]) == 0
    shipped = sorted(dest.glob("*.md"))
    assert {p.name for p in shipped} == {"README.md", "checklist.md"}
    bad = []
    for doc in shipped:
        text = doc.read_text(encoding="utf-8")
        targets = LINK.findall(text) + re.findall(r"^\s*\[[^\]]+\]:\s*(\S+)", text, re.M)
        for target in targets:
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path, _, anchor = target.partition("#")
            where = (doc.parent / path).resolve()
            if not where.is_file() or dest.resolve() not in where.parents or (
                    anchor and anchor not in anchors(where)):
                bad.append(f"{doc.name}: {target}")
    assert not bad, f"links that lead nowhere in the copied folder: {bad}"
    assert "checklist.md" in LINK.findall((dest / "README.md").read_text(encoding="utf-8"))


def test_workbook_command_copies_the_checklist(tmp_path: Path) -> None:
    from betahedge_xl.cli import main

    assert main(["workbook", str(tmp_path / "wb")]) == 0
    copied = {p.name for p in (tmp_path / "wb").iterdir()}
    assert {"README.md", "checklist.md", "betahedge.xlsm", "betahedge.xlam"} <= copied
    assert (tmp_path / "wb" / "checklist.md").read_text(encoding="utf-8") == \
        (ROOT / "workbook" / "checklist.md").read_text(encoding="utf-8")

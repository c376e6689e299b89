"""Mutation testing by hand: small, realistic changes to the code, one at a time, and the tests
that should notice each. Run from the repository's root (not in CI; it takes a while):

    python tools/mutate.py                          # engine/, data/, excel/: every mutant
    python tools/mutate.py betahedge_xl/engine/ols.py --sample 40 --seed 1
    python tools/mutate.py --list betahedge_xl/data/store.py       # the mutants, not run
    python tools/mutate.py --only 'engine/ols.py:175:'              # ids starting with this

Each mutant is one AST-level change written into a scratch copy of the repository (the
working tree is never touched): a comparison flipped (``<`` to ``<=``, ``==`` to ``!=``), an
``and``/``or`` swapped or one of its conditions dropped, ``not`` removed, an arithmetic operator
swapped, a small integer moved by one, ``any``/``all`` or ``min``/``max`` swapped, a ``.copy()``
or ``np.abs`` removed, a ``raise`` or a ``continue``/``break`` turned into ``pass``, an ``if``
condition negated. The tests of the mutated module (test files that import it or whose name
names it; ``--tests`` to choose) run with a timeout per mutant; a mutant is killed when they
fail or time out. Changes listed in ``tools/mutants_equivalent.txt`` (as ``--list`` prints
them after the id, each under a comment saying why) are judged equivalent and not run.

``--sample N --seed S`` draws N mutants of each package from all of its mutants, equivalents
included (they are counted as such, not run), with a generator seeded by S and the package:
the same command draws the same mutants while the code is unchanged. The files most likely to
notice a mutant run first (the module's own test file, then ``tests/test_mutants_<pkg>.py``),
with ``-x``, so a killed mutant costs little; a survivor runs them all.

The report gives the score per package (killed / non-equivalent) and lists the survivors with
the changed line, so each can be killed by a test or added to the equivalent list with a reason.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("betahedge_xl/engine", "betahedge_xl/data", "betahedge_xl/excel")
EQUIVALENT = ROOT / "tools" / "mutants_equivalent.txt"

CMP_SWAP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
            ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
            ast.In: ast.NotIn, ast.NotIn: ast.In}
CMP_FLIP = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE}
BIN_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
            ast.FloorDiv: ast.Div, ast.Mod: ast.FloorDiv, ast.BitAnd: ast.BitOr,
            ast.BitOr: ast.BitAnd}
NAME_SWAP = {"any": "all", "all": "any", "min": "max", "max": "min", "argmin": "argmax",
             "argmax": "argmin", "nanmin": "nanmax", "nanmax": "nanmin", "minimum": "maximum",
             "maximum": "minimum", "isnan": "isfinite", "startswith": "endswith",
             "endswith": "startswith", "lower": "upper", "first": "last", "last": "first",
             "ffill": "bfill", "bfill": "ffill"}
DROP_CALLS = {"copy", "abs", "strip", "sort_index", "sorted", "float", "int", "round"}


@dataclass
class Mutant:
    path: str          # relative to ROOT
    line: int
    col: int
    op: str
    before: str        # the source segment replaced
    after: str         # its replacement
    start: tuple[int, int]
    end: tuple[int, int]
    text: str = ""     # the source line the change starts on

    @property
    def id(self) -> str:
        return f"{self.path.removeprefix('betahedge_xl/')}:{self.line}:{self.col}:{self.op}"

    @property
    def change(self) -> str:
        """The id without its place: survives edits elsewhere in the file."""
        return (f"{self.path.removeprefix('betahedge_xl/')} | {_short(self.text, 200)} | "
                f"col {self.col} | {_short(self.before, 200)} -> {_short(self.after, 200)}")


def _skip_lines(tree: ast.AST) -> set[int]:
    """Lines of docstrings, annotations and TYPE_CHECKING blocks: changes there mean nothing."""
    skip: set[int] = set()

    def span(n: ast.AST) -> range:
        return range(n.lineno, (n.end_lineno or n.lineno) + 1)  # type: ignore[attr-defined]

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            skip.update(span(body[0]))
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(span(node))
    return skip


def _annotation_nodes(tree: ast.AST) -> set[int]:
    """Annotations, and the values of ``stacklevel=``: changes there change no outcome."""
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "stacklevel":
            ids.update(id(s) for s in ast.walk(node.value))
        ann = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            ann.append(node.returns)
            a = node.args
            for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]:
                if arg is not None:
                    ann.append(arg.annotation)
        elif isinstance(node, ast.AnnAssign):
            ann.append(node.annotation)
        for n in ann:
            if n is not None:
                ids.update(id(s) for s in ast.walk(n))
    return ids


def _replacements(node: ast.AST) -> list[tuple[str, ast.AST | str]]:
    """(operator name, new node or new source) for each mutant of this node."""
    out: list[tuple[str, ast.AST | str]] = []
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            for table, name in ((CMP_SWAP, "cmp"), (CMP_FLIP, "flip")):
                if type(op) in table:
                    new = copy.deepcopy(node)
                    new.ops[i] = table[type(op)]()
                    out.append((f"{name}{i}", new))
    elif isinstance(node, ast.BoolOp):
        new = copy.deepcopy(node)
        new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        out.append(("andor", new))
        for i in range(len(node.values)):
            rest = [v for j, v in enumerate(node.values) if j != i]
            kept = rest[0] if len(rest) == 1 else ast.BoolOp(op=node.op, values=rest)
            out.append((f"drop{i}", copy.deepcopy(kept)))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.Invert)):
        out.append(("notdrop", copy.deepcopy(node.operand)))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        out.append(("negdrop", copy.deepcopy(node.operand)))
    elif isinstance(node, ast.BinOp) and type(node.op) in BIN_SWAP:
        new = copy.deepcopy(node)
        new.op = BIN_SWAP[type(node.op)]()
        out.append(("binop", new))
        if isinstance(node.op, (ast.Sub, ast.Div)):
            new = copy.deepcopy(node)
            new.left, new.right = new.right, new.left
            out.append(("swap", new))
    elif isinstance(node, ast.Constant) and type(node.value) is int and -2 <= node.value <= 16:
        out.append(("plus1", ast.Constant(node.value + 1)))
        if node.value != 0:
            out.append(("minus1", ast.Constant(node.value - 1)))
    elif isinstance(node, ast.Constant) and type(node.value) is bool:
        out.append(("bool", ast.Constant(not node.value)))
    elif isinstance(node, ast.Attribute) and node.attr in NAME_SWAP:
        new = copy.deepcopy(node)
        new.attr = NAME_SWAP[node.attr]
        out.append(("name", new))
    elif isinstance(node, ast.Name) and node.id in NAME_SWAP and node.id in {"any", "all", "min", "max"}:
        out.append(("name", ast.Name(NAME_SWAP[node.id])))
    elif isinstance(node, ast.Call):
        f = node.func
        if isinstance(f, ast.Attribute) and f.attr in DROP_CALLS and not node.args \
                and not node.keywords:
            out.append(("dropcall", copy.deepcopy(f.value)))  # x.copy() -> x
        elif isinstance(f, (ast.Attribute, ast.Name)) and len(node.args) == 1 \
                and not node.keywords and (getattr(f, "attr", None) or getattr(f, "id", None)) \
                in DROP_CALLS:
            out.append(("dropcall", copy.deepcopy(node.args[0])))  # np.abs(x) -> x
    elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
            and node.slice.value in (0, -1):
        new = copy.deepcopy(node)
        new.slice = ast.Constant(-1 if node.slice.value == 0 else 0)
        out.append(("index", new))
    elif isinstance(node, (ast.Raise, ast.Continue, ast.Break)):
        out.append(("stmtpass", "pass"))
    elif isinstance(node, ast.If):
        out.append(("ifnot", "__IFNOT__"))
    return out


def mutants_of(path: Path) -> list[Mutant]:
    src = path.read_text()
    tree = ast.parse(src)
    skip = _skip_lines(tree)
    annotations = _annotation_nodes(tree)
    in_fstring: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            in_fstring.update(id(s) for s in ast.walk(node))
    rel = str(path.relative_to(ROOT))
    out: list[Mutant] = []
    lines = src.splitlines(keepends=True)
    for node in ast.walk(tree):
        if not hasattr(node, "lineno") or node.lineno in skip or id(node) in annotations \
                or id(node) in in_fstring:
            continue
        for op, new in _replacements(node):
            if new == "__IFNOT__":
                test = node.test  # type: ignore[attr-defined]
                seg = ast.get_source_segment(src, test)
                if seg is None:
                    continue
                start = (test.lineno, test.col_offset)
                end = (test.end_lineno, test.end_col_offset)
                before, after = seg, f"not ({seg})"
            elif isinstance(new, str):  # a whole statement replaced
                seg = ast.get_source_segment(src, node)
                if seg is None or "\n" in seg and isinstance(node, ast.If):
                    continue
                start = (node.lineno, node.col_offset)
                end = (node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
                before, after = seg, new
            else:
                seg = ast.get_source_segment(src, node)
                if seg is None:
                    continue
                start = (node.lineno, node.col_offset)
                end = (node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
                before = seg
                after = ast.unparse(new)
                if not isinstance(new, (ast.Name, ast.Constant, ast.Attribute, ast.Call,
                                        ast.Subscript)):
                    after = f"({after})"
            m = Mutant(rel, node.lineno, node.col_offset, op, before, after, start, end,
                       lines[node.lineno - 1].strip())
            if _apply(lines, m) is not None:
                out.append(m)
    out.sort(key=lambda m: (m.line, m.col, m.op))
    return out


def _apply(lines: list[str], m: Mutant) -> str | None:
    """The module's source with the mutant in it (None if it no longer compiles)."""
    (l0, c0), (l1, c1) = m.start, m.end
    # ast offsets are in UTF-8 bytes
    head = "".join(lines[:l0 - 1]) + lines[l0 - 1].encode()[:c0].decode()
    tail = lines[l1 - 1].encode()[c1:].decode() + "".join(lines[l1:])
    text = head + m.after + tail
    try:
        compile(text, m.path, "exec")
    except SyntaxError:
        return None
    return text


def tests_for(module: str, tests_dir: Path) -> list[str]:
    """Test files that import the module or whose name names it."""
    dotted = module.removesuffix(".py").replace("/", ".")       # betahedge_xl.engine.ols
    pkg, stem = dotted.split(".")[-2:]
    pats = [re.compile(rf"\b{re.escape(dotted)}\b"),
            re.compile(rf"from betahedge_xl\.{pkg} import .*\b{stem}\b"),
            re.compile(rf"from \.?{pkg} import .*\b{stem}\b")]
    picked = []
    for f in sorted(tests_dir.glob("test_*.py")):
        text = f.read_text()
        name = f.stem
        if stem in name or any(p.search(text) for p in pats):
            picked.append(str(f.relative_to(tests_dir.parent)))
    if not picked:  # used only through the package: the package's tests
        picked = [str(f.relative_to(tests_dir.parent))
                  for f in sorted(tests_dir.glob(f"test_{pkg}_*.py"))]
    own = tests_dir / f"test_{pkg}.py"  # a package's own tests (analysis/ has test_analysis.py)
    if own.exists() and str(own.relative_to(tests_dir.parent)) not in picked:
        picked.append(str(own.relative_to(tests_dir.parent)))
    extra = tests_dir / f"test_mutants_{pkg}.py"
    if extra.exists() and str(extra.relative_to(tests_dir.parent)) not in picked:
        picked.append(str(extra.relative_to(tests_dir.parent)))
    if dotted.endswith(("engine.estimators", "engine.betas", "engine.walkforward")):
        # the backtest is their user-facing face
        picked.append("tests/test_backtest.py")
    # With -x the run stops at the first failure: the files most likely to notice go first
    # (the one named for the module, then the mutants' own), so a killed mutant costs little.
    return sorted(picked, key=lambda f: (f"_{stem}" not in Path(f).stem,
                                         "test_mutants_" not in f))


def load_equivalent() -> set[str]:
    """The changes listed as equivalent: ``<path>: <before> -> <after>`` lines, each under a
    ``#`` line saying why."""
    out = set()
    if EQUIVALENT.exists():
        for line in EQUIVALENT.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                out.add(line)
    return out


def run(mutants: list[Mutant], scratch: Path, timeout: float, extra_tests: list[str] | None,
        verbose: bool) -> list[tuple[Mutant, str]]:
    results = []
    originals: dict[str, str] = {}
    env = {**os.environ, "PYTHONPATH": str(scratch), "PYTHONDONTWRITEBYTECODE": "1",
           "CI": "1"}
    for i, m in enumerate(mutants, 1):
        target = scratch / m.path
        if m.path not in originals:
            originals[m.path] = target.read_text()
        text = _apply(originals[m.path].splitlines(keepends=True), m)
        assert text is not None
        target.write_text(text)
        tests = extra_tests or tests_for(m.path, scratch / "tests")
        t0 = time.monotonic()
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "pytest", "-x", "-q", "--tb=no", "--no-header",
                 "-p", "no:cacheprovider", "-p", "no:randomly",
                 *tests],
                cwd=scratch, env=env, capture_output=True, text=True, timeout=timeout)
            status = "survived" if proc.returncode == 0 else (
                "killed" if proc.returncode == 1 else f"error{proc.returncode}")
            if proc.returncode not in (0, 1):
                status = "killed"  # an import error or a crash is noticed too
        except subprocess.TimeoutExpired:
            status = "timeout"
        finally:
            target.write_text(originals[m.path])
        results.append((m, status))
        print(f"[{i}/{len(mutants)}] {status:8s} {time.monotonic() - t0:5.1f}s {m.id}: "
              f"{_short(m.before)} -> {_short(m.after)}", flush=True)
        if verbose and status == "survived":
            print("    tests:", " ".join(tests))
    return results


def _short(s: str, n: int = 70) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[:n - 3] + "..."


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*", help="modules or packages (default: engine, data, excel)")
    ap.add_argument("--sample", type=int, help="run this many mutants per package, at random")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", action="append", help="run the mutants whose id starts with this")
    ap.add_argument("--tests", nargs="*", help="test files to run instead of the chosen ones")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per mutant")
    ap.add_argument("--list", action="store_true", help="list the mutants without running")
    ap.add_argument("--json", help="write the results to this file")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)

    paths = [ROOT / p for p in (args.paths or PACKAGES)]
    files = sorted({f for p in paths for f in ([p] if p.is_file() else p.rglob("*.py"))
                    if f.name != "__init__.py" or p.is_file()})
    by_pkg: dict[str, list[Mutant]] = {}
    for f in files:
        for m in mutants_of(f):
            by_pkg.setdefault(str(Path(m.path).parent), []).append(m)
    equivalent = load_equivalent()
    chosen: list[Mutant] = []
    for pkg, ms in sorted(by_pkg.items()):
        if args.only:
            ms = [m for m in ms if any(m.id.startswith(o) for o in args.only)]
        # Drawn from every mutant of the package (equivalents too, which are then counted and
        # not run), with a generator of its own: the same seed draws the same mutants of a
        # package whatever else is asked and whatever the equivalent list says.
        if args.sample and len(ms) > args.sample:
            rng = random.Random(f"{args.seed}:{pkg}")
            ms = sorted(rng.sample(ms, args.sample), key=lambda m: (m.path, m.line, m.col))
        chosen += ms
    if args.list:
        for m in chosen:
            print(f"{m.id}  {m.change}" + ("  [equivalent]" if m.change in equivalent else ""))
        print(f"{len(chosen)} mutants")
        return 0
    skipped = [(m, "equivalent") for m in chosen if m.change in equivalent]
    chosen = [m for m in chosen if m.change not in equivalent]

    with tempfile.TemporaryDirectory(prefix="mutate-") as tmp:
        scratch = Path(tmp)
        for part in ("betahedge_xl", "tests"):
            shutil.copytree(ROOT / part, scratch / part,
                            ignore=shutil.ignore_patterns("__pycache__", ".hypothesis"))
        for f in ("pyproject.toml", "conftest.py"):
            if (ROOT / f).exists():
                shutil.copy2(ROOT / f, scratch / f)
        results = run(chosen, scratch, args.timeout, args.tests, args.verbose)
    results += skipped

    print("\nScore per package (killed / non-equivalent; equivalents listed in "
          f"{EQUIVALENT.relative_to(ROOT)} are not run):")
    summary = {}
    for pkg in sorted({str(Path(m.path).parent) for m, _ in results}):
        rs = [s for m, s in results if str(Path(m.path).parent) == pkg]
        eq = rs.count("equivalent")
        killed = sum(s not in ("survived", "equivalent") for s in rs)
        run_ = len(rs) - eq
        summary[pkg] = {"sampled": len(rs), "equivalent": eq, "run": run_, "killed": killed}
        print(f"  {pkg:24s} sampled {len(rs):4d}  equivalent {eq:3d}  killed {killed:4d} / "
              f"{run_:4d}  {100.0 * killed / max(run_, 1):5.1f}%")
    survivors = [m for m, s in results if s == "survived"]
    if survivors:
        print("\nSurvivors:")
        for m in survivors:
            print(f"  {m.id}: {_short(m.before)} -> {_short(m.after)}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "summary": summary,
            "results": [{"id": m.id, "status": s, "before": m.before, "after": m.after}
                        for m, s in results]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Issue 20, point 1: installable in xlwings Lite (Pyodide), ``pip install .`` on a desktop
unchanged; point 3: ``betahedge lite DIR`` writes main.py, requirements.txt and the wheel.

What Pyodide provides is a fact kept in ``tests/fixtures/pyodide_packages.json`` (copied from
the Pyodide 314.0.7 distribution's ``pyodide-lock.json``). Requirements are evaluated with
``packaging`` for an emscripten environment, as micropip evaluates them in Lite.
"""

from __future__ import annotations

import json
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement

from betahedge_xl.cli import main

ROOT = Path(__file__).resolve().parent.parent
LOCK = json.loads((Path(__file__).parent / "fixtures" / "pyodide_packages.json")
                  .read_text(encoding="utf-8"))
PYODIDE = LOCK["packages"]

#: The marker environment of Pyodide 314.0.7 (Python 3.14.2, emscripten, wasm32).
EMSCRIPTEN = {
    **default_environment(),
    "sys_platform": "emscripten", "platform_system": "Emscripten", "os_name": "posix",
    "platform_machine": "wasm32", "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "python_version": ".".join(LOCK["info"]["python"].split(".")[:2]),
    "python_full_version": LOCK["info"]["python"], "extra": "",
}
LINUX = {**default_environment(), "sys_platform": "linux", "platform_system": "Linux",
         "extra": ""}

#: What `pip install .` asked for on a desktop before Lite support (must stay the same).
DESKTOP = {"xlwings==0.37.8", "yfinance<2,>=1.7", "pandas>=3.0", "numpy>=1.26",
           "platformdirs>=4", "xlsxwriter>=3.1", "matplotlib>=3.8", "exchange_calendars>=4.6"}
#: What Pyodide is asked for: Lite's own xlwings, the rest from the distribution or PyPI.
BROWSER = {"xlwings", "pandas", "numpy", "platformdirs", "exchange-calendars"}


def _name(req: Requirement) -> str:
    return req.name.lower().replace("_", "-")


def _active(lines: list[str], env: dict[str, str]) -> list[Requirement]:
    reqs = [Requirement(line) for line in lines]
    return [r for r in reqs if r.marker is None or r.marker.evaluate(env)]


def _pyproject_requirements() -> list[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(data["project"]["dependencies"])


def _pure_installed(name: str) -> list[str] | None:
    """The requirements of the installed distribution ``name`` if it came from a pure-Python
    wheel (micropip takes such a wheel from PyPI), else ``None``."""
    from importlib import metadata

    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None
    wheel = dist.read_text("WHEEL") or ""
    if "Root-Is-Purelib: true" not in wheel or "py3-none-any" not in wheel:
        return None
    return list(dist.requires or [])


def _closure(names: set[str]) -> set[str]:
    """``names`` and everything the Pyodide packages among them depend on."""
    todo, seen = list(names), set()
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        todo.extend(PYODIDE.get(n, {}).get("depends", []))
    return seen


def check_lite_requirements(lines: list[str], seen: set[str] | None = None
                            ) -> list[Requirement]:
    """Assert what ``lines`` ask of Pyodide can be installed there (and what a pure-Python
    wheel among them asks in turn); return those asked."""
    seen = set() if seen is None else seen
    active = _active(lines, EMSCRIPTEN)
    names = {_name(r) for r in active}
    assert not names & {"yfinance", "curl-cffi", "matplotlib", "xlsxwriter"}, names
    for req in active:
        name = _name(req)
        if name == "xlwings":
            # xlwings Lite's own xlwings: any version, never a pinned platform wheel
            assert not req.specifier, f"xlwings pinned for the browser: {req}"
        elif name in PYODIDE:
            version = PYODIDE[name]["version"]
            assert req.specifier.contains(version, prereleases=True), \
                f"{req}: Pyodide 314.0.7 has {name} {version}"
        else:
            own = _pure_installed(name)
            assert own is not None, f"{req}: neither in Pyodide nor a pure-Python wheel"
            if name not in seen:
                seen.add(name)
                check_lite_requirements(own, seen)
    missing = {n for n in _closure(names - {"xlwings"}) if n not in PYODIDE}
    assert not missing - {n for n in names if _pure_installed(n) is not None}, missing
    return active


def test_pyodide_fixture_is_the_distribution() -> None:
    # The copied facts: the distribution's Python and what the package depends on there.
    assert LOCK["info"]["python"] == "3.14.2" and LOCK["info"]["platform"].startswith("emscr")
    assert len(PYODIDE) == 357
    assert not PYODIDE["pandas"]["pure"] and PYODIDE["platformdirs"]["pure"]
    assert "curl-cffi" not in PYODIDE and "yfinance" not in PYODIDE


def test_requirements_under_emscripten_are_in_pyodide_or_pure() -> None:
    active = check_lite_requirements(_pyproject_requirements())
    assert {_name(r) for r in active} == BROWSER


def test_desktop_install_is_unchanged() -> None:
    active = _active(_pyproject_requirements(), LINUX)
    assert {f"{r.name}{r.specifier}" for r in active} == DESKTOP


def test_the_checker_refuses_what_pyodide_cannot_install() -> None:
    # The check above can fail: the requirements of before this issue do.
    with pytest.raises(AssertionError, match="yfinance"):
        check_lite_requirements(sorted(DESKTOP))
    with pytest.raises(AssertionError, match="pinned"):
        check_lite_requirements(["xlwings==0.37.8"])
    with pytest.raises(AssertionError, match="Pyodide 314.0.7 has pandas"):
        check_lite_requirements(["pandas<3"])


def _wheel_metadata(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        message = Parser().parsestr(zf.read(meta).decode("utf-8"))
    return message.get_all("Requires-Dist") or []


def test_lite_command_writes_main_requirements_and_wheel(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "lite"
    assert main(["lite", str(out), "--url", "https://wheels.example.org/bh/"]) == 0
    printed = capsys.readouterr().out
    wheel = next(out.glob("betahedge_xl-*-py3-none-any.whl"))
    assert sorted(p.name for p in out.iterdir()) == sorted(["main.py", "requirements.txt",
                                                            wheel.name])
    # requirements.txt: the wheel's URL, which the printed steps name as where to serve it
    url = f"https://wheels.example.org/bh/{wheel.name}"
    lines = [ln for ln in (out / "requirements.txt").read_text().splitlines()
             if ln and not ln.startswith("#")]
    assert lines == [url]
    assert f"Serve {wheel.name} at {url}" in printed
    # the built wheel's requirements, under emscripten markers: Pyodide or pure Python only
    active = check_lite_requirements(_wheel_metadata(wheel))
    assert {_name(r) for r in active} == BROWSER
    # a pure-Python wheel holding the package, its RECORD complete, no desktop workbook
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        wheel_info = zf.read(next(n for n in names if n.endswith(".dist-info/WHEEL")))
        record = zf.read(next(n for n in names if n.endswith(".dist-info/RECORD"))).decode()
    assert b"Root-Is-Purelib: true" in wheel_info and b"Tag: py3-none-any" in wheel_info
    assert {"betahedge_xl/lite.py", "betahedge_xl/udfs.py", "betahedge_xl/engine/ols.py",
            "betahedge_xl/excel/cells.py"} <= set(names)
    assert not [n for n in names if n.endswith((".pyc", ".xlsm", ".xlam"))]
    assert {line.split(",")[0] for line in record.splitlines()} == set(names)


def test_lite_command_without_url_says_where_to_host(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lite", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "CORS" in printed and "--url" in printed
    # nothing for Lite to fetch until the URL is known: the line is a comment
    assert all(ln.startswith("#") for ln in
               (tmp_path / "requirements.txt").read_text().splitlines())


def test_lite_command_keeps_the_users_files(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "main.py").write_text("my own code\n")
    assert main(["lite", str(tmp_path)]) != 0
    err = capsys.readouterr().err
    assert "main.py" in err and "--force" in err and len(err.strip().splitlines()) == 1
    assert (tmp_path / "main.py").read_text() == "my own code\n"
    assert not list(tmp_path.glob("*.whl"))
    assert main(["lite", str(tmp_path), "--force"]) == 0
    assert "from betahedge_xl.lite import *" in (tmp_path / "main.py").read_text()


def test_lite_command_refuses_a_url_lite_cannot_fetch(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lite", str(tmp_path), "--url", "wheels/"]) != 0
    assert "--url" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_stale_metadata_is_refused_not_shipped() -> None:
    # An installation from before the markers would send yfinance and a pinned xlwings to
    # the browser; the command refuses to build that wheel.
    from betahedge_xl.cli.lite import _desktop_only

    assert _desktop_only(sorted(DESKTOP)) == ["matplotlib>=3.8", "xlsxwriter>=3.1",
                                              "xlwings==0.37.8", "yfinance<2,>=1.7"]
    assert _desktop_only(_pyproject_requirements()) == []


def test_lite_command_beside_a_source_tree_built_in_place(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``pip install .`` leaves a ``betahedge_xl.egg-info`` (PKG-INFO, no METADATA) in the
    checkout; with the checkout on sys.path (CI runs the tests there) it is found first. The
    wheel takes the installed metadata, and its requirements stay the browser's."""
    import sys
    from importlib import metadata

    tree = tmp_path / "checkout"
    egg = tree / "betahedge_xl.egg-info"
    egg.mkdir(parents=True)
    installed = metadata.distribution("betahedge-xl")
    egg.joinpath("PKG-INFO").write_text(f"Metadata-Version: 2.1\nName: betahedge-xl\n"
                                        f"Version: {installed.version}\n")
    monkeypatch.setattr(sys, "path", [str(tree), *sys.path])
    assert [d.read_text("METADATA") is None
            for d in metadata.distributions(name="betahedge-xl")][0]  # the egg-info first
    out = tmp_path / "lite"
    assert main(["lite", str(out), "--url", "https://wheels.example.org/bh/"]) == 0, \
        capsys.readouterr().err
    wheel = next(out.glob("betahedge_xl-*-py3-none-any.whl"))
    assert {_name(r) for r in check_lite_requirements(_wheel_metadata(wheel))} == BROWSER

"""``betahedge excel setup``: the files Excel reads, at the places xlwings' VBA reads them.

Paths follow HOME (macOS), USERPROFILE and APPDATA (Windows), so each test points them at a
temporary folder; ``--platform`` picks the platform's layout on Linux. What the VBA reads is
checked with xlwings' own reader of its config file (``xlwings.utils.read_user_config``) and
against the ``GetConfigFilePath`` of the VBA the committed workbook and add-in carry.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from betahedge_xl.cli import main

ROOT = Path(__file__).resolve().parents[1]
ADDIN = ROOT / "workbook" / "betahedge.xlam"
MAC_DATA = Path("Library", "Containers", "com.microsoft.Excel", "Data")
MAC_STARTUP = Path("Library", "Group Containers", "UBF8T346G9.Office", "User Content.localized",
                   "Startup.localized", "Excel")


@pytest.fixture()
def homes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    dirs = {k: tmp_path / k.lower() for k in ("HOME", "USERPROFILE", "APPDATA")}
    for k, v in dirs.items():
        monkeypatch.setenv(k, str(v))
    return dirs


def _xlwings_reads(path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The settings as xlwings' own reader of its config file sees them."""
    import xlwings
    import xlwings.utils

    monkeypatch.setattr(xlwings, "USER_CONFIG_FILE", str(path))
    return xlwings.utils.read_user_config()


def _addin_config(path: Path, tmp: Path) -> dict[str, object]:
    """The add-in's own config sheet as xlwings' VBA reads it (GetConfigFromSheet: column A
    keys in upper case, column B values), parsed from the package's XML; {} when the sheet
    is not enabled (named ``myaddin.conf``)."""
    import xml.etree.ElementTree as ET
    import zipfile

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(path) as z:
        names = [e.get("name") for e in ET.fromstring(z.read("xl/workbook.xml")).iterfind(
            ".//m:sheets/m:sheet", ns)]
        if "myaddin.conf" not in names:
            return {}
        shared = ["".join(t.text or "" for t in si.iterfind(".//m:t", ns)) for si in
                  ET.fromstring(z.read("xl/sharedStrings.xml")).iterfind("m:si", ns)]
        sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    cells: dict[str, object] = {}
    for c in sheet.iterfind(".//m:c", ns):
        v = c.find("m:v", ns)
        if c.get("t") == "s" and v is not None:
            cells[c.get("r", "")] = shared[int(v.text or 0)]
        elif c.get("t") == "inlineStr":
            cells[c.get("r", "")] = "".join(t.text or "" for t in c.iterfind(".//m:t", ns))
        elif v is not None:
            cells[c.get("r", "")] = v.text
    rows = sorted({int(r[1:]) for r in cells if r.startswith("A")})
    return {str(cells[f"A{r}"]).upper(): cells.get(f"B{r}") for r in rows}


def _files(root: Path) -> dict[Path, bytes]:
    return {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_windows_setup_writes_folder_configs_and_the_startup_add_in(
    homes: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    books = tmp_path / "books"
    assert main(["excel", "setup", "--platform", "windows", "--workbook-dir", str(books)]) == 0
    out = capsys.readouterr().out
    user, appdata = homes["USERPROFILE"], homes["APPDATA"]
    startup = appdata / "Microsoft" / "Excel" / "XLSTART"
    # The workbook's folder config (read before the user-wide one) and the add-in's own
    # config sheet (read first of all).
    conf = books / "xlwings.conf"
    assert _xlwings_reads(conf, monkeypatch) == {"interpreter_win": sys.executable}
    assert conf.read_bytes().endswith(b"\r\n")  # Windows text, as xlwings writes there
    sheet = _addin_config(startup / "betahedge.xlam", tmp_path)
    assert sheet["INTERPRETER_WIN"] == sys.executable and sheet["INTERPRETER_MAC"] is None
    assert _addin_config(ADDIN, tmp_path) == {}  # the shipped add-in: disabled (_myaddin.conf)
    assert not (startup / "myaddin.conf").exists()
    assert not user.exists()  # the user-wide configs are other tools' too
    assert f"delete {books / 'xlwings.conf'}" in out and "To undo:" in out
    assert "Trust access to the VBA project object model" in out
    assert "betahedge workbook DIR" in out and "Mark of the Web" in out
    assert not (homes["HOME"] / "Library").exists()  # nothing of macOS's layout


def test_macos_setup_uses_excels_startup_folder_and_the_workbooks(
    homes: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    import xlwings

    monkeypatch.chdir(tmp_path)  # the workbook's folder by default: the current one
    assert main(["excel", "setup", "--platform", "macos"]) == 0
    out = capsys.readouterr().out
    home = homes["HOME"]
    assert _xlwings_reads(tmp_path / "xlwings.conf", monkeypatch) == {
        "interpreter_mac": sys.executable}
    sheet = _addin_config(home / MAC_STARTUP / "betahedge.xlam", tmp_path)
    assert sheet["INTERPRETER_MAC"] == sys.executable and sheet["INTERPRETER_WIN"] is None
    script = f"xlwings-{xlwings.__version__}.applescript"
    assert (home / "Library" / "Application Scripts" / "com.microsoft.Excel" / script
            ).read_bytes() == Path(xlwings.__file__).with_name(script).read_bytes()
    assert not (home / MAC_DATA).exists()  # the user-wide configs: untouched
    assert not (home / ".xlwings").exists()
    assert "Cmd-Q" in out and "Enable Macros" in out
    assert not homes["USERPROFILE"].exists() and not homes["APPDATA"].exists()


@pytest.mark.parametrize("platform", ["windows", "macos"])
def test_another_pythons_user_wide_entry_is_left_as_it_was(
    platform: str, homes: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    if platform == "windows":
        confs = [homes["USERPROFILE"] / f".{p}" / f"{p}.conf" for p in ("xlwings", "myaddin")]
        entry = b'"INTERPRETER_WIN","C:\\Other\\python.exe"\r\n'
    else:
        confs = [homes["HOME"] / MAC_DATA / f"{p}.conf" for p in ("xlwings", "myaddin")]
        entry = b'"INTERPRETER_MAC","/opt/other/bin/python3"\n'
    for conf in confs:
        conf.parent.mkdir(parents=True, exist_ok=True)
        conf.write_bytes(entry)
    books = tmp_path / "books"
    assert main(["excel", "setup", "--platform", platform, "--workbook-dir", str(books)]) == 0
    out = capsys.readouterr().out
    assert [c.read_bytes() for c in confs] == [entry, entry]
    assert "not changed: " + ", ".join(str(c) for c in confs) in out
    key = "interpreter_win" if platform == "windows" else "interpreter_mac"
    assert _xlwings_reads(books / "xlwings.conf", monkeypatch) == {key: sys.executable}


def test_the_paths_are_the_ones_the_vba_reads() -> None:
    # GetConfigFilePath of the VBA inside the committed files, and their PROJECT_NAME.
    from betahedge_xl.excel import setup
    from test_workbook import vba_modules

    for package, project in ((ROOT / "workbook" / "betahedge.xlsm", setup.WORKBOOK_PROJECT),
                             (ADDIN, setup.ADDIN_PROJECT)):
        source = vba_modules(package)["xlwings"]
        assert f'Public Const PROJECT_NAME As String = "{project}"' in source
        body = re.search(r"(?ms)^Function GetConfigFilePath\(\).*?^End Function", source)
        assert body is not None
        assert ('GetMacDir("$HOME", False) & "/" & PROJECT_NAME & ".conf"' in body.group(0))
        assert ('Environ("USERPROFILE") & "\\." & PROJECT_NAME & "\\" & PROJECT_NAME & '
                '".conf"') in body.group(0)
        # "path to home folder" inside Excel's sandbox is its container (xlwings' comment).
        assert "~/Library/Containers/com.microsoft.Excel/Data/xlwings.conf" in body.group(0)
        # The folder file the set-up writes is read before the user-wide one.
        get = re.search(r"(?ms)^Function GetConfig\(.*?^End Function", source)
        assert get is not None
        if project == setup.WORKBOOK_PROJECT:  # the workbook: its folder's file first
            folder = re.search(
                r"(?ms)^Function GetDirectoryConfigFilePath\(\).*?^End Function", source)
            assert folder is not None
            assert ('GetDirectoryPath(ThisWorkbook) & pathSeparator & PROJECT_NAME & ".conf"'
                    in folder.group(0))
            assert (get.group(0).index("GetDirectoryConfigFilePath()")
                    < get.group(0).index("GetConfigFilePath()"))
        else:  # the add-in: its own config sheet, before any file
            assert ('If SheetExists(ThisWorkbook, PROJECT_NAME & ".conf") = True Then'
                    in get.group(0))
            assert (get.group(0).index("GetConfigFromSheet(ThisWorkbook)")
                    < get.group(0).index("GetDirectoryConfigFilePath()"))
        assert re.search(r'GetConfig\("INTERPRETER_WIN"', source)
        assert re.search(r'GetConfig\("INTERPRETER_MAC"', source)


def test_an_entry_pointing_elsewhere_is_replaced_and_other_settings_kept(
    homes: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    conf = tmp_path / "books" / "xlwings.conf"
    conf.parent.mkdir(parents=True)
    before = (b'"LICENSE_KEY","abc"\r\n'
              b'"Interpreter_Win","C:\\Old\\python.exe"\r\n'
              b'"SHOW CONSOLE","True"\r\n')
    conf.write_bytes(before)
    args = ["excel", "setup", "--platform", "windows", "--workbook-dir", str(conf.parent)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "(was C:\\Old\\python.exe)" in out
    assert f"set INTERPRETER_WIN back to C:\\Old\\python.exe in {conf}" in out
    after = conf.read_bytes().split(b"\r\n")
    assert after[0] == b'"LICENSE_KEY","abc"' and after[2] == b'"SHOW CONSOLE","True"'
    assert _xlwings_reads(conf, monkeypatch) == {
        "license_key": "abc", "interpreter_win": sys.executable, "show console": "True"}
    # Run again: nothing to change, and it says so.
    assert main(args) == 0
    assert capsys.readouterr().out.count("unchanged") == 2


def test_a_different_add_in_in_the_startup_folder_is_not_replaced_silently(
    homes: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    startup = homes["APPDATA"] / "Microsoft" / "Excel" / "XLSTART"
    startup.mkdir(parents=True)
    (startup / "betahedge.xlam").write_bytes(b"my own add-in")
    assert main(["excel", "setup", "--platform", "windows"]) != 0
    err = capsys.readouterr().err
    assert "already exists and differs" in err and "--force" in err
    assert err.count("\n") == 1
    # Nothing written at all: not the add-in, not the configs.
    assert _files(homes["APPDATA"]) == {Path("Microsoft/Excel/XLSTART/betahedge.xlam"):
                                        b"my own add-in"}
    assert not homes["USERPROFILE"].exists()
    assert not (Path.cwd() / "xlwings.conf").exists()
    assert main(["excel", "setup", "--platform", "windows", "--force"]) == 0
    assert _addin_config(startup / "betahedge.xlam", tmp_path)["INTERPRETER_WIN"] == (
        sys.executable)


def test_dry_run_writes_nothing_and_says_what_it_would(
    homes: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    conf = homes["HOME"] / "books" / "xlwings.conf"
    conf.parent.mkdir(parents=True)
    conf.write_bytes(b'"INTERPRETER_MAC","/usr/bin/python3"\n')
    assert main(["excel", "setup", "--platform", "macos", "--dry-run",
                 "--workbook-dir", str(conf.parent)]) == 0
    out = capsys.readouterr().out
    assert _files(homes["HOME"]) == {Path("books", "xlwings.conf"):
                                     b'"INTERPRETER_MAC","/usr/bin/python3"\n'}
    assert out.count("would write") == 3
    assert f"{conf}: INTERPRETER_MAC = {sys.executable} (was /usr/bin/python3)" in out
    assert str(homes["HOME"] / MAC_STARTUP / "betahedge.xlam") in out


def test_without_platform_another_system_gets_a_message(
    homes: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    assert main(["excel", "setup"]) != 0
    assert "--platform" in capsys.readouterr().err
    monkeypatch.setattr(sys, "platform", "darwin")  # detection picks macOS's layout
    assert main(["excel", "setup", "--dry-run"]) == 0
    assert str(homes["HOME"] / MAC_STARTUP / "betahedge.xlam") in capsys.readouterr().out


def test_a_missing_home_variable_is_named(
    homes: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("APPDATA")
    assert main(["excel", "setup", "--platform", "windows"]) != 0
    assert "APPDATA" in capsys.readouterr().err
    assert not homes["USERPROFILE"].exists()


def test_update_keeps_lines_and_appends_a_missing_key() -> None:
    from betahedge_xl.excel.setup import updated_config

    text, old = updated_config('"A","1"\n"B","2"', "INTERPRETER_MAC", "/py", "\n")
    assert (text, old) == ('"A","1"\n"B","2"\n"INTERPRETER_MAC","/py"\n', None)
    # Every duplicate of the key agrees afterwards (VBA reads the first).
    text, old = updated_config('INTERPRETER_MAC,/a\n"x","y"\n"interpreter_mac","/b"\n',
                               "INTERPRETER_MAC", "/py", "\n")
    assert text == '"INTERPRETER_MAC","/py"\n"x","y"\n"INTERPRETER_MAC","/py"\n'
    assert old == "/a"


def test_an_interpreter_path_the_config_encoding_cannot_hold_is_refused(
    homes: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from betahedge_xl.excel import setup
    from betahedge_xl.exceptions import InputError

    monkeypatch.setattr(setup, "_encoding", lambda: "cp1252")  # Windows' ANSI code page
    monkeypatch.chdir(homes["HOME"].parent)
    with pytest.raises(InputError, match="cannot hold"):
        setup.run("windows", ADDIN, interpreter="C:\\Users\\\u674e\\python.exe",
                  say=lambda text: None)
    assert not homes["USERPROFILE"].exists() and not homes["APPDATA"].exists()
    assert not (homes["HOME"].parent / "xlwings.conf").exists()
    # A cp1252 letter is fine, and written in that encoding (as xlwings' own open() would).
    setup.run("windows", ADDIN, interpreter="C:\\Users\\Jos\u00e9\\python.exe",
              say=lambda text: None)
    conf = homes["HOME"].parent / "xlwings.conf"
    assert conf.read_bytes() == b'"INTERPRETER_WIN","C:\\Users\\Jos\xe9\\python.exe"\r\n'

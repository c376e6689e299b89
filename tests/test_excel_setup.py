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


def _files(root: Path) -> dict[Path, bytes]:
    return {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_windows_setup_writes_both_configs_and_the_startup_add_in(
    homes: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["excel", "setup", "--platform", "windows"]) == 0
    out = capsys.readouterr().out
    user, appdata = homes["USERPROFILE"], homes["APPDATA"]
    for project in ("xlwings", "myaddin"):  # the VBA's PROJECT_NAME of workbook and add-in
        conf = user / f".{project}" / f"{project}.conf"
        assert _xlwings_reads(conf, monkeypatch) == {"interpreter_win": sys.executable}
        assert conf.read_bytes().endswith(b"\r\n")  # Windows text, as xlwings writes there
    startup = appdata / "Microsoft" / "Excel" / "XLSTART" / "betahedge.xlam"
    assert startup.read_bytes() == ADDIN.read_bytes()
    assert "Trust access to the VBA project object model" in out
    assert "betahedge workbook DIR" in out and "Mark of the Web" in out
    assert not (homes["HOME"] / "Library").exists()  # nothing of macOS's layout


def test_macos_setup_uses_excels_container_and_startup_folders(
    homes: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import xlwings

    assert main(["excel", "setup", "--platform", "macos"]) == 0
    out = capsys.readouterr().out
    home = homes["HOME"]
    for name in ("xlwings.conf", "myaddin.conf"):
        assert _xlwings_reads(home / MAC_DATA / name, monkeypatch) == {
            "interpreter_mac": sys.executable}
    assert (home / MAC_STARTUP / "betahedge.xlam").read_bytes() == ADDIN.read_bytes()
    script = f"xlwings-{xlwings.__version__}.applescript"
    assert (home / "Library" / "Application Scripts" / "com.microsoft.Excel" / script
            ).read_bytes() == Path(xlwings.__file__).with_name(script).read_bytes()
    assert not (home / ".xlwings").exists()  # the path the old README gave, wrong on macOS
    assert "Cmd-Q" in out and "Enable Macros" in out
    assert not homes["USERPROFILE"].exists() and not homes["APPDATA"].exists()


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
        assert re.search(r'GetConfig\("INTERPRETER_WIN"', source)
        assert re.search(r'GetConfig\("INTERPRETER_MAC"', source)


def test_an_entry_pointing_elsewhere_is_replaced_and_other_settings_kept(
    homes: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = homes["USERPROFILE"] / ".xlwings" / "xlwings.conf"
    conf.parent.mkdir(parents=True)
    before = (b'"LICENSE_KEY","abc"\r\n'
              b'"Interpreter_Win","C:\\Old\\python.exe"\r\n'
              b'"SHOW CONSOLE","True"\r\n')
    conf.write_bytes(before)
    assert main(["excel", "setup", "--platform", "windows"]) == 0
    assert "(was C:\\Old\\python.exe)" in capsys.readouterr().out
    after = conf.read_bytes().split(b"\r\n")
    assert after[0] == b'"LICENSE_KEY","abc"' and after[2] == b'"SHOW CONSOLE","True"'
    assert _xlwings_reads(conf, monkeypatch) == {
        "license_key": "abc", "interpreter_win": sys.executable, "show console": "True"}
    # Run again: nothing to change, and it says so.
    assert main(["excel", "setup", "--platform", "windows"]) == 0
    assert capsys.readouterr().out.count("unchanged") == 3


def test_a_different_add_in_in_the_startup_folder_is_not_replaced_silently(
    homes: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
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
    assert main(["excel", "setup", "--platform", "windows", "--force"]) == 0
    assert (startup / "betahedge.xlam").read_bytes() == ADDIN.read_bytes()


def test_dry_run_writes_nothing_and_says_what_it_would(
    homes: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    conf = homes["HOME"] / MAC_DATA / "xlwings.conf"
    conf.parent.mkdir(parents=True)
    conf.write_bytes(b'"INTERPRETER_MAC","/usr/bin/python3"\n')
    assert main(["excel", "setup", "--platform", "macos", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert _files(homes["HOME"]) == {MAC_DATA / "xlwings.conf":
                                     b'"INTERPRETER_MAC","/usr/bin/python3"\n'}
    assert out.count("would write") == 4
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
    assert str(homes["HOME"] / MAC_DATA / "myaddin.conf") in capsys.readouterr().out


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
    with pytest.raises(InputError, match="cannot hold"):
        setup.run("windows", ADDIN, interpreter="C:\\Users\\\u674e\\python.exe",
                  say=lambda text: None)
    assert not homes["USERPROFILE"].exists() and not homes["APPDATA"].exists()
    # A cp1252 letter is fine, and written in that encoding (as xlwings' own open() would).
    setup.run("windows", ADDIN, interpreter="C:\\Users\\Jos\u00e9\\python.exe",
              say=lambda text: None)
    conf = homes["USERPROFILE"] / ".xlwings" / "xlwings.conf"
    assert conf.read_bytes() == b'"INTERPRETER_WIN","C:\\Users\\Jos\xe9\\python.exe"\r\n'

"""``betahedge excel setup``: make Excel run this Python, changing only this product's settings.

Excel finds Python through xlwings' VBA, whose ``GetConfig`` reads a setting from, in order:
a ``<PROJECT_NAME>.conf`` sheet in the workbook, a ``<PROJECT_NAME>.conf`` file in the
workbook's own folder (``GetDirectoryConfigFilePath``), then the user-wide file
(``GetConfigFilePath``: ``~/Library/Containers/com.microsoft.Excel/Data/<name>.conf`` on macOS,
``%USERPROFILE%\\.<name>\\<name>.conf`` on Windows), xlwings 0.37.8. The user-wide files are
shared: every other xlwings workbook reads ``xlwings.conf``, every add-in built from xlwings'
ribbon template reads ``myaddin.conf``. So this command never writes them; it writes the
places only this product reads:

=====================  ===================================================================
read by                where the interpreter is written
=====================  ===================================================================
betahedge.xlsm         ``xlwings.conf`` in the workbook's folder (``--workbook-dir``)
betahedge.xlam         the add-in's own ``myaddin.conf`` sheet ("Add-in Sheet Config" of the
                       template's ``GetConfig``, read from ``ThisWorkbook``, the add-in), in
                       the copy put in Excel's startup folder
=====================  ===================================================================

(The add-in's ``GetDirectoryConfigFilePath`` is the *active* workbook's folder, any folder the
analyst works in, so a file there would not reach it.)

(``PROJECT_NAME`` is ``xlwings`` in the standalone workbook's VBA and ``myaddin`` in the ribbon
add-in template ``betahedge.xlam`` is built from.) The key is ``INTERPRETER_MAC`` or
``INTERPRETER_WIN``; each line is ``"KEY","VALUE"``, read with VBA's ``Input #``, first match
wins, key compared without case; every other line of an existing file is kept.

It also copies the add-in into Excel's startup folder (loaded at every start) and, on macOS,
xlwings' AppleScript that RunPython needs (what ``xlwings runpython install`` does). A file of
another content already in the startup folder is not replaced unless asked (``force``).
Nothing is written before every step has been checked; each change is printed with how to
undo it.
"""

from __future__ import annotations

import contextlib
import locale
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..exceptions import InputError

PLATFORMS = ("windows", "macos")
#: ``PROJECT_NAME`` of the VBA the workbook and the add-in carry (see the module docstring).
WORKBOOK_PROJECT = "xlwings"
ADDIN_PROJECT = "myaddin"
ADDIN_FILE = "betahedge.xlam"
_MAC_CONTAINER = ("Library", "Containers", "com.microsoft.Excel", "Data")
_MAC_STARTUP = ("Library", "Group Containers", "UBF8T346G9.Office", "User Content.localized",
                "Startup.localized", "Excel")
_MAC_SCRIPTS = ("Library", "Application Scripts", "com.microsoft.Excel")


@dataclass(frozen=True)
class Step:
    """One file the set-up writes: where, what, and what the user sees about it."""

    path: Path
    content: bytes
    what: str  # "wrote ..." line for the user
    undo: str = ""  # how to undo it, for the user

    @property
    def changes(self) -> bool:
        return not (self.path.is_file() and self.path.read_bytes() == self.content)


def detect_platform() -> str:
    """``"windows"`` or ``"macos"`` for the running system.

    Raises
    ------
    InputError
        Any other system: Excel with xlwings runs on those two only.
    """
    if sys.platform.startswith("win"):
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    raise InputError(f"excel setup: Excel runs on Windows or macOS, this is {sys.platform}; "
                     f"pass --platform windows or --platform macos to prepare the files "
                     f"for one of them")


def _env_dir(name: str) -> Path:
    value = os.environ.get(name, "")
    if not value:
        raise InputError(f"excel setup: the environment variable {name} is not set; it names "
                         f"the folder the set-up writes to")
    return Path(value)


def config_paths(platform: str, workbook_dir: Path) -> list[Path]:
    """The folder config file the workbook reads before the user-wide one."""
    return [workbook_dir / f"{WORKBOOK_PROJECT}.conf"]


#: The add-in template's config sheet, disabled by its leading underscore; rows 1 and 2 are
#: ``Interpreter_Win`` and ``Interpreter_Mac`` (xlwings' quickstart_addin_ribbon.xlam).
_ADDIN_CONF_SHEET = f"_{ADDIN_PROJECT}.conf"
_ADDIN_CONF_ROWS = {"INTERPRETER_WIN": 1, "INTERPRETER_MAC": 2}


def addin_with_interpreter(addin: bytes, key: str, interpreter: str) -> bytes:
    """The add-in with its own config sheet enabled (``myaddin.conf``) and ``key`` set to
    ``interpreter`` there: the add-in then runs that Python whatever the user-wide files say.

    Raises
    ------
    InputError
        The add-in is not the template's layout (its sheet or row is missing).
    """
    import io
    import zipfile
    from xml.sax.saxutils import escape

    row = _ADDIN_CONF_ROWS[key]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(addin)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/workbook.xml":
                old = f'name="{_ADDIN_CONF_SHEET}"'.encode()
                if old not in data:
                    raise InputError(f"excel setup: the add-in has no sheet "
                                     f"{_ADDIN_CONF_SHEET}; rebuild it")
                data = data.replace(old, f'name="{ADDIN_PROJECT}.conf"'.encode())
            elif info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode("utf-8")
                cell = re.search(rf'(<row r="{row}"[^>]*>)(<c r="A{row}"[^>]*>.*?</c>)', text)
                if cell is None or f'r="B{row}"' in text:
                    raise InputError(f"excel setup: the add-in's config sheet has not the "
                                     f"template's row {row}; rebuild it")
                value = (f'<c r="B{row}" s="1" t="inlineStr"><is><t>{escape(interpreter)}'
                         f'</t></is></c>')
                text = (text[:cell.end()] + value + text[cell.end():]).replace(
                    f'<row r="{row}" spans="1:1"', f'<row r="{row}" spans="1:2"')
                data = text.encode("utf-8")
            dst.writestr(info, data)
    return out.getvalue()


def user_config_paths(platform: str) -> list[Path]:
    """The user-wide config files (shared with other xlwings tools: never written here)."""
    if platform == "macos":
        folder = _env_dir("HOME").joinpath(*_MAC_CONTAINER)
        return [folder / f"{WORKBOOK_PROJECT}.conf", folder / f"{ADDIN_PROJECT}.conf"]
    home = _env_dir("USERPROFILE")
    return [home / f".{p}" / f"{p}.conf" for p in (WORKBOOK_PROJECT, ADDIN_PROJECT)]


def startup_dir(platform: str) -> Path:
    """Excel's per-user startup folder (add-ins there load at every start)."""
    if platform == "macos":
        return _env_dir("HOME").joinpath(*_MAC_STARTUP)
    return _env_dir("APPDATA") / "Microsoft" / "Excel" / "XLSTART"


def interpreter_key(platform: str) -> str:
    return "INTERPRETER_MAC" if platform == "macos" else "INTERPRETER_WIN"


def _first_field(line: str) -> str:
    """The key of a config line as VBA's ``Input #`` reads it (quoted or bare, up to the
    first comma)."""
    text = line.strip()
    if text.startswith('"'):
        end = text.find('"', 1)
        return text[1:end] if end > 0 else text[1:]
    return text.split(",", 1)[0].strip()


def updated_config(text: str, key: str, value: str, newline: str) -> tuple[str, str | None]:
    """``text`` of a config file with ``key`` set to ``value``; and the value it had.

    Every line of ``key`` (VBA reads the first, so a later duplicate must not disagree) is
    replaced in place; other lines are kept byte for byte; a missing key is appended.
    """
    lines = text.splitlines(keepends=True)
    entry = f'"{key}","{value}"'
    old: str | None = None
    found = False
    for i, line in enumerate(lines):
        if _first_field(line).lower() != key.lower():
            continue
        if old is None:
            values = re.findall(r'"([^"]*)"', line)
            old = values[1] if len(values) > 1 else line.split(",", 1)[-1].strip()
        ending = line[len(line.rstrip("\r\n")):]
        lines[i] = entry + (ending or newline)
        found = True
    if not found:
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += newline
        lines.append(entry + newline)
    return "".join(lines), old


def _encoding() -> str:
    # What xlwings' own `config create` writes with (open() without an encoding), and what
    # VBA's Input # reads on Windows (the ANSI code page).
    return locale.getpreferredencoding(False)


def plan(platform: str, interpreter: str, addin: Path, force: bool = False,
         workbook_dir: Path | None = None) -> list[Step]:
    """Every file to write, checked; nothing is written.

    Raises
    ------
    InputError
        The interpreter's path cannot go into the file, the add-in is missing, or a different
        file of that name is in the startup folder and ``force`` is not set.
    """
    if platform not in PLATFORMS:
        raise InputError(f"excel setup: platform {platform!r}: use one of "
                         f"{', '.join(PLATFORMS)}")
    if '"' in interpreter:
        raise InputError(f"excel setup: the interpreter path {interpreter} holds a double "
                         f"quote, which xlwings' config files cannot hold")
    newline = "\r\n" if platform == "windows" else "\n"
    key = interpreter_key(platform)
    steps = []
    folder = Path.cwd() if workbook_dir is None else Path(workbook_dir)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"excel setup: {folder} is not a folder; give the folder of "
                         f"betahedge.xlsm with --workbook-dir")
    for path in config_paths(platform, folder):
        if path.is_dir():
            raise InputError(f"excel setup: {path} is a folder; xlwings needs a file there")
        raw = path.read_bytes() if path.is_file() else b""
        text = raw.decode(_encoding(), errors="surrogateescape")
        new, old = updated_config(text, key, interpreter, newline)
        if old is None:
            what = f"{path}: {key} = {interpreter}" + ("" if raw else " (new file)")
            undo = (f"delete {path}" if not raw else
                    f"delete the line \"{key}\" of {path}")
        elif old == interpreter:
            what, undo = f"{path}: {key} already {interpreter}", ""
        else:
            what = f"{path}: {key} = {interpreter} (was {old})"
            undo = f"set {key} back to {old} in {path}"
        try:
            content = new.encode(_encoding(), errors="surrogateescape")
        except UnicodeEncodeError:
            raise InputError(f"excel setup: the interpreter path {interpreter} has characters "
                             f"that {path.name} (encoding {_encoding()}, which Excel's VBA "
                             f"reads) cannot hold; use a Python installed under a path of "
                             f"plain characters") from None
        steps.append(Step(path, content, what, undo))
    if not addin.is_file():
        raise InputError(f"excel setup: the add-in {addin} is not in this installation; "
                         f"reinstall betahedge-xl, or run workbook/build_workbook.py in a "
                         f"source checkout")
    target = startup_dir(platform) / ADDIN_FILE
    content = addin_with_interpreter(addin.read_bytes(), key, interpreter)
    if target.is_dir():
        raise InputError(f"excel setup: {target} is a folder; move it out of Excel's startup "
                         f"folder")
    if target.is_file() and target.read_bytes() != content and not force:
        raise InputError(f"excel setup: {target} already exists and differs from this "
                         f"version's add-in; nothing was written. Close Excel and run again "
                         f"with --force to replace it (an older betahedge add-in), or move "
                         f"your file elsewhere")
    steps.append(Step(target, content, f"{target}: the BetaHedge ribbon add-in, loaded "
                                       f"when Excel starts; {key} = {interpreter} in its own "
                                       f"{ADDIN_PROJECT}.conf sheet",
                      f"delete {target}" if not target.is_file() else
                      "(an earlier betahedge.xlam was replaced)"))
    if platform == "macos":
        script = _applescript()
        dest = _env_dir("HOME").joinpath(*_MAC_SCRIPTS, script.name)
        steps.append(Step(dest, script.read_bytes(), f"{dest}: xlwings' AppleScript, which "
                                                     f"RunPython (the Refresh) calls",
                          f"delete {dest} (other xlwings workbooks may use it too)"))
    return steps


def _applescript() -> Path:
    import xlwings

    return Path(xlwings.__file__).with_name(f"xlwings-{xlwings.__version__}.applescript")


def _write(step: Step) -> None:
    tmp = step.path.with_name(step.path.name + ".betahedge-tmp")
    try:
        step.path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(step.content)
        os.replace(tmp, step.path)  # a half-written file is never left in its place
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise InputError(f"excel setup: cannot write {step.path} ({exc.strerror or exc}); "
                         f"if Excel is open, quit it and run again") from None


def by_hand(platform: str) -> list[str]:
    """What the set-up cannot do: settings only Excel's own dialogs change."""
    if platform == "windows":
        return [
            "Quit Excel if it is open, then start it: the add-in loads at start "
            "(BetaHedge tab on the ribbon).",
            "File > Options > Trust Center > Trust Center Settings > Macro Settings: tick "
            "'Trust access to the VBA project object model' (Import functions writes a VBA "
            "module into the workbook).",
            "Copy the workbook with 'betahedge workbook DIR' and open DIR\\betahedge.xlsm; "
            "click Enable Content (macros). A copy taken out of a downloaded zip is blocked "
            "(Mark of the Web): right-click > Properties > Unblock, or use the copy above.",
            "Click Import functions once, then save the workbook as .xlsm.",
        ]
    return [
        "Quit Excel (Cmd-Q) if it is open, then start it: the add-in loads at start "
        "(BetaHedge tab on the ribbon); click Enable Macros if Excel asks.",
        "Copy the workbook with 'betahedge workbook DIR' and open DIR/betahedge.xlsm; click "
        "Enable Macros.",
        "The first Refresh may ask to grant Excel access to files or folders: grant it.",
        "Worksheet functions (=BETA_HEDGE) need Excel on Windows; the Refresh works here.",
    ]


def run(platform: str | None, addin: Path, dry_run: bool = False, force: bool = False,
        interpreter: str | None = None, say: Callable[[str], None] = print,
        workbook_dir: Path | None = None) -> list[Step]:
    """Check, then (unless ``dry_run``) write every file; tell the user what happened.

    Returns
    -------
    The steps, written or (dry run) not.
    """
    platform = platform or detect_platform()
    interpreter = interpreter or sys.executable
    steps = plan(platform, interpreter, addin, force, workbook_dir)
    say(f"BetaHedge's workbook and add-in (only those) will run Python "
        f"{sys.version.split()[0]} at {interpreter}"
        + (" (dry run: nothing written)" if dry_run else ""))
    undo = []
    for step in steps:
        verb = "would write" if dry_run else "wrote"
        if not step.changes:
            verb = "unchanged"
        else:
            if not dry_run:
                _write(step)
            if step.undo:
                undo.append(step.undo)
        say(f"  {verb}: {step.what}")
    say(f"  not changed: {', '.join(str(p) for p in user_config_paths(platform))} (the "
        f"user-wide settings other xlwings workbooks and add-ins read)")
    if undo:
        say("To undo:" if not dry_run else "To undo (after a real run):")
        for line in undo:
            say(f"  {line}")
    folder = steps[0].path.parent
    say(f"Keep betahedge.xlsm in {folder} (its xlwings.conf is there); for a copy elsewhere, "
        f"run this command with --workbook-dir set to its folder.")
    say("Left to do by hand:")
    for i, line in enumerate(by_hand(platform), start=1):
        say(f"  {i}. {line}")
    return steps

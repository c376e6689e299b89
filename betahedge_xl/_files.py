"""Files written whole or not at all.

A report, a chart or a CSV is written to a temporary file beside its target and renamed over
it only once complete, so a full disk, a file-size limit or a killed process leaves the
previous file as it was (writing in place truncates it first, and a failure then leaves
nothing). The rename is atomic on one file system, which "beside the target" guarantees.
"""

from __future__ import annotations

import os
import secrets
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from .exceptions import InputError


def _reserve(final: Path) -> Path:
    """A new, empty file beside ``final`` with the same suffix (writers pick a format by it)."""
    for _ in range(100):
        tmp = final.with_name(f".{final.stem}-{secrets.token_hex(4)}.tmp{final.suffix}")
        try:
            # 0o666 less the umask: the permissions a file created in place would have had
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(f"no free temporary name beside {final}")


def _os_error(exc: BaseException) -> OSError | None:
    """The OSError behind ``exc``: itself, or one a writer wrapped (xlsxwriter's
    ``FileCreateError(OSError)``)."""
    if isinstance(exc, OSError):
        return exc
    return next((a for a in exc.args if isinstance(a, OSError)), None)


def _sync(path: Path, directory: bool = False) -> None:
    # The data reaches the disk before the rename makes it the file, so that a crash of the
    # machine cannot leave an empty file under the target's name.
    # A file is opened for writing: Windows' fsync (_commit) refuses a read-only descriptor.
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if directory else os.O_RDWR
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:  # Windows cannot open a folder; its rename is durable enough
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


def check_name_length(target: str | Path, what: str) -> None:
    """Refuse a file name longer than the file system allows (every look at such a path fails
    with an OSError, so this comes first)."""
    name = os.fsencode(Path(target).name)
    try:
        limit = os.pathconf(Path(target).parent, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # no such folder (said later), Windows
        limit = 255
    if len(name) > limit:
        raise InputError(f"{what}: the file name is {len(name)} bytes long; the file system "
                         f"allows at most {limit}")


def check_target(target: str | Path, what: str) -> None:
    """Refuse an existing ``target`` that is not a regular file once links are followed.

    A FIFO, a device (``/dev/null``, ``/dev/stdout``) or a socket would be replaced by a
    regular file by the rename, which as root breaks the machine; it is not the user's file
    to overwrite, so it is refused before any work and never touched.

    Raises
    ------
    InputError
        ``target`` exists and is not a regular file.
    """
    check_name_length(target, what)
    try:
        mode = os.stat(target).st_mode  # follows links: /dev/stdout -> a pipe or a terminal
    except (OSError, ValueError):  # absent, a dangling link: the writer creates the file
        return
    kind = next((k for test, k in _KINDS if test(mode)), None)
    if kind is not None:
        raise InputError(f"{what}: {target} is not a regular file ({kind}); "
                         f"it was left as it is")


@contextmanager
def replacing(target: str | Path, what: str) -> Iterator[Path]:
    """A temporary path to write to; it replaces ``target`` when the block ends without error.

    Parameters
    ----------
    target
        The file to write. An existing file keeps its permissions; a symbolic link is followed
        (the file it points to is replaced, the link stays).
    what
        How messages name the file's role (``"--out"``, ``"report"``).

    Raises
    ------
    InputError
        The file could not be written or renamed into place (full disk, no permission, a file
        open in another program on Windows), or ``target`` is not a regular file (see
        :func:`check_target`); ``target`` is then unchanged and no temporary file is left
        behind.
    """
    check_target(target, what)
    final = Path(os.path.realpath(target)) if os.path.islink(target) else Path(target)
    if final.exists() and not os.access(final, os.W_OK):
        # writing in place would fail; a rename would not, but the user made it read-only
        raise InputError(f"{what}: {target} is read-only; the previous file is unchanged")
    tmp: Path | None = None
    try:
        tmp = _reserve(final)
        yield tmp
        _sync(tmp)
        with suppress(FileNotFoundError):
            os.chmod(tmp, os.stat(final).st_mode & 0o7777)
        os.replace(tmp, final)
        tmp = None
        _sync(final.parent, directory=True)
    except BaseException as exc:
        if tmp is not None:
            with suppress(OSError):
                tmp.unlink()
        err = _os_error(exc)
        if err is None:
            raise
        kept = "the previous file is unchanged" if final.exists() else "nothing was written"
        if isinstance(err, PermissionError) and sys.platform == "win32":
            kept += " (is it open in Excel or another program?)"
        raise InputError(f"{what}: cannot write {target} ({err.strerror or err}); "
                         f"{kept}") from None


def write_text(target: str | Path, text: str, what: str) -> None:
    """``Path(target).write_text(text)`` in UTF-8, whole or not at all (see :func:`replacing`)."""
    with replacing(target, what) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write(text)


def write_bytes(target: str | Path, data: bytes, what: str) -> None:
    """``Path(target).write_bytes(data)``, whole or not at all (see :func:`replacing`)."""
    with replacing(target, what) as tmp:
        tmp.write_bytes(data)

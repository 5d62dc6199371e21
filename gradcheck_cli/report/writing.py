"""Report files that cannot lie: written whole or not at all, and never an earlier run's left
where this run's should be.

A grader (a CI step, a batch script) reads ``--output`` after the run. Written in place, a
failure midway leaves a truncated, invalid file; a run that fails before writing leaves the
previous run's report, which reads as this run's verdict. So the text goes to a temporary file
beside the target and is renamed over it (``os.replace``, atomic on one file system) once it is
complete; and when the command fails first, the earlier report is removed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from gradcheck_cli.errors import GradcheckError


def write(path: Path, text: str) -> None:
    """Put ``text`` at ``path`` whole: into a temporary file in the same directory, renamed over
    ``path`` when complete, with the permissions a new file gets (the umask's). A symbolic link
    keeps pointing where it did, at the new report; a path that is not a regular file
    (``/dev/stdout``, a FIFO) is written as it is, since nothing can be renamed over it.

    Raises:
        GradcheckError: the file cannot be written (a missing directory, a full disk, no
            permission), naming the path and the reason; no temporary file is left behind.
    """
    try:
        if path.exists() and not path.is_file():  # /dev/stdout resolves to no path one can name
            with open(path, "w", encoding="utf-8") as stream:
                stream.write(text)
            return
        target = Path(os.path.realpath(path))
        descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial",
                                                 dir=target.parent)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.chmod(temporary, 0o666 & ~_umask())
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError as exc:
        raise GradcheckError(f"cannot write {path}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def replacing(path: Path | None) -> Iterator[None]:
    """Around everything a command does up to writing its report to ``path``: if any of it
    fails (a bad argument, user code that raises, a reporter's bug, a full disk), the report an
    earlier run left at ``path`` is removed, so that a grader finds no report rather than a
    stale one. The failure itself goes on, to exit 2."""
    try:
        yield
    except BaseException:
        if path is not None:
            remove_stale(path)
        raise


def remove_stale(path: Path) -> None:
    """Remove the regular file at ``path``, if there is one and it can be; never a directory,
    a device or a FIFO that ``--output`` happened to name."""
    with contextlib.suppress(OSError):
        if Path(os.path.realpath(path)).is_file():
            os.unlink(os.path.realpath(path))


def _umask() -> int:
    """The process's umask (reading it means setting it; it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask

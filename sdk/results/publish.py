"""Publishing one result's files together: all of them appear, or none does.

Every file (overlay PNG, JSON, arrays) is first encoded in memory, then written into a hidden
staging folder inside the destination, then moved into place while holding a lock on the
destination. So an encoding failure (e.g. NaN in the JSON) writes nothing, a failure while
moving takes back the files already moved (restoring any it replaced), and two processes writing
to the same folder never interleave one result's files. Without ``overwrite`` an existing file
of the same name is refused, never replaced.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from filelock import FileLock

from ..errors import UserError
from .storage import atomic_write

try:
    import fcntl
except ImportError:  # Windows: no flock; a lock file (left in the folder) does the job
    fcntl = None

LOCK_NAME = ".sapiens2.lock"
STAGING_PREFIX = ".sapiens2-staging-"


class ResultExistsError(UserError):
    """A result file is already in the destination and ``overwrite`` was not asked for."""


def publish_files(directory: str | Path, contents: Mapping[str, bytes], overwrite: bool = False) -> dict[str, Path]:
    """Write ``{file name: bytes}`` into ``directory`` as one unit; returns the final paths by name."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=directory))
    try:
        for name, data in contents.items():
            atomic_write(staging / name, lambda handle, data=data: handle.write(data))
        with _folder_lock(directory):
            return _move_all(staging, directory, list(contents), overwrite)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def _folder_lock(directory: Path) -> Iterator[None]:
    """An exclusive lock on ``directory`` across processes: flock on the folder itself (no file left behind)."""
    if fcntl is None:
        with FileLock(directory / LOCK_NAME):
            yield
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _move_all(staging: Path, directory: Path, names: list[str], overwrite: bool) -> dict[str, Path]:
    existing = [name for name in names if (directory / name).exists()]
    if existing and not overwrite:
        raise ResultExistsError(
            f"{directory / existing[0]} already exists: pass --overwrite (overwrite=True) to replace it, "
            "or choose another output folder"
        )
    backup = staging / ".replaced"
    backup.mkdir()
    moved: list[str] = []
    try:
        for name in existing:
            os.replace(directory / name, backup / name)
        for name in names:
            os.replace(staging / name, directory / name)
            moved.append(name)
    except BaseException:
        for name in moved:
            with contextlib.suppress(OSError):
                os.unlink(directory / name)
        for name in existing:
            with contextlib.suppress(OSError):
                os.replace(backup / name, directory / name)
        raise
    return {name: directory / name for name in names}

"""Where a command will write, checked before any model is loaded: a bad ``--out`` fails in a second.

An ``--out`` that is a file, that lies under a file, or in which nothing can be created would
otherwise surface as an ``OSError`` traceback after the model has loaded (and, for compile, after
minutes of export). Writability is probed by creating and removing a file, so read-only mounts,
ACLs and quotas are caught as well as plain permission bits.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sapiens2.errors import UserError


def check_output_folder(path: str | Path, flag: str = "--out") -> Path:
    """Refuse ``path`` unless it is (or can be created as) a folder this process can write in."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UserError(f"{flag} {path} is an existing file, not a folder: choose a folder path")
    ancestor = _nearest_existing(path)
    if not ancestor.is_dir():
        raise UserError(f"{flag} {path} cannot be created: {ancestor} is a file, not a folder")
    _probe_writable(ancestor, f"{flag} {path}")
    return path


def check_bundle_destination(out: str | Path, overwrite: bool, flag: str = "--out") -> Path:
    """Refuse a bundle path that cannot be written: bundles are staged next to ``out`` and renamed into place,
    so the parent folder must be writable too (also when ``--overwrite`` replaces an existing bundle)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserError(f"{flag} {out} is an existing file, not a bundle folder: choose another --out")
    if out.exists() and not overwrite:
        raise UserError(f"{flag} {out} already exists: choose another --out or pass --overwrite")
    check_output_folder(out.absolute().parent, f"{flag} {out}: its folder")
    return out


def _nearest_existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _probe_writable(folder: Path, what: str) -> None:
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".sapiens2-write-check-")
    except OSError as error:
        raise UserError(f"{what} is not writable: cannot create files in {folder} ({error.strerror})") from None
    os.close(fd)
    os.unlink(name)

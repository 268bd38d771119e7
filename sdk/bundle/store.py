"""Reading bundles (schema + checksums) and writing them atomically.

A bundle is a directory: the artifact file(s), ``manifest.json`` and ``report.json``. Writers build
it in a hidden staging directory next to the target and rename it into place only once everything
is written, so a crash or a failed check never leaves a half-written bundle at the target path.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from .checksums import sha256_file
from ..errors import BundleError
from .manifest import MANIFEST_NAME, REPORT_NAME, ArtifactFile, Manifest
from .schema import validate_manifest

FAILED_SUFFIX = ".failed"
BUNDLE_MODE = 0o755


@dataclass(frozen=True)
class Bundle:
    """A bundle directory whose manifest passed the schema (and, when read with ``verify``, its checksums)."""

    path: Path
    manifest: Manifest

    def artifact_path(self, name: str) -> Path:
        return self.path / name

    def report(self) -> dict[str, Any] | None:
        """The compile report, or None when the bundle has none."""
        report = self.path / REPORT_NAME
        return _read_json(report) if report.is_file() else None


def read_manifest(path: str | Path) -> Manifest:
    """Read and schema-check ``manifest.json`` of a bundle directory (or the file itself)."""
    path = Path(path)
    manifest_path = path if path.is_file() else path / MANIFEST_NAME
    if not path.exists():
        raise BundleError(f"no bundle at {path}: the directory does not exist")
    if not manifest_path.is_file():
        raise BundleError(f"{path} has no {MANIFEST_NAME}: is it a bundle made by `sapiens2 compile`?")
    data = _read_json(manifest_path)
    validate_manifest(data, where=str(manifest_path))
    return Manifest.from_dict(data)


def read_bundle(path: str | Path, verify: bool = True) -> Bundle:
    """Open a bundle directory; ``verify`` checks every artifact's presence, size and SHA-256."""
    manifest = read_manifest(path)
    directory = Path(path) if Path(path).is_dir() else Path(path).parent
    if verify:
        verify_artifacts(directory, manifest.artifacts)
    return Bundle(directory, manifest)


def verify_artifacts(directory: Path, artifacts: Iterable[ArtifactFile]) -> None:
    """Raise ``BundleError`` for a missing artifact or one whose content changed since it was verified."""
    for artifact in artifacts:
        path = directory / artifact.file
        if not path.is_file():
            raise BundleError(f"bundle {directory} is missing its artifact {artifact.file} (listed in {MANIFEST_NAME})")
        size = path.stat().st_size
        if size != artifact.bytes or sha256_file(path) != artifact.sha256:
            raise BundleError(
                f"checksum mismatch for {path}: the manifest records sha256 {artifact.sha256[:12]}... "
                f"({artifact.bytes} bytes) but the file has {size} bytes and a different hash; "
                "the artifact was modified or corrupted: compile the bundle again"
            )


def describe_artifacts(directory: Path, names: Iterable[str]) -> tuple[ArtifactFile, ...]:
    """Checksum and size entries for files in ``directory``, for the manifest."""
    return tuple(ArtifactFile(name, sha256_file(directory / name), (directory / name).stat().st_size) for name in names)


def failed_report_path(out: str | Path) -> Path:
    """Where a compile whose fidelity check failed leaves its report: ``<out>.failed/report.json``."""
    out = Path(out)
    return out.with_name(out.name + FAILED_SUFFIX) / REPORT_NAME


def write_failed_report(out: str | Path, report: Mapping[str, Any]) -> Path:
    """Write the report of a rejected compile beside the (absent) bundle and return its path."""
    path = failed_report_path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_json(path, report)
    return path


class BundleStage:
    """Context manager: a staging directory next to ``out`` that becomes the bundle on ``publish``.

    Leaving the block without publishing (an exception, a failed check) deletes the staging
    directory, so nothing appears at ``out``. An existing ``out`` is refused unless ``overwrite``.
    """

    def __init__(self, out: str | Path, overwrite: bool = False) -> None:
        self.out = Path(out).absolute()
        if self.out.exists() and not overwrite:
            raise BundleError(f"{self.out} already exists: choose another --out or pass --overwrite")
        if self.out.exists() and not (self.out / MANIFEST_NAME).is_file() and any(self.out.iterdir()):
            raise BundleError(f"{self.out} is a non-empty directory that is not a bundle; refusing to replace it")
        self.path: Path | None = None
        self.published = False

    def __enter__(self) -> Self:
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.staging-", dir=self.out.parent))
        self.path.chmod(BUNDLE_MODE)  # mkdtemp makes it private; a published bundle is an ordinary folder
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if not self.published and self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)

    def describe(self, names: Iterable[str]) -> tuple[ArtifactFile, ...]:
        """Manifest entries for artifact files already written into the staging directory."""
        return describe_artifacts(self._staging(), names)

    def publish(self, manifest: Manifest, report: Mapping[str, Any]) -> Path:
        """Write the manifest (schema-checked) and report, then move the bundle into place."""
        staging = self._staging()
        data = manifest.to_dict()
        validate_manifest(data, where="the manifest being written")
        verify_artifacts(staging, manifest.artifacts)
        _write_json(staging / MANIFEST_NAME, data)
        _write_json(staging / REPORT_NAME, report)
        replaced = None
        if self.out.exists():
            replaced = self.out.with_name(staging.name + ".replaced")
            os.replace(self.out, replaced)
        os.replace(staging, self.out)
        self.published = True
        if replaced is not None:
            shutil.rmtree(replaced, ignore_errors=True)
        shutil.rmtree(failed_report_path(self.out).parent, ignore_errors=True)
        return self.out

    def _staging(self) -> Path:
        if self.path is None:
            raise RuntimeError("BundleStage used outside its `with` block")
        return self.path


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BundleError(f"{path} is not readable JSON: {error}") from error
    if not isinstance(data, dict):
        raise BundleError(f"{path} must hold a JSON object, found {type(data).__name__}")
    return data


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

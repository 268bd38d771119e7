"""What a target backend hands back after writing its artifact."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ExportedArtifact:
    """The files a backend wrote, its sections for report.json, and the files nothing here could run.

    ``unverified`` maps an artifact file (or a directory of artifact files, e.g. an ``.mlpackage``)
    to why it was not run on this machine; the manifest records it. Backends without extras may
    return the plain list of file names instead.
    """

    files: list[str]
    report: dict[str, Any] = field(default_factory=dict)
    unverified: dict[str, str] = field(default_factory=dict)

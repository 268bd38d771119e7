"""Bundles: a directory with the compiled artifact(s), ``manifest.json`` and ``report.json``.

The manifest (schema in ``manifest.schema.json``) is the single description every consumer reads;
``read_bundle`` checks it and the artifacts' checksums, ``BundleStage`` writes bundles atomically.
"""

from .checksums import sha256_file
from ..errors import BundleError
from .manifest import (
    MANIFEST_NAME,
    RANDOM_WEIGHTS,
    REPORT_NAME,
    SCHEMA_VERSION,
    ArtifactFile,
    ExportSettings,
    InputSpec,
    Manifest,
    ModelSource,
    Normalization,
    OutputSpec,
    RuntimeInfo,
)
from .schema import manifest_schema, validate_manifest
from .store import (
    Bundle,
    BundleStage,
    describe_artifacts,
    failed_report_path,
    read_bundle,
    read_manifest,
    verify_artifacts,
    write_failed_report,
)

__all__ = [
    "MANIFEST_NAME",
    "RANDOM_WEIGHTS",
    "REPORT_NAME",
    "SCHEMA_VERSION",
    "ArtifactFile",
    "Bundle",
    "BundleError",
    "BundleStage",
    "ExportSettings",
    "InputSpec",
    "Manifest",
    "ModelSource",
    "Normalization",
    "OutputSpec",
    "RuntimeInfo",
    "describe_artifacts",
    "failed_report_path",
    "manifest_schema",
    "read_bundle",
    "read_manifest",
    "sha256_file",
    "validate_manifest",
    "verify_artifacts",
    "write_failed_report",
]

"""The manifest JSON Schema (packaged as ``manifest.schema.json``), checked on every write and read."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from ..errors import BundleError

SCHEMA_FILE = "manifest.schema.json"


@lru_cache(maxsize=1)
def manifest_schema() -> dict[str, Any]:
    """The packaged schema as a dict."""
    return json.loads(resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    schema = manifest_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def validate_manifest(data: Mapping[str, Any], where: str = "manifest") -> None:
    """Raise ``BundleError`` naming the offending field (e.g. ``inputs[0].dtype``) if ``data`` breaks the schema."""
    error = best_match(_validator().iter_errors(data))
    if error is None:
        return
    location = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)
    field = location.lstrip(".") or "(top level)"
    raise BundleError(f"{where} does not follow the bundle manifest schema at {field}: {error.message}")

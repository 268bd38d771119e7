"""What the CLI accepts as inputs: image files, video files, ``camera:N``, and a boxes file."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sapiens2.errors import UserError
from sapiens2.processing.validate import validate_boxes

VIDEO_EXTENSIONS = frozenset({".avi", ".mp4", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"})
CAMERA_PREFIX = "camera:"


@dataclass(frozen=True)
class InputItem:
    """One thing to predict on: an image path, a video path, or a camera index."""

    text: str
    kind: str  # "image" | "video" | "camera"

    @property
    def stem(self) -> str:
        return f"camera{self.text[len(CAMERA_PREFIX):]}" if self.kind == "camera" else Path(self.text).stem

    @property
    def camera_index(self) -> int:
        return int(self.text[len(CAMERA_PREFIX) :])


def classify_inputs(texts: list[str]) -> list[InputItem]:
    """Check every input exists before any model is loaded, so a typo fails in a second, not a minute."""
    items = []
    for text in texts:
        if text.startswith(CAMERA_PREFIX):
            if not text[len(CAMERA_PREFIX) :].isdigit():
                raise UserError(f"camera input must look like camera:0, got {text!r}")
            items.append(InputItem(text, "camera"))
            continue
        path = Path(text)
        if not path.exists():
            raise UserError(f"input {text!r} does not exist")
        if path.is_dir():
            raise UserError(f"input {text!r} is a folder; pass the image or video files in it (e.g. {text}/*.jpg)")
        items.append(InputItem(text, "video" if path.suffix.lower() in VIDEO_EXTENSIONS else "image"))
    return items


def _boxes_array(value: Any, where: str) -> np.ndarray:
    """The boxes of one entry, checked as far as they can be without the image (``validate_boxes``)."""
    return validate_boxes(value, None, f"boxes file: {where}")


def read_boxes_file(path: str, items: list[InputItem]) -> dict[str, np.ndarray]:
    """Boxes per input text from a JSON file: a list of boxes (for every input) or {input: boxes}.

    Keys may be an input exactly as given on the command line or its file name (refused when two inputs
    share that file name, e.g. ``a/x.jpg`` and ``b/x.jpg``: the boxes would go to both).
    """
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise UserError(f"boxes file {path!r} does not exist") from None
    except OSError as error:  # a folder, no permission ...
        raise UserError(f"boxes file {path!r} cannot be read: {error.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UserError(f"boxes file {path!r} is not valid JSON: {error}") from None
    if isinstance(data, list):
        boxes = _boxes_array(data, "the box list")
        return {item.text: boxes for item in items}
    if not isinstance(data, dict):
        raise UserError(f"boxes file {path!r} must hold a list of boxes or an object {{input: boxes}}")
    by_input = {}
    for name, count in Counter(Path(item.text).name for item in items if item.text not in data).items():
        if count > 1 and name in data:
            raise UserError(
                f"boxes file {path!r}: key {name!r} matches {count} inputs with that file name; "
                "key their boxes by the input paths as given on the command line"
            )
    for item in items:
        key = item.text if item.text in data else Path(item.text).name
        if key in data:
            by_input[item.text] = _boxes_array(data[key], f"entry {key!r}")
    unknown = set(data) - {item.text for item in items} - {Path(item.text).name for item in items}
    if unknown:
        raise UserError(f"boxes file {path!r} names inputs that were not given: {sorted(unknown)[:5]}")
    return by_input

"""The sample data: the people images and video frames packaged with the SDK, and their form as model inputs.

``data_dir()`` is the package's own ``data`` folder (``images/``: ``astronaut.png``, ``basketball1.png``
and frames of OpenCV's ``vtest.avi``; licences in ``data/README.md``), so that an installed wheel
checks and calibrates on real people with nothing beside it. ``$SAPIENS2_DATA`` points it at another
folder laid out the same way.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import numpy as np
from sapiens2.processing import normalize

DATA_ENV = "SAPIENS2_DATA"


def packaged_data_dir() -> Path:
    """The ``data`` folder inside the installed package."""
    return Path(str(resources.files("sapiens2") / "data"))


def data_dir() -> Path:
    """The sample data folder: ``$SAPIENS2_DATA`` if set, else the packaged one."""
    override = os.environ.get(DATA_ENV)
    return Path(override) if override else packaged_data_dir()


def artifact_input(images_bgr: np.ndarray, preprocess: str | None) -> np.ndarray:
    """(N, H, W, 3) uint8 BGR -> what the artifact takes: normalised float NCHW or uint8 RGB NHWC/NCHW."""
    if preprocess is None:
        return normalize(images_bgr)
    rgb = images_bgr[..., ::-1]
    return np.ascontiguousarray(rgb if preprocess == "NHWC" else rgb.transpose(0, 3, 1, 2))

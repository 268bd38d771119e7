"""The inputs a compiled artifact is checked on: real photos of people, plus seeded random images.

Real images come from the sample data (``sapiens2.samples.data_dir()``: the images packaged with
the SDK, or ``$SAPIENS2_DATA``): ``images/astronaut.png``, ``basketball1.png`` and, in a data
folder that has it, ``messi5.jpg`` (a press photo the package does not ship). Each is
fitted to the model input with the task's official resize policy (pose: top-down UDP crop of the
whole image, the official no-detection fallback; seg: stretch; normal/pointmap/albedo: letterbox)
and given in the form the artifact takes (normalised float NCHW, or uint8 RGB when the
normalisation is in the graph).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sapiens2.processing import crop_people, letterbox, read_image, stretch_resize, whole_image_box
from sapiens2.samples import artifact_input, data_dir

REAL_IMAGES = ("astronaut.png", "messi5.jpg", "basketball1.png")
RANDOM_IMAGES = 2
RANDOM_SEED = 0
RESIZE_POLICIES = {"pose": "topdown_udp_crop", "seg": "stretch", "normal": "letterbox", "pointmap": "letterbox", "albedo": "letterbox"}


@dataclass(frozen=True)
class Sample:
    """One check input: its name, whether it is a real photo, and the array the artifact takes (batch 1)."""

    name: str
    real: bool
    array: np.ndarray


def fit_to_input(task: str, image_bgr: np.ndarray, input_size: tuple[int, int]) -> np.ndarray:
    """A BGR image resized to the (H, W) model input with ``task``'s official policy."""
    size_wh = (input_size[1], input_size[0])
    policy = RESIZE_POLICIES[task]
    if policy == "topdown_udp_crop":
        crops, _ = crop_people(image_bgr, whole_image_box(image_bgr.shape), size_wh)
        return crops[0]
    if policy == "stretch":
        return stretch_resize(image_bgr, size_wh)
    return letterbox(image_bgr, size_wh)[0]


def fidelity_samples(task: str, input_size: tuple[int, int], preprocess: str | None) -> list[Sample]:
    """The real images found under ``data_dir()/images`` plus ``RANDOM_IMAGES`` seeded uniform-noise images."""
    images = data_dir() / "images"
    samples = [
        Sample(name, True, artifact_input(fit_to_input(task, read_image(images / name), input_size)[None], preprocess))
        for name in REAL_IMAGES
        if (images / name).is_file()
    ]
    rng = np.random.default_rng(RANDOM_SEED)
    for index in range(RANDOM_IMAGES):
        noise = rng.integers(0, 256, size=(*input_size, 3), dtype=np.uint8)
        samples.append(Sample(f"random-{index}", False, artifact_input(fit_to_input(task, noise, input_size)[None], preprocess)))
    return samples

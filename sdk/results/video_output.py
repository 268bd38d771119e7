"""A video run's files: the annotated video, one JSON Lines file of per-frame results, optional arrays.

Both files grow under hidden temporary names next to their final ones and are moved into place
by ``close``, which ``with`` calls also when the run is interrupted (an error, Ctrl-C, SIGTERM):
then the video holds the frames done and is finalised (playable) and the JSON Lines file holds
one complete line per frame done. A run killed outright leaves only the hidden temporaries, never
a half-written file under the final names; a run that finished no frame leaves nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .base import ResultIO
from .storage import write_npy

VIDEO_SUFFIX = ".mp4"
VIDEO_CODEC = "mp4v"  # MPEG-4 part 2: written by every OpenCV build with FFmpeg, read back by all of them


def _temporary_path(final: Path) -> Path:
    fd, name = tempfile.mkstemp(dir=final.parent, prefix=f".{final.stem}.", suffix=f".tmp{final.suffix}")
    os.close(fd)
    return Path(name)


class VideoOutput:
    """``write(result, image_bgr)`` per frame into ``{stem}_{task}.mp4`` and ``{stem}_{task}.jsonl``.

    ``fps`` and ``size_wh`` are the output video's (the source's frame rate divided by the frame
    step, the source's size). ``save_arrays`` also writes each frame's dense arrays as
    ``{stem}_{task}_arrays/{frame:06d}_{name}.npy``.
    """

    def __init__(self, directory: str | Path, stem: str, task: str, fps: float, size_wh: tuple[int, int], save_arrays: bool = False) -> None:
        self.directory = Path(directory)
        self._made_directory = not self.directory.exists()  # removed again if no frame comes
        self.directory.mkdir(parents=True, exist_ok=True)
        self.video_path = self.directory / f"{stem}_{task}{VIDEO_SUFFIX}"
        self.jsonl_path = self.directory / f"{stem}_{task}.jsonl"
        self.arrays_dir = self.directory / f"{stem}_{task}_arrays" if save_arrays else None
        self.size_wh = (int(size_wh[0]), int(size_wh[1]))
        self.frames = 0
        self._video_temp = _temporary_path(self.video_path)
        self._jsonl_temp = _temporary_path(self.jsonl_path)
        self._writer = cv2.VideoWriter(str(self._video_temp), cv2.VideoWriter_fourcc(*VIDEO_CODEC), float(fps), self.size_wh)
        if not self._writer.isOpened():
            self._discard()
            raise RuntimeError(f"OpenCV cannot write {VIDEO_CODEC} video to {self.video_path}: is it built with FFmpeg?")
        self._jsonl = open(self._jsonl_temp, "w", encoding="utf-8")  # noqa: SIM115 - closed by close()

    def write(self, result: ResultIO, image_bgr: np.ndarray) -> np.ndarray:
        """Append one frame (its index and time in ``result.meta``): the overlay to the video, the result
        as a line (see ``frame_record``). Returns the overlay."""
        picture = result.draw(image_bgr)
        if (picture.shape[1], picture.shape[0]) != self.size_wh:
            picture = cv2.resize(picture, self.size_wh, interpolation=cv2.INTER_AREA)
        self._writer.write(np.ascontiguousarray(picture))
        self._jsonl.write(json.dumps(frame_record(result), allow_nan=False) + "\n")
        self._jsonl.flush()
        if self.arrays_dir is not None:
            self.arrays_dir.mkdir(exist_ok=True)
            for name, array in result.arrays().items():
                write_npy(self.arrays_dir / f"{int(result.meta['frame']):06d}_{name}.npy", array)
        self.frames += 1
        return picture

    def close(self) -> None:
        """Finalise the video and move both files into place (or remove them when no frame was written)."""
        self._writer.release()
        self._jsonl.close()
        if self.frames == 0:
            self._discard()
            return
        for temporary, final in ((self._video_temp, self.video_path), (self._jsonl_temp, self.jsonl_path)):
            os.chmod(temporary, 0o644)
            os.replace(temporary, final)

    def _discard(self) -> None:
        for temporary in (self._video_temp, self._jsonl_temp):
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
        if self._made_directory:
            with contextlib.suppress(OSError):  # not empty: another process wrote there meanwhile
                self.directory.rmdir()

    def __enter__(self) -> VideoOutput:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def frame_record(result: ResultIO) -> dict[str, Any]:
    """One JSON Lines record: ``frame`` and ``timestamp_s`` (moved up from ``meta``), then ``result.to_dict()``
    without the official 308 keypoint names (the same on every line; see ``keypoint_metadata()``); a model's
    own keypoint set keeps its names on each line, as nothing else would say what the keypoints are."""
    content = result.to_dict()
    meta = content["meta"]
    record = {"frame": meta.pop("frame"), "timestamp_s": meta.pop("timestamp_s"), **content}
    if "skeleton_links" not in record:  # PoseResult.to_dict writes the skeleton only for a set of the model's own
        record.pop("keypoint_names", None)
    return record

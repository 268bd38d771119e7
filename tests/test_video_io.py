"""Video frames decoded in a background thread: indices, container timestamps, early stops, bad paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from sapiens2.processing import InputError
from sapiens2.processing.video_io import VideoSource

from fixture_paths import IMAGES

VTEST = IMAGES / "vtest.avi"  # 795 frames, 768 x 576, 10 frames/s


def test_every_third_frame_with_its_container_time() -> None:
    source = VideoSource(VTEST, max_frames=4, every=3)
    assert (source.info.fps, source.info.width, source.info.height, source.info.frame_count) == (10.0, 768, 576, 795)
    frames = list(source)
    assert [f.index for f in frames] == [0, 3, 6, 9]
    assert [f.timestamp for f in frames] == pytest.approx([0.0, 0.3, 0.6, 0.9])
    assert frames[0].image.shape == (576, 768, 3)
    assert VideoSource(VTEST, every=3).expected_frames() == 265 and source.expected_frames() == 4


def test_stopping_early_ends_the_decoding_thread() -> None:
    source = VideoSource(VTEST)
    for frame in source:
        if frame.index == 2:
            break
    source.close()
    assert source._thread is not None and not source._thread.is_alive()


@pytest.mark.parametrize(("make", "message"), [(lambda d: d / "missing.mp4", "does not exist"), (lambda d: d, "does not exist")])
def test_bad_sources_are_input_errors(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(InputError, match=message):
        VideoSource(make(tmp_path))
    with pytest.raises(InputError, match="every"):
        VideoSource(VTEST, every=0)

"""Output stems: distinct for every input of a run, the plain file stem wherever nothing clashes."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from sapiens2.cli.inputs import InputItem
from sapiens2.cli.output_names import output_stems


def images(*paths: str) -> list[InputItem]:
    return [InputItem(path, "image") for path in paths]


def test_clashing_names_are_told_apart_by_the_least_that_differs() -> None:
    assert output_stems(images("photos/x.jpg", "y.png")) == ["x", "y"]
    assert output_stems(images("x.jpg", "x.png")) == ["x_jpg", "x_png"]
    assert output_stems(images("/d/a/x.jpg", "/d/b/x.jpg", "/d/x.png")) == ["a_x_jpg", "b_x_jpg", "x_png"]
    assert output_stems(images("x.jpg", "x.jpg")) == ["x", "x_2"]  # the same file twice
    assert output_stems([InputItem("camera:0", "camera"), *images("camera0.png")]) == ["camera0", "camera0_png"]


folder = st.sampled_from(["a", "b", "c d", "x"])
name = st.sampled_from(["x.jpg", "x.png", "x", "a_x_jpg.jpg", "x_jpg.png", "y.JPG"])


@given(st.lists(st.tuples(st.lists(folder, max_size=3), name), min_size=1, max_size=8))
def test_stems_are_always_distinct(parts: list[tuple[list[str], str]]) -> None:
    items = images(*(str(Path("/root", *folders, file)) for folders, file in parts))
    stems = output_stems(items)
    assert len(set(stems)) == len(stems)
    lone = [i for i, item in enumerate(items) if sum(Path(o.text).stem == Path(item.text).stem for o in items) == 1]
    assert all(stems[i] == Path(items[i].text).stem for i in lone if stems.count(Path(items[i].text).stem) == 1)

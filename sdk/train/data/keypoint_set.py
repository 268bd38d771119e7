"""A dataset's keypoint set: names, skeleton and left/right flip pairs, read from its COCO category.

The model's head and the saved metadata follow this set, not only the 308 Sapiens2 keypoints.
Flip pairs come from the category's ``flip_pairs`` (an extension) or, by default, from names that
differ only by left/right; the upper and lower body from ``upper_body_ids`` / ``lower_body_ids`` (as
mmpose's dataset metadata names them) or, by default, from the names (hips, knees, ankles, feet:
lower).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

# Names of lower-body keypoints, for sets whose category gives no upper_body_ids / lower_body_ids.
_LOWER_BODY = re.compile(r"hip|knee|ankle|heel|foot|toe", re.IGNORECASE)
_SIDES = (("left", "right"), ("Left", "Right"), ("LEFT", "RIGHT"), ("l_", "r_"))


@dataclass(frozen=True)
class KeypointSet:
    names: tuple[str, ...]
    skeleton: tuple[tuple[int, int], ...]  # 0-based index pairs
    flip_indices: tuple[int, ...]
    upper: tuple[int, ...] = ()  # the two halves of the half-body augmentation
    lower: tuple[int, ...] = ()

    @classmethod
    def from_category(cls, category: Mapping[str, Any]) -> KeypointSet:
        names = tuple(str(n) for n in category["keypoints"])
        # COCO skeletons are 1-based.
        skeleton = tuple((int(a) - 1, int(b) - 1) for a, b in category.get("skeleton", []))
        pairs = category.get("flip_pairs")
        flip = list(range(len(names)))
        for a, b in pairs if pairs is not None else _pairs_by_name(names):
            flip[a], flip[b] = b, a
        if "upper_body_ids" in category or "lower_body_ids" in category:
            upper = tuple(int(i) for i in category.get("upper_body_ids", ()))
            lower = tuple(int(i) for i in category.get("lower_body_ids", ()))
        else:
            lower = tuple(i for i, name in enumerate(names) if _LOWER_BODY.search(name))
            upper = tuple(i for i in range(len(names)) if i not in lower)
        return cls(names, skeleton, tuple(flip), upper, lower)

    def to_json(self) -> dict[str, Any]:
        return {"names": list(self.names), "skeleton_links": [list(p) for p in self.skeleton], "flip_indices": list(self.flip_indices)}


def _pairs_by_name(names: tuple[str, ...]) -> list[tuple[int, int]]:
    index = {name: i for i, name in enumerate(names)}
    pairs = []
    for i, name in enumerate(names):
        for left, right in _SIDES:
            if re.search(re.escape(left), name):
                twin = name.replace(left, right, 1)
                if twin in index:
                    pairs.append((i, index[twin]))
                break
    return pairs

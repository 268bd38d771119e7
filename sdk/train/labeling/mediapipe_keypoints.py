"""MediaPipe BlazePose's 33 landmarks as a COCO keypoint category: names, skeleton, in the teacher's order."""

from __future__ import annotations

NAMES = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index",
    "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)  # fmt: skip

# Body links between 0-based landmark indices (face outline and hand tips included).
LINKS = (
    (0, 2), (0, 5), (2, 7), (5, 8), (9, 10), (11, 12), (11, 13), (13, 15), (12, 14), (14, 16),
    (15, 17), (15, 19), (15, 21), (16, 18), (16, 20), (16, 22), (11, 23), (12, 24), (23, 24),
    (23, 25), (25, 27), (24, 26), (26, 28), (27, 29), (27, 31), (29, 31), (28, 30), (28, 32), (30, 32),
)  # fmt: skip


def mediapipe_category() -> dict:
    """The COCO ``categories`` entry (skeleton 1-based, as COCO stores it)."""
    return {"id": 1, "name": "person", "keypoints": list(NAMES), "skeleton": [[a + 1, b + 1] for a, b in LINKS]}

"""One person's BlazePose landmarks from a padded crop around its box, enlarged to ``CROP_HEIGHT`` rows.

MediaPipe's landmarker finds one person per image and misses people much smaller than that, so the
workers that label several (or small) people run it once per person box. Imported by those workers
inside MediaPipe's own virtual environment: only the standard library, numpy and OpenCV here.
"""

import cv2
import numpy as np

CROP_HEIGHT = 384
PADDING = 1.3  # crop side / box side, so limbs at the box edge stay inside
MIN_SIDE = 8


def crop_box(box, width, height):
    """Integer (x1, y1, x2, y2) of the box enlarged by PADDING about its centre, inside the frame."""
    x1, y1, x2, y2 = box
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    half_w, half_h = (x2 - x1) * PADDING / 2, (y2 - y1) * PADDING / 2
    return max(int(cx - half_w), 0), max(int(cy - half_h), 0), min(int(cx + half_w), width), min(int(cy + half_h), height)


def landmarks_in_box(pose, frame, box):
    """([[x, y, visibility] x 33] in frame pixels, frame-sized 0/1 mask or None), or (None, None) if nobody is found."""
    x1, y1, x2, y2 = crop_box(box, frame.shape[1], frame.shape[0])
    if x2 - x1 < MIN_SIDE or y2 - y1 < MIN_SIDE:
        return None, None
    scale = CROP_HEIGHT / (y2 - y1)
    crop = cv2.resize(frame[y1:y2, x1:x2], None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    result = pose.process(cv2.cvtColor(crop, cv2.COLOR_BGR2RGB))
    if result.pose_landmarks is None:
        return None, None
    points = [[x1 + p.x * crop.shape[1] / scale, y1 + p.y * crop.shape[0] / scale, p.visibility] for p in result.pose_landmarks.landmark]
    mask = None
    if getattr(result, "segmentation_mask", None) is not None:
        mask = np.zeros(frame.shape[:2], np.uint8)
        mask[y1:y2, x1:x2] = cv2.resize((result.segmentation_mask > 0.5).astype(np.uint8), (x2 - x1, y2 - y1), interpolation=cv2.INTER_NEAREST)
    return points, mask

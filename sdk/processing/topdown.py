"""Top-down pose geometry: person box -> centre/scale -> UDP affine crop, and crop points back to the image.

Sizes follow OpenCV: ``input_size`` is the model input (width, height); points are (x, y) pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

POSE_INPUT_SIZE = (768, 1024)
BOX_PADDING = 1.25


def box_to_center_scale(box_xyxy: np.ndarray, padding: float = BOX_PADDING) -> tuple[np.ndarray, np.ndarray]:
    """Box (x1, y1, x2, y2) -> centre (2,) and padded size (w, h) (2,), float32."""
    x1, y1, x2, y2 = np.asarray(box_xyxy, dtype=np.float32)[:4]
    center = np.array([(x1 + x2) * 0.5, (y1 + y2) * 0.5], dtype=np.float32)
    scale = np.array([x2 - x1, y2 - y1], dtype=np.float32) * np.float32(padding)
    return center, scale


def fix_aspect_ratio(scale: np.ndarray, aspect_ratio: float) -> np.ndarray:
    """Enlarge the short side of (w, h) so that w / h == ``aspect_ratio`` (the model input's)."""
    width, height = np.asarray(scale, dtype=np.float32)
    if width > height * aspect_ratio:
        return np.array([width, width / aspect_ratio], dtype=np.float32)
    return np.array([height * aspect_ratio, height], dtype=np.float32)


def udp_warp_matrix(center: np.ndarray, scale: np.ndarray, input_size: tuple[int, int]) -> np.ndarray:
    """The UDP (unbiased) affine matrix mapping [c - s/2, c + s/2] onto [0, W_in - 1] x [0, H_in - 1].

    float32 like the official code; with it the crop and the mapped points are bit-identical.
    """
    center = np.asarray(center, dtype=np.float32)
    scale = np.asarray(scale, dtype=np.float32)
    scale_x = np.float32(input_size[0] - 1) / scale[0]
    scale_y = np.float32(input_size[1] - 1) / scale[1]
    return np.array(
        [
            [scale_x, 0.0, scale_x * (-center[0] + np.float32(0.5) * scale[0])],
            [0.0, scale_y, scale_y * (-center[1] + np.float32(0.5) * scale[1])],
        ],
        dtype=np.float32,
    )


@dataclass(frozen=True, eq=False)
class TopdownCrop:
    """One person's crop: box centre and (aspect-fixed, padded) size in image pixels, model input size."""

    center: np.ndarray
    scale: np.ndarray
    input_size: tuple[int, int] = POSE_INPUT_SIZE

    @classmethod
    def from_box(
        cls, box_xyxy: np.ndarray, input_size: tuple[int, int] = POSE_INPUT_SIZE, padding: float = BOX_PADDING
    ) -> TopdownCrop:
        """Centre/scale of ``box_xyxy`` with ``padding`` and the aspect ratio of ``input_size``."""
        center, scale = box_to_center_scale(box_xyxy, padding)
        return cls(center, fix_aspect_ratio(scale, input_size[0] / input_size[1]), tuple(input_size))

    @property
    def matrix(self) -> np.ndarray:
        """The (2, 3) float32 image -> crop affine matrix."""
        return udp_warp_matrix(self.center, self.scale, self.input_size)

    def warp(self, image: np.ndarray) -> np.ndarray:
        """Cut the crop out of ``image``: INTER_AREA when shrinking, INTER_CUBIC when enlarging, black border."""
        matrix = self.matrix
        shrinking = min(matrix[0, 0], matrix[1, 1]) < 1.0
        return cv2.warpAffine(
            image,
            matrix,
            tuple(self.input_size),
            flags=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0,
        )

    def image_to_crop(self, points: np.ndarray) -> np.ndarray:
        """Image pixels (..., 2) -> crop pixels (..., 2), float32."""
        return _apply_affine(self.matrix, points)

    def crop_to_image(self, points: np.ndarray) -> np.ndarray:
        """Crop pixels (..., 2) -> image pixels (..., 2), float32: the exact inverse of ``image_to_crop``."""
        return _apply_affine(cv2.invertAffineTransform(self.matrix.astype(np.float64)), points)

    def keypoints_to_image(self, keypoints: np.ndarray) -> np.ndarray:
        """Decoded keypoints (..., 2) in the codec's input frame -> image pixels, float32 (official formula).

        The UDP codec scales heatmap coordinates by input/(heatmap - 1), a frame in which the box
        spans [0, W_in] rather than the crop's [0, W_in - 1]; this maps that frame back. Use
        ``crop_to_image`` for points measured on the warped crop itself.
        """
        size = np.asarray(self.input_size, dtype=np.float64)
        scale = self.scale.astype(np.float64)
        image_points = np.asarray(keypoints, dtype=np.float64) / size * scale + self.center - 0.5 * scale
        return image_points.astype(np.float32)


def _apply_affine(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float64)
    points = np.asarray(points, dtype=np.float64)
    return (points @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)


def crop_people(
    image: np.ndarray, boxes_xyxy: np.ndarray, input_size: tuple[int, int] = POSE_INPUT_SIZE
) -> tuple[np.ndarray, list[TopdownCrop]]:
    """Crops (N, H_in, W_in, 3) and their geometry for each person box (N, >=4: x1, y1, x2, y2[, score])."""
    crops = [TopdownCrop.from_box(box[:4], input_size) for box in np.asarray(boxes_xyxy, dtype=np.float32)]
    if not crops:
        return np.zeros((0, input_size[1], input_size[0], 3), dtype=image.dtype), crops
    return np.stack([crop.warp(image) for crop in crops]), crops

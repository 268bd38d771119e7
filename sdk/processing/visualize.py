"""Pictures of results, in the official colours: pose skeletons, seg overlays, normal/depth/albedo maps.

All functions return new HxWx3 uint8 BGR images (ready for cv2.imwrite); inputs are never modified.
"""

from __future__ import annotations

import cv2
import numpy as np

from .metadata import keypoint_metadata, segmentation_metadata

KEYPOINT_SCORE_THRESHOLD = 0.3
BACKGROUND_GREY = (100, 100, 100)
# Depth range the official visualisation clips to, metres.
_DEPTH_LIMITS = (0.1, 250.0)


def colorize_labels(labels: np.ndarray) -> np.ndarray:
    """Label map (H, W) -> the class palette as an (H, W, 3) uint8 **RGB** image."""
    palette = segmentation_metadata().palette_rgb
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= len(palette)):
        raise ValueError(f"labels must be in [0, {len(palette) - 1}], got [{labels.min()}, {labels.max()}]")
    return palette[labels]


def overlay_segmentation(image_bgr: np.ndarray, labels: np.ndarray, opacity: float = 0.5) -> np.ndarray:
    """Blend the class colours over the image: (1 - opacity) * image + opacity * palette, rounded."""
    colors_bgr = np.ascontiguousarray(colorize_labels(labels)[:, :, ::-1])
    return cv2.addWeighted(image_bgr, 1.0 - opacity, colors_bgr, opacity, 0.0)


def _fill_background(
    picture: np.ndarray, mask: np.ndarray | None, background: np.ndarray | tuple[int, int, int]
) -> np.ndarray:
    """Replace the pixels outside ``mask`` with ``background``: one BGR colour or a same-size BGR image."""
    if mask is None:
        return picture
    outside = ~np.asarray(mask, dtype=bool)
    background = np.asarray(background, dtype=np.uint8)
    picture[outside] = background[outside] if background.ndim == 3 else background
    return picture


def normals_to_bgr(
    normals: np.ndarray, mask: np.ndarray | None = None, background: np.ndarray | None = None
) -> np.ndarray:
    """Unit normals (H, W, 3) -> colours (n + 1) / 2 * 255 with x->R, y->G, z->B.

    Pixels outside ``mask`` show ``background`` (an HxWx3 BGR image) or black.
    """
    rgb = ((np.asarray(normals, dtype=np.float32) + 1.0) * 0.5 * 255.0).clip(0, 255).astype(np.uint8)
    picture = np.ascontiguousarray(rgb[:, :, ::-1])
    return _fill_background(picture, mask, background if background is not None else (0, 0, 0))


def depth_to_bgr(depth: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Depth (H, W), metres -> turbo colour map of inverse depth (near = red), grey where masked out.

    The colour range spans the 1st..99th depth percentiles of the valid pixels, clipped to
    0.1..250 m like the official visualisation (which takes them over a whole video).
    """
    depth = np.asarray(depth, dtype=np.float32)
    valid = np.isfinite(depth) & (depth > 0)
    if mask is not None:
        valid &= np.asarray(mask, dtype=bool)
    picture = np.empty(depth.shape + (3,), dtype=np.uint8)
    picture[:] = BACKGROUND_GREY
    if not valid.any():
        return picture
    near, far = np.clip(np.percentile(depth[valid], [1, 99]), *_DEPTH_LIMITS)
    inverse_near, inverse_far = 1.0 / near, 1.0 / far
    inverse = 1.0 / np.clip(depth[valid], *_DEPTH_LIMITS)
    level = (inverse - inverse_far) / max(inverse_near - inverse_far, 1e-12)
    levels = (level.clip(0, 1) * 255).astype(np.uint8)
    picture[valid] = cv2.applyColorMap(levels.reshape(-1, 1), cv2.COLORMAP_TURBO).reshape(-1, 3)
    return picture


def albedo_to_bgr(albedo: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Albedo (H, W, 3) RGB -> clamped to [0, 1], x255, BGR, grey (100, 100, 100) where masked out."""
    rgb = (np.clip(np.asarray(albedo, dtype=np.float32), 0.0, 1.0) * 255.0).astype(np.uint8)
    return _fill_background(np.ascontiguousarray(rgb[:, :, ::-1]), mask, BACKGROUND_GREY)


OTHER_KEYPOINT_COLOR_BGR = (0, 255, 0)


def draw_pose(
    image_bgr: np.ndarray,
    keypoints: np.ndarray,
    scores: np.ndarray,
    threshold: float = KEYPOINT_SCORE_THRESHOLD,
    radius: int = 3,
    thickness: int = 1,
) -> np.ndarray:
    """Draw skeleton links and keypoints (N, K, 2) whose scores (N, K) are >= ``threshold``.

    Links are drawn only when both ends pass the threshold; colours come from keypoints308.json.
    Another keypoint set (a model trained on a dataset's own keypoints) is drawn as points only.
    """
    meta = keypoint_metadata()
    num_keypoints = np.shape(scores)[-1]
    official = num_keypoints == len(meta.names)
    keypoints = np.asarray(keypoints, dtype=np.float64).reshape(-1, num_keypoints, 2)
    picture = np.ascontiguousarray(image_bgr).copy()
    links = meta.skeleton_links if official else []
    link_colors = meta.link_colors_rgb[:, ::-1].tolist()
    point_colors = meta.keypoint_colors_rgb[:, ::-1].tolist() if official else [OTHER_KEYPOINT_COLOR_BGR] * num_keypoints
    for points, point_scores in zip(keypoints, np.asarray(scores).reshape(-1, num_keypoints)):
        visible = (point_scores >= threshold) & np.isfinite(points).all(axis=1)
        pixels = np.round(points).astype(np.int64)
        for (a, b), color in zip(links, link_colors):
            if visible[a] and visible[b]:
                cv2.line(picture, tuple(pixels[a].tolist()), tuple(pixels[b].tolist()), color, thickness, cv2.LINE_AA)
        for index in np.nonzero(visible)[0]:
            cv2.circle(picture, tuple(pixels[index].tolist()), radius, point_colors[index], -1, cv2.LINE_AA)
    return picture


def draw_track_ids(image_bgr: np.ndarray, boxes: np.ndarray, track_ids: np.ndarray) -> np.ndarray:
    """Each person's box and ``#ID`` above it, in a colour fixed by the ID (the same person keeps it)."""
    picture = np.ascontiguousarray(image_bgr).copy()
    for box, track_id in zip(np.asarray(boxes).reshape(-1, 4), np.asarray(track_ids).tolist()):
        color = tuple(int(c) for c in cv2.applyColorMap(np.uint8([[(track_id * 47) % 256]]), cv2.COLORMAP_HSV)[0, 0])
        x1, y1, x2, y2 = np.round(box).astype(int).tolist()
        cv2.rectangle(picture, (x1, y1), (x2, y2), color, 1, cv2.LINE_AA)
        cv2.putText(picture, f"#{track_id}", (x1, max(y1 - 4, 10)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, color, 1, cv2.LINE_AA)
    return picture

"""Pre- and post-processing shared by every runtime: pure numpy + OpenCV, no torch.

Inputs -> BGR uint8 (``inputs``); normalisation (``normalize``); top-down pose crops and boxes
(``topdown``, ``detection``); UDP heatmap decoding and flip test (``heatmaps``, ``flip``); dense
resize policies and post-processing (``resize``, ``dense``); label metadata (``metadata``);
pictures of results (``visualize``); and for video, frames with timestamps (``video_io``), person
tracking (``tracking``) and One-Euro keypoint smoothing (``one_euro``, ``smoothing``). The mobile
ports mirror these modules function for function and test against the vectors in ``tests/golden``.
"""

from .dense import (
    CANONICAL_FOCAL_LENGTH,
    albedo_to_image,
    canonical_to_metric,
    focal_length_px,
    foreground_mask,
    normals_to_image,
    pointmap_to_image,
    segmentation_labels,
)
from .detection import (
    NMS_IOU_THRESHOLD,
    SCORE_THRESHOLD,
    HogPersonDetector,
    PersonDetector,
    filter_boxes,
    nms,
    person_boxes,
    whole_image_box,
)
from ..errors import InputError
from .flip import average_flip_heatmaps, flip_image, unflip_heatmaps
from .heatmaps import (
    BLUR_KERNEL_SIZE,
    blur_heatmaps,
    decode_pose,
    decode_udp_heatmaps,
    heatmap_maxima,
    refine_dark_udp,
)
from .inputs import (
    image_from_array,
    image_from_pil,
    iter_camera,
    iter_video,
    load_image,
    read_image,
)
from .metadata import (
    KeypointMetadata,
    SegmentationMetadata,
    keypoint_metadata,
    segmentation_metadata,
)
from .normalize import MEAN_RGB, STD_RGB, normalize
from .one_euro import OneEuroFilter, OneEuroParams
from .resize import (
    DENSE_INPUT_SIZE,
    Letterbox,
    crop_padding,
    letterbox,
    resize_map,
    stretch_resize,
)
from .smoothing import DEFAULT_SMOOTHING, PoseSmoother, keypoint_groups
from .topdown import (
    BOX_PADDING,
    POSE_INPUT_SIZE,
    TopdownCrop,
    box_to_center_scale,
    crop_people,
    fix_aspect_ratio,
    udp_warp_matrix,
)
from .tracking import PersonTracker, box_iou, boxes_from_keypoints, keypoint_similarity
from .video_io import VideoFrame, VideoInfo, VideoSource
from .visualize import (
    KEYPOINT_SCORE_THRESHOLD,
    albedo_to_bgr,
    colorize_labels,
    depth_to_bgr,
    draw_pose,
    draw_track_ids,
    normals_to_bgr,
    overlay_segmentation,
)

__all__ = [
    "BLUR_KERNEL_SIZE",
    "BOX_PADDING",
    "CANONICAL_FOCAL_LENGTH",
    "DEFAULT_SMOOTHING",
    "DENSE_INPUT_SIZE",
    "KEYPOINT_SCORE_THRESHOLD",
    "MEAN_RGB",
    "NMS_IOU_THRESHOLD",
    "POSE_INPUT_SIZE",
    "SCORE_THRESHOLD",
    "STD_RGB",
    "HogPersonDetector",
    "InputError",
    "KeypointMetadata",
    "Letterbox",
    "OneEuroFilter",
    "OneEuroParams",
    "PersonDetector",
    "PersonTracker",
    "PoseSmoother",
    "SegmentationMetadata",
    "TopdownCrop",
    "VideoFrame",
    "VideoInfo",
    "VideoSource",
    "albedo_to_bgr",
    "albedo_to_image",
    "average_flip_heatmaps",
    "blur_heatmaps",
    "box_iou",
    "box_to_center_scale",
    "boxes_from_keypoints",
    "canonical_to_metric",
    "colorize_labels",
    "crop_padding",
    "crop_people",
    "decode_pose",
    "decode_udp_heatmaps",
    "depth_to_bgr",
    "draw_pose",
    "draw_track_ids",
    "filter_boxes",
    "fix_aspect_ratio",
    "flip_image",
    "focal_length_px",
    "foreground_mask",
    "heatmap_maxima",
    "image_from_array",
    "image_from_pil",
    "iter_camera",
    "iter_video",
    "keypoint_groups",
    "keypoint_metadata",
    "keypoint_similarity",
    "letterbox",
    "load_image",
    "nms",
    "normalize",
    "normals_to_bgr",
    "normals_to_image",
    "overlay_segmentation",
    "person_boxes",
    "pointmap_to_image",
    "read_image",
    "refine_dark_udp",
    "resize_map",
    "segmentation_labels",
    "segmentation_metadata",
    "stretch_resize",
    "udp_warp_matrix",
    "unflip_heatmaps",
    "whole_image_box",
]

"""Training datasets: COCO keypoint JSON (any keypoint set), segmentation folders, folders of dense arrays."""

from .coco_pose import CocoPoseDataset, KeypointSet
from .coco_pose_masks import CocoPoseMaskDataset
from .dense_folder import DenseArrayDataset
from .errors import DatasetError
from .seg_folder import SegFolderDataset

__all__ = ["CocoPoseDataset", "CocoPoseMaskDataset", "DatasetError", "DenseArrayDataset", "KeypointSet", "SegFolderDataset"]

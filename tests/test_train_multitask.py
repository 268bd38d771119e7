"""The multi-task student: pose + segmentation heads on one backbone, trained, saved, loaded and run in one pass."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import torch
import yaml
from safetensors.torch import load_file

import sapiens2
from sapiens2.checkpoints import load_model
from sapiens2.cli.main import main
from sapiens2.pipelines.multitask import paste_crop_labels
from sapiens2.processing.topdown import TopdownCrop
from sapiens2.results.multitask import MultiTaskResult
from sapiens2.train.checkpointing import save_model_file
from sapiens2.train.config import load_config
from sapiens2.train.data import DatasetError
from sapiens2.train.trainer import Trainer
from train_datasets import KEYPOINT_NAMES, SKELETON, TINY_POSE_HEAD, tiny_pose_config, write_coco_mask_dataset

TINY_SEG_HEAD = {
    "deconv_out_channels": [8, 8, 8, 8],
    "deconv_kernel_sizes": [4, 4, 4, 4],
    "conv_out_channels": [8],
    "conv_kernel_sizes": [1],
}


def multitask_config(annotations, out_dir, **sections) -> dict:
    config = tiny_pose_config(annotations, out_dir, **sections)
    config["model"] |= {"task": "multitask", "head": {"pose": TINY_POSE_HEAD, "seg": TINY_SEG_HEAD}}
    return config


def write_config(tmp_path, config: dict):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_coco_mask_dataset(tmp_path_factory.mktemp("coco_masks"), count=4)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, dataset):
    """A run of 120 steps without augmentation, and its pose and seg losses on the training set before and after."""
    tmp_path = tmp_path_factory.mktemp("multitask_run")
    config = multitask_config(
        dataset,
        tmp_path / "run",
        data={"augment": False, "batch_size": 4},
        optim={"lr": 3e-3},
        schedule={"iters": 120, "warmup_iters": 1},
    )
    trainer = Trainer(load_config(write_config(tmp_path, config)))
    batch = {
        k: torch.stack([trainer.train_set[i][k] for i in range(4)]) for k in ("image", "heatmaps", "weights", "labels")
    }

    def losses() -> tuple[float, float]:
        from sapiens2.train import losses as objectives

        with torch.no_grad():
            heatmaps, logits = trainer.student(batch["image"])
        return float(objectives.keypoint_mse(heatmaps, batch["heatmaps"], batch["weights"])), float(
            objectives.seg_loss(logits, batch["labels"], None)
        )

    before = losses()
    result = trainer.fit()
    return result, before, losses()


def test_samples_carry_heatmaps_and_the_mask_warped_with_the_crop(dataset) -> None:
    from sapiens2.train.data import CocoPoseMaskDataset

    data = CocoPoseMaskDataset(dataset, input_size=(32, 48), heatmap_size=(8, 12), sigma=2.0, augment=True, seed=3)
    for index in range(len(data)):
        sample = data[index]
        labels, points, seen = sample["labels"].numpy(), sample["keypoints"].numpy(), sample["weights"].numpy() > 0
        assert labels.shape == (48, 32) and set(np.unique(labels)) <= {0, 1, 255}
        # The person disc is drawn around every keypoint: where the keypoint lands, the warped mask says person.
        for x, y in np.round(points[seen]).astype(int):
            assert labels[y, x] == 1, (index, x, y)


def test_a_missing_mask_folder_is_a_clear_error(tmp_path) -> None:
    from train_datasets import write_coco_dataset

    from sapiens2.train.data import CocoPoseMaskDataset

    with pytest.raises(DatasetError, match="mask folder .* does not exist"):
        CocoPoseMaskDataset(write_coco_dataset(tmp_path, count=1))


def test_several_annotation_files_each_read_the_masks_beside_them(tmp_path) -> None:
    """Both files name images/000.png; the second's masks say background everywhere, so a sample
    that read the first file's masks would show person pixels under its keypoints."""
    from sapiens2.train.data import CocoPoseMaskDataset

    first = write_coco_mask_dataset(tmp_path / "first", count=2, seed=0)
    second = write_coco_mask_dataset(tmp_path / "second", count=2, seed=1)
    for mask in (tmp_path / "second" / "masks").iterdir():
        cv2.imwrite(str(mask), np.zeros((128, 96), np.uint8))
    data = CocoPoseMaskDataset([first, second], input_size=(32, 48), heatmap_size=(8, 12), sigma=2.0, augment=False)
    assert len(data) == 4
    for index in range(len(data)):
        sample = data[index]
        points, seen = sample["keypoints"].numpy(), sample["weights"].numpy() > 0
        under_keypoints = {int(sample["labels"][y, x]) for x, y in np.round(points[seen]).astype(int)}
        assert under_keypoints == ({1} if index < 2 else {0}), index


def test_both_losses_fall(trained) -> None:
    _, (pose_before, seg_before), (pose_after, seg_after) = trained
    assert pose_after < 0.7 * pose_before, (pose_before, pose_after)
    assert seg_after < 0.7 * seg_before, (seg_before, seg_after)


def test_the_checkpoint_round_trips_and_inspect_names_both_heads(trained, capsys) -> None:
    result = trained[0]
    tensors = load_file(result.model_file)
    assert {k.split(".")[0] for k in tensors} == {"backbone", "decode_heads"}
    assert any(k.startswith("decode_heads.pose.conv_pose") for k in tensors) and any(
        k.startswith("decode_heads.seg.conv_seg") for k in tensors
    )
    model = load_model(result.model_file, expect="task", strict=True)
    assert model.task == "multitask"
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, tensors[key], rtol=0, atol=0, msg=key)
    metadata = json.loads(result.model_file.with_suffix(".json").read_text())
    assert metadata["task"] == "multitask"
    assert metadata["keypoints"]["names"] == list(KEYPOINT_NAMES) and metadata["classes"]["names"] == [
        "background",
        "person",
    ]
    assert main(["inspect", str(result.model_file)]) == 0
    out = capsys.readouterr().out
    assert "multitask" in out and "out_channels=5" in out and "num_classes=2" in out
    assert main(["inspect", str(result.model_file), "--json"]) == 0
    keypoints = json.loads(capsys.readouterr().out)["keypoints"]
    assert (keypoints["official"], keypoints["names"]) == (False, list(KEYPOINT_NAMES))
    assert keypoints["skeleton_links"] == [[a - 1, b - 1] for a, b in SKELETON]


def test_predict_gives_pose_and_seg_from_one_backbone_pass(trained, dataset) -> None:
    predictor = sapiens2.load(trained[0].model_file)
    calls = []
    predictor.runtime.model.backbone.register_forward_hook(lambda *args: calls.append(1))
    image = cv2.imread(str(dataset.parent / "images" / "000.png"))
    result = predictor.predict(image, boxes=np.array([[10, 20, 80, 110, 1.0]]), color_order="bgr")
    assert len(calls) == 1
    assert isinstance(result, MultiTaskResult)
    assert result.pose.keypoints.shape == (1, 5, 2) and result.pose.keypoint_names == KEYPOINT_NAMES
    # The dataset's own skeleton (COCO's 1-based pairs) reaches the result through ModelIO.keypoint_set.
    assert result.pose.keypoint_set.skeleton_links.tolist() == [[a - 1, b - 1] for a, b in SKELETON]
    assert result.seg.labels.shape == image.shape[:2] and result.seg.class_names == ("background", "person")
    assert result.draw(image).shape == image.shape
    document = json.loads(result.to_json())["pose"]
    assert document["num_keypoints"] == 5 and document["skeleton_links"] == [[a - 1, b - 1] for a, b in SKELETON]


def test_the_pose_part_matches_a_pose_model_made_of_the_same_weights(trained, dataset, tmp_path) -> None:
    """Reference: the backbone + pose head saved as an ordinary pose checkpoint gives the same keypoints."""
    tensors = load_file(trained[0].model_file)
    pose_only = {k: v for k, v in tensors.items() if k.startswith("backbone.")}
    pose_only |= {
        k.replace("decode_heads.pose.", "decode_head."): v
        for k, v in tensors.items()
        if k.startswith("decode_heads.pose.")
    }
    pose_file = save_model_file(pose_only, tmp_path, {"task": "pose", "keypoints": {"names": list(KEYPOINT_NAMES)}})
    image = cv2.imread(str(dataset.parent / "images" / "001.png"))
    boxes = np.array([[5, 10, 90, 120, 1.0]])
    both = sapiens2.load(trained[0].model_file).predict(image, boxes=boxes, color_order="bgr")
    pose = sapiens2.load(pose_file).predict(image, boxes=boxes, color_order="bgr")
    np.testing.assert_allclose(both.pose.keypoints, pose.keypoints, atol=1e-4)


def test_crop_labels_are_pasted_where_the_crop_lies() -> None:
    """A crop whose logits say 'person' everywhere: person inside the crop's footprint, background outside."""
    crop = TopdownCrop.from_box(np.array([40, 40, 80, 100], np.float32), input_size=(32, 48))
    logits = np.zeros((1, 2, 48, 32), np.float32)
    logits[:, 1] = 5.0
    labels = paste_crop_labels(logits, [crop], (200, 160))
    x1, y1 = np.floor(crop.center - crop.scale / 2).astype(int) + 2
    x2, y2 = np.ceil(crop.center + crop.scale / 2).astype(int) - 2
    assert (labels[y1:y2, x1:x2] == 1).all()
    outside = np.ones_like(labels, bool)
    outside[y1 - 4 : y2 + 4, x1 - 4 : x2 + 4] = False
    assert (labels[outside] == 0).all()
    assert (paste_crop_labels(logits[:0], [], (20, 10)) == 0).all()


def test_validation_reports_both_metrics_and_distillation_trains_it(tmp_path, dataset, trained, capsys) -> None:
    config = multitask_config(dataset, tmp_path / "labels", schedule={"iters": 2, "warmup_iters": 1})
    config["data"] |= {"val": str(dataset)}
    assert main(["train", "distill", "--config", str(write_config(tmp_path, config))]) == 0  # from pseudo-labels
    out = capsys.readouterr().out
    assert "val PCK@0.1" in out and "val mIoU" in out
    # From a multitask teacher checkpoint: heatmap and logit distillation, summed.
    config["run"]["out_dir"] = str(tmp_path / "teacher")
    config["distill"] = {"teacher": str(trained[0].model_file), "output_weight": 1.0}
    assert main(["train", "distill", "--config", str(write_config(tmp_path, config))]) == 0
    assert load_model(tmp_path / "teacher" / "model.safetensors", expect="task").task == "multitask"


def test_cli_predicts_it_and_compile_refuses_it_in_one_line(trained, dataset, tmp_path, capsys) -> None:
    model_file = str(trained[0].model_file)
    image = str(dataset.parent / "images" / "000.png")
    assert main(["predict", "--checkpoint", model_file, image, "--out", str(tmp_path / "pred")]) == 0
    assert sorted(p.name for p in (tmp_path / "pred").iterdir()) == ["000_multitask.json", "000_multitask.png", "000_seg.npy"]
    assert main(["compile", model_file, "--target", "onnx", "--out", str(tmp_path / "bundle")]) == 2
    assert "a multitask checkpoint cannot be compiled yet" in capsys.readouterr().err

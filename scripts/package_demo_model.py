"""Copies a ``sapiens2 train`` pose run into the package as the demo model: fp16 tensors + its model.json.

fp16 halves the wheel's share (the loader computes in fp32; heatmaps move by about 1e-3 of their
peak). The JSON gains the facts the demo and ``sapiens2 inspect`` show: what the model is and is not.

Usage: python scripts/package_demo_model.py RUN_DIR DEST_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from safetensors.torch import load_file, save_file

DESCRIPTION = {
    "name": "tiny_pose_mediapipe",
    "what": "tiny demo pose model distilled from MediaPipe BlazePose; not Sapiens2",
    "teacher": "MediaPipe 0.10.21 BlazePose full (Apache-2.0)",
    "data": "Pose2Sim 0.10.49 demo videos (BSD-3-Clause, perfanalytics), OpenCV vtest.avi (OpenCV sample data); "
    "backgrounds: scikit-image 0.26.0 sample pictures (CC0 / public domain), scikit-learn 1.9.1 china.jpg and "
    "flower.jpg (CC-BY 2.0, danielbuechele and vultilion on Flickr), median frames of the training clips",
    "licence": "Apache-2.0, as the SDK's code",
    "trained_by": "scripts/train_demo_model.sh",
}


def main() -> None:
    run, dest = Path(sys.argv[1]), Path(sys.argv[2])
    dest.mkdir(parents=True, exist_ok=True)
    tensors = {name: tensor.half() for name, tensor in load_file(run / "model.safetensors").items()}
    save_file(tensors, dest / "model.safetensors", metadata={"format": "pt"})
    metadata = json.loads((run / "model.json").read_text()) | {"demo_model": DESCRIPTION}
    (dest / "model.json").write_text(json.dumps(metadata, indent=1))
    print(f"packaged {sum(t.numel() for t in tensors.values()) / 1e6:.2f} M parameters into {dest}")


if __name__ == "__main__":
    main()

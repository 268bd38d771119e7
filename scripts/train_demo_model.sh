#!/usr/bin/env bash
# Trains the SDK's tiny demo pose model from scratch and packages it into sdk/data/models/ (see
# sdk/data/models/README.md and docs/training.md). Needs the package registry (two wheels of BSD-3
# footage, two of sample pictures, MediaPipe's own venv on first use); the training took 30 minutes of
# one CPU core with AVX512-BF16 (run.precision: fastest; fp32 elsewhere steps about 1.65x slower).
#   scripts/train_demo_model.sh [WORK_DIR]        (default ./demo_model_work)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mkdir -p "${1:-demo_model_work}" && cd "${1:-demo_model_work}" && pwd)"
cd "$work"

# 1. Footage: Pose2Sim's four demo scenes (4 cameras each) and Sports2D's demo clip (BSD-3-Clause),
#    and OpenCV's vtest.avi (the repository's test copy).
pip download --no-deps pose2sim==0.10.49 sports2d==0.8.34 scikit-image==0.26.0 scikit-learn==1.9.1 -d wheels >/dev/null
unzip -qo wheels/pose2sim-0.10.49-py3-none-any.whl 'Pose2Sim/Demo_*.mp4' -d footage
unzip -qo wheels/sports2d-0.8.34-py3-none-any.whl 'Sports2D/Demo/demo.mp4' -d footage
P=footage/Pose2Sim
S=$P/Demo_SinglePerson/videos M=$P/Demo_MultiPerson/videos T1=$P/Demo_Batch/Trial_1/videos T2=$P/Demo_Batch/Trial_2/videos

# 2. MediaPipe pseudo-labels. Training: cameras 1-3 and vtest's people (HOG boxes, full resolution), with
#    person masks for the background swap. Held out: camera 4 of every scene and the Sports2D clip (a
#    scene the student never sees).
label() { [ -f "$1/annotations.json" ] || sapiens2 label --out "$@"; }
label mp_train $S/cam0{1,2,3}.mp4 $M/cam0{1,2,3}.mp4 --masks
label mp_batch_train $T1/cam0{1,2,3}.mp4 $T2/cam0{1,2,3}.mp4 --masks
label mp_vtest "$repo/tests/data/images/vtest.avi" --detector hog --every 2 --max-side 768 --masks
label mp_val $S/cam04.mp4 $M/cam04.mp4 footage/Sports2D/Demo/demo.mp4 --every 2
label mp_batch_val $T1/cam04.mp4 $T2/cam04.mp4 --every 2

# 3. Pictures to paste the training people onto: ten CC0 / public-domain / CC-BY sample pictures from the
#    scikit-image and scikit-learn wheels and a clean plate (median frame) of every training clip.
[ -d backgrounds ] || python "$repo/scripts/demo_backgrounds.py" backgrounds --wheels wheels \
    --annotations mp_train/annotations.json mp_batch_train/annotations.json mp_vtest/annotations.json

# 4. Distillation (progress bar, held-out PCK@0.1 every 500 steps), then the per-clip figures.
sapiens2 train distill --config "$repo/configs/distill_mediapipe_tiny.yaml" --out runs/tiny_pose_mediapipe
python "$repo/scripts/evaluate_pose_student.py" runs/tiny_pose_mediapipe --config "$repo/configs/distill_mediapipe_tiny.yaml" \
    --train mp_train/annotations.json mp_batch_train/annotations.json mp_vtest/annotations.json \
    --val mp_val/annotations.json mp_batch_val/annotations.json

# 5. Package: fp16 tensors (half the size; the loader computes in fp32) and the run's model.json.
python "$repo/scripts/package_demo_model.py" runs/tiny_pose_mediapipe "$repo/sdk/data/models/tiny_pose_mediapipe"

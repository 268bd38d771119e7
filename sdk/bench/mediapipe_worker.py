"""Runs one MediaPipe model on one image on request; started by ``mediapipe_baseline`` inside the
MediaPipe virtual environment (it needs numpy < 2 and protobuf < 5, which the SDK's cannot share).

Usage: ``python mediapipe_worker.py pose|seg IMAGE CPUS``. It speaks one JSON line per request on
stdout: first a description of the model (version, model files and their bytes), then ``run`` ->
``{"found": bool}`` and ``peak`` -> ``{"peak_rss_bytes": int}``. Only the standard library,
mediapipe and OpenCV may be imported here: this file runs outside the SDK's environment.
"""

import json
import os
import resource
import sys

# Files under mediapipe/modules/ each model runs (all shipped in the wheel, so it works offline).
MODEL_FILES = {
    "pose": ("pose_detection/pose_detection.tflite", "pose_landmark/pose_landmark_full.tflite"),
    "seg": ("selfie_segmentation/selfie_segmentation.tflite",),
}


def build(task):
    """A function image_rgb -> whether the model found a person."""
    import mediapipe as mp

    if task == "pose":
        # model_complexity=1 ("full") is the one model the wheel ships; 0 and 2 download at run time.
        pose = mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1, enable_segmentation=False)
        return lambda image: pose.process(image).pose_landmarks is not None
    segmenter = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)
    return lambda image: bool((segmenter.process(image).segmentation_mask > 0.5).any())


def peak_rss_bytes():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def main():
    task, image_path, cpus = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if hasattr(os, "sched_setaffinity"):  # the same number of cores as the SDK's rows get threads
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:cpus])
    # Keep the protocol on a private copy of stdout: native libraries may print to fd 1.
    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)

    def reply(message):
        protocol.write(json.dumps(message) + "\n")
        protocol.flush()

    import cv2
    import mediapipe as mp

    image = cv2.cvtColor(cv2.imread(image_path), cv2.COLOR_BGR2RGB)
    infer = build(task)
    modules = os.path.join(os.path.dirname(mp.__file__), "modules")
    reply({"version": mp.__version__, "model_files": {name: os.path.getsize(os.path.join(modules, name)) for name in MODEL_FILES[task]}})
    for line in sys.stdin:
        command = line.strip()
        if command == "run":
            reply({"found": infer(image)})
        elif command == "peak":
            reply({"peak_rss_bytes": peak_rss_bytes()})
        else:
            reply({"error": f"unknown command {command!r}"})


if __name__ == "__main__":
    main()

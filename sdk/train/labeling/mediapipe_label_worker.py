"""Labels frames with MediaPipe's pose landmarker; started by ``mediapipe_teacher`` inside the MediaPipe venv.

Usage: ``python mediapipe_label_worker.py JOB.json``. The job names the sources (images or videos),
the frames folder, every how many video frames to take one, the largest side of a saved frame, and
whether to save person masks. For every frame it saves ``frames/<name>.jpg`` (and
``masks/<name>.png``, 0 background / 1 person) and prints one JSON line: the file, its size and the
33 landmarks as (x, y, visibility) in saved-frame pixels, or null when no person was found. Only the
standard library, mediapipe and OpenCV may be imported here: this file runs outside the SDK's
environment.
"""

import json
import os
import sys

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def frames(source, every, max_side):
    """(name, BGR frame) pairs of an image or of every ``every``-th frame of a video, downscaled to ``max_side``."""
    import cv2

    stem = os.path.splitext(os.path.basename(source["path"]))[0]
    prefix = source["prefix"]
    if source["path"].lower().endswith(IMAGE_SUFFIXES):
        found = [(f"{prefix}{stem}", cv2.imread(source["path"], cv2.IMREAD_COLOR))]
    else:
        found = []
        capture = cv2.VideoCapture(source["path"])
        index = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            if index % every == 0:
                found.append((f"{prefix}{stem}_{index:06d}", frame))
            index += 1
        capture.release()
    for name, frame in found:
        if frame is None:
            continue
        scale = min(1.0, max_side / max(frame.shape[:2]))
        if scale < 1.0:
            frame = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        yield name, frame


def main():
    with open(sys.argv[1]) as handle:
        job = json.load(handle)
    protocol = os.fdopen(os.dup(1), "w")  # native libraries may print to fd 1
    os.dup2(2, 1)

    import cv2
    import mediapipe as mp

    # model_complexity=1 ("full") is the one model the wheel ships; 0 and 2 download at run time.
    pose = mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1, enable_segmentation=job["masks"])
    out = job["out_dir"]
    os.makedirs(os.path.join(out, "frames"), exist_ok=True)
    if job["masks"]:
        os.makedirs(os.path.join(out, "masks"), exist_ok=True)
    for source in job["sources"]:
        for name, frame in frames(source, job["every"], job["max_side"]):
            height, width = frame.shape[:2]
            result = pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            landmarks = None
            if result.pose_landmarks is not None:
                landmarks = [[p.x * width, p.y * height, p.visibility] for p in result.pose_landmarks.landmark]
            file_name = f"frames/{name}.jpg"
            cv2.imwrite(os.path.join(out, file_name), frame, [cv2.IMWRITE_JPEG_QUALITY, 92])
            if job["masks"] and result.segmentation_mask is not None:
                cv2.imwrite(os.path.join(out, "masks", f"{name}.png"), (result.segmentation_mask > 0.5).astype("uint8"))
            protocol.write(json.dumps({"source": source["path"], "file": file_name, "width": width, "height": height, "landmarks": landmarks}) + "\n")
            protocol.flush()


if __name__ == "__main__":
    main()

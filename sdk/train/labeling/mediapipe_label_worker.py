"""Labels saved frames with MediaPipe's pose landmarker; started by ``mediapipe_teacher`` inside the MediaPipe venv.

Usage: ``python mediapipe_label_worker.py JOB.json``. The job names the dataset folder, whether to
save person masks, the folder of ``mediapipe_person_crop`` (shared with the bench's worker), and the
frames (``frames/<name>.jpg``, already written by the SDK) with the person boxes to label in each,
or null for the whole frame. Each box is labelled in a crop of its own (MediaPipe's landmarker finds
one person per image). For every frame it prints one JSON line: the file and a list of people, each
33 landmarks as (x, y, visibility) in frame pixels; with masks it saves ``masks/<name>.png`` (0
background, 1 person: the union of the people found; no file when nobody was found, so a missed
person never becomes background). Only the standard library, mediapipe, numpy and OpenCV may be
imported here: this file runs outside the SDK's environment.
"""

import json
import os
import sys


def main():
    with open(sys.argv[1]) as handle:
        job = json.load(handle)
    protocol = os.fdopen(os.dup(1), "w")  # native libraries may print to fd 1
    os.dup2(2, 1)

    import cv2
    import mediapipe as mp
    import numpy as np

    sys.path.insert(0, job["crop_module_dir"])
    from mediapipe_person_crop import landmarks_in_box

    # model_complexity=1 ("full") is the one model the wheel ships; 0 and 2 download at run time.
    pose = mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1, enable_segmentation=job["masks"])
    out = job["out_dir"]
    if job["masks"]:
        os.makedirs(os.path.join(out, "masks"), exist_ok=True)
    for entry in job["frames"]:
        frame = cv2.imread(os.path.join(out, entry["file"]), cv2.IMREAD_COLOR)
        height, width = frame.shape[:2]
        people, mask = [], None
        if entry["boxes"] is None:
            result = pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            if result.pose_landmarks is not None:
                people.append([[p.x * width, p.y * height, p.visibility] for p in result.pose_landmarks.landmark])
            if result.segmentation_mask is not None:
                mask = (result.segmentation_mask > 0.5).astype(np.uint8)
        for box in entry["boxes"] or []:
            points, person_mask = landmarks_in_box(pose, frame, box)
            if points is not None:
                people.append(points)
            if person_mask is not None:
                mask = person_mask if mask is None else mask | person_mask
        if job["masks"] and mask is not None:
            stem = os.path.splitext(os.path.basename(entry["file"]))[0]
            cv2.imwrite(os.path.join(out, "masks", f"{stem}.png"), mask)
        protocol.write(json.dumps({"file": entry["file"], "people": people}) + "\n")
        protocol.flush()


if __name__ == "__main__":
    main()

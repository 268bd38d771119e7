"""MediaPipe BlazePose landmarks of tracked people in a video; run by ``video_smoothing`` inside the
MediaPipe virtual environment (numpy < 2, protobuf < 5: see ``mediapipe_baseline``).

Usage: ``python mediapipe_video_worker.py VIDEO PEOPLE_JSON OUT_JSON``. PEOPLE_JSON maps frame
indices to ``[[track_id, x1, y1, x2, y2], ...]``; each box is widened to a padded crop, enlarged to
``CROP_HEIGHT`` pixels (BlazePose misses people much smaller than that) and run in static-image
mode, so every frame is an independent estimate, like a single-frame model. OUT_JSON gets
``[[frame, track_id, [[x, y, visibility] x 33]], ...]`` in image pixels, for people found.
Only the standard library, mediapipe and OpenCV may be imported here.
"""

import json
import sys

CROP_HEIGHT = 384
PADDING = 1.3  # crop side / box side, so limbs at the box edge stay inside


def crop_box(box, width, height):
    x1, y1, x2, y2 = box
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    half_w, half_h = (x2 - x1) * PADDING / 2, (y2 - y1) * PADDING / 2
    return max(int(cx - half_w), 0), max(int(cy - half_h), 0), min(int(cx + half_w), width), min(int(cy + half_h), height)


def main():
    video, people_path, out_path = sys.argv[1:4]
    import cv2
    import mediapipe as mp

    people = {int(frame): boxes for frame, boxes in json.load(open(people_path)).items()}
    pose = mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1, enable_segmentation=False)
    capture = cv2.VideoCapture(video)
    found, index = [], -1
    while people and index < max(people):
        ok, frame = capture.read()
        if not ok:
            break
        index += 1
        for track_id, *box in people.get(index, []):
            x1, y1, x2, y2 = crop_box(box, frame.shape[1], frame.shape[0])
            if x2 - x1 < 8 or y2 - y1 < 8:
                continue
            scale = CROP_HEIGHT / (y2 - y1)
            crop = cv2.resize(frame[y1:y2, x1:x2], None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
            landmarks = pose.process(cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)).pose_landmarks
            if landmarks is None:
                continue
            points = [
                [x1 + p.x * crop.shape[1] / scale, y1 + p.y * crop.shape[0] / scale, p.visibility]
                for p in landmarks.landmark
            ]
            found.append([index, track_id, points])
    with open(out_path, "w") as handle:
        json.dump(found, handle)


if __name__ == "__main__":
    main()

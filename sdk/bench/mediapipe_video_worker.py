"""MediaPipe BlazePose landmarks of tracked people in a video; run by ``video_smoothing`` inside the
MediaPipe virtual environment (numpy < 2, protobuf < 5: see ``mediapipe_baseline``).

Usage: ``python mediapipe_video_worker.py VIDEO PEOPLE_JSON OUT_JSON``. PEOPLE_JSON maps frame
indices to ``[[track_id, x1, y1, x2, y2], ...]``; each box is labelled in a padded, enlarged crop
(``mediapipe_person_crop``) in static-image mode, so every frame is an independent estimate, like
a single-frame model. OUT_JSON gets
``[[frame, track_id, [[x, y, visibility] x 33]], ...]`` in image pixels, for people found.
Only the standard library, mediapipe, numpy and OpenCV may be imported here.
"""

import json
import sys


def main():
    video, people_path, out_path = sys.argv[1:4]
    import cv2
    import mediapipe as mp
    from mediapipe_person_crop import landmarks_in_box  # a sibling file: run as a script, its folder is on sys.path

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
            points, _ = landmarks_in_box(pose, frame, box)
            if points is not None:
                found.append([index, track_id, points])
    with open(out_path, "w") as handle:
        json.dump(found, handle)


if __name__ == "__main__":
    main()

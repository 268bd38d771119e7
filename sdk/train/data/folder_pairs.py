"""Pair each image of ``images/`` with the file of the same stem in a target folder; a clear error otherwise."""

from __future__ import annotations

from pathlib import Path

from .errors import DatasetError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def paired_files(root: Path, target_folder: str, target_suffixes: tuple[str, ...]) -> list[tuple[Path, Path]]:
    """(image, target) pairs under ``root/images`` and ``root/<target_folder>``, sorted by stem."""
    images_dir, targets_dir = root / "images", root / target_folder
    for folder in (images_dir, targets_dir):
        if not folder.is_dir():
            raise DatasetError(f"dataset {root} needs an '{folder.name}/' folder (layout: images/ and {target_folder}/ with matching file stems)")
    targets = {p.stem: p for p in targets_dir.iterdir() if p.suffix.lower() in target_suffixes}
    images = sorted(p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    missing = [p.name for p in images if p.stem not in targets]
    if missing:
        raise DatasetError(f"{len(missing)} image(s) in {images_dir} have no {'/'.join(target_suffixes)} file in {targets_dir}, e.g. {missing[0]}")
    if not images:
        raise DatasetError(f"{images_dir} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    return [(p, targets[p.stem]) for p in images]

"""One distinct output file-name stem per input, so that no input's results overwrite another's.

An input's stem is its file name without the extension (``photos/x.jpg`` -> ``x``), as long as no
other input of the same run has that stem. Inputs that share one are told apart by the least that
differs: first the extension (``x.jpg``, ``x.png`` -> ``x_jpg``, ``x_png``), then as many parent
folders as needed (``a/x.jpg``, ``b/x.jpg`` -> ``a_x_jpg``, ``b_x_jpg``). The same file given twice
gets ``_2``, ``_3`` ... in command-line order. A video's results are ``{stem}_{task}.mp4`` and ``.jsonl``.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from .inputs import InputItem


def output_stems(items: list[InputItem]) -> list[str]:
    """The stems of ``items``, in order, all distinct (see the module docstring for the rule)."""
    candidates = [_candidates(item) for item in items]
    levels = [0] * len(items)
    while True:
        names = [options[level] for options, level in zip(candidates, levels)]
        sources = defaultdict(set)  # name -> the distinct inputs that would take it
        for name, options in zip(names, candidates):
            sources[name].add(options[-1])
        clashing = [i for i, name in enumerate(names) if len(sources[name]) > 1 and levels[i] + 1 < len(candidates[i])]
        if not clashing:
            break
        for i in clashing:
            levels[i] += 1
    used: set[str] = set()
    stems = []
    for name in names:
        stem, copy = name, 1
        while stem in used:
            copy += 1
            stem = f"{name}_{copy}"
        used.add(stem)
        stems.append(stem)
    return stems


def _candidates(item: InputItem) -> list[str]:
    """Ever more specific names for one input: stem, stem + extension, then with parent folders."""
    if item.kind == "camera":
        return [item.stem]
    path = Path(item.text).absolute()
    with_suffix = f"{path.stem}_{path.suffix[1:]}" if path.suffix else path.stem
    folders = [part for part in path.parent.parts if part not in ("/", "\\") and not part.endswith(":\\")]
    return [path.stem, with_suffix] + ["_".join([*folders[-depth:], with_suffix]) for depth in range(1, len(folders) + 1)]

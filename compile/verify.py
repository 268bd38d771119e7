"""Run a freshly exported artifact beside the PyTorch reference and write down how close it is.

Two references run on every sample: the eager ``ExportWrapper`` the artifact came from (the gate
uses this one: differences are the export's alone) and the model with its own RoPE, i.e. the
official bf16 numerics (``vs_official``, informational: fp32 RoPE tables already move trained
outputs by ~1e-3 relative). With a dynamic batch the samples run batched, which also checks that
the batch dimension really is free.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sapiens2.bundle import Manifest
from sapiens2.models import Sapiens2TaskModel
from sapiens2.targets import runtime_class
from sapiens2.threads import torch_threads

from .fidelity import compare, gate_failures, summarize
from .options import CompileOptions
from .samples import Sample, data_dir, fidelity_samples
from .streaming import reference_forward, release_weights
from .wrappers import ExportWrapper


def _batches(samples: Sequence[Sample], batched: bool) -> list[list[Sample]]:
    if not batched:
        return [[sample] for sample in samples]
    groups = [[s for s in samples if s.real], [s for s in samples if not s.real]]
    return [group for group in groups if group]


def _split(outputs: Mapping[str, np.ndarray], index: int) -> dict[str, np.ndarray]:
    return {name: array[index : index + 1] for name, array in outputs.items()}


def _spill(outputs: Mapping[str, np.ndarray], folder: Path, prefix: str) -> dict[str, Path]:
    """Write one run's outputs to .npy files, so that the references of every sample need not stay on the heap while
    the runtime runs (a 1B's 1024x768 heatmaps are 60 MB a sample, twice: reference and official)."""
    paths = {}
    for name, array in outputs.items():
        paths[name] = folder / f"{prefix}-{name}.npy"
        np.save(paths[name], array)
    return paths


def _mapped(paths: Mapping[str, Path]) -> dict[str, np.ndarray]:
    return {name: np.load(path, mmap_mode="r") for name, path in paths.items()}


def verify_artifact(
    directory: Path,
    manifest: Manifest,
    model: Sapiens2TaskModel,
    wrapper: ExportWrapper,
    options: CompileOptions,
) -> dict[str, Any]:
    """Fidelity section of the report: per-sample metrics, worst-case summaries and the gate verdict.

    The runtime and the PyTorch references run with ``options.threads`` threads each, one after the
    other: the references first (a model with streamed weights reads its blocks one at a time),
    then, for a float artifact, the PyTorch weights are freed (the model is spent: only a quantized
    artifact's accuracy gate runs it again), and only then does the runtime load the artifact, so
    the two copies of the weights never coexist. The references' outputs wait in memory-mapped
    files and each runtime output is compared and dropped at once, so the heap beside the runtime
    holds one batch of outputs, not all of them.
    """
    with torch_threads(options.threads), tempfile.TemporaryDirectory(prefix="sapiens2-references-") as spill:
        return _verify(directory, manifest, model, wrapper, options, Path(spill))


def _verify(
    directory: Path,
    manifest: Manifest,
    model: Sapiens2TaskModel,
    wrapper: ExportWrapper,
    options: CompileOptions,
    spill: Path,
) -> dict[str, Any]:
    eager = runtime_class("torch")  # the eager reference runtime, given the wrappers themselves
    reference = eager(wrapper, manifest)
    official = eager(
        ExportWrapper(model, options.input_size, options.in_graph_preprocess, options.decode, fixed_rope=False), manifest
    )
    samples = fidelity_samples(manifest.task, options.input_size, options.in_graph_preprocess)
    groups = _batches(samples, options.dynamic_batch)
    inputs = [{wrapper.input_names[0]: np.concatenate([sample.array for sample in group])} for group in groups]
    with reference_forward(model):
        expected = [
            {
                role: _spill(runner.run(batch), spill, f"{index}-{role}")
                for role, runner in (("reference", reference), ("official", official))
            }
            for index, batch in enumerate(inputs)
        ]
    del reference, official
    if not options.quantized:
        release_weights(model)
    runtime = runtime_class(manifest.target)
    candidate = runtime.load(directory, manifest, threads=options.threads, **runtime.verification_options)
    results = []
    for group, batch, stored in zip(groups, inputs, expected):
        outputs = {role: _mapped(paths) for role, paths in stored.items()} | {"candidate": candidate.run(batch)}
        for index, sample in enumerate(group):
            got = _split(outputs["candidate"], index)
            results.append(
                {
                    "name": sample.name,
                    "real": sample.real,
                    "batch_size": len(group),
                    "vs_reference": compare(manifest.task, _split(outputs["reference"], index), got),
                    "vs_official": compare(manifest.task, _split(outputs["official"], index), got),
                }
            )
        del outputs
    summary = summarize([result["vs_reference"] for result in results])
    failures = gate_failures(summary, options.cosine_threshold, options.label_agreement_threshold)
    return {
        "reference": "PyTorch eager ExportWrapper (same fp32 RoPE tables, attention, in-graph steps), fp32",
        "official_reference": "PyTorch eager with the model's own RoPE (official bf16 numerics)",
        "runtime": {"name": candidate.name, "version": type(candidate).version(), "settings": candidate.settings()},
        "data_dir": str(data_dir()),
        "real_images": [sample.name for sample in samples if sample.real],
        "samples": results,
        "summary": {
            "vs_reference": summary,
            "vs_official": summarize([result["vs_official"] for result in results]),
        },
        "gate": {
            "min_cosine": options.cosine_threshold,
            "min_label_agreement": options.label_agreement_threshold,
            "passed": not failures,
            "failures": failures,
        },
    }

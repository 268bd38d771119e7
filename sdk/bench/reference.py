"""A (task, size) group's reference: PyTorch eager with the official numerics, its input and its outputs.

Every row of the group is timed alternately with this reference on the group's input (the first
fidelity sample: the first real photo of the sample data, packaged with the SDK) and compared with the
reference's outputs on all fidelity samples (the same real and random images the compile report
uses), so fidelity here is against the official numerics and the SDPA attention, whatever the
row's own attention mode. For given bundles the reference is rebuilt from the source their manifest
records (``bundle_reference``), and bundles that share weights, size and input share it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict

import numpy as np
from sapiens2.bundle import Bundle
from sapiens2.compile import ExportWrapper
from sapiens2.compile.fidelity import compare, summarize
from sapiens2.compile.samples import Sample, fidelity_samples
from sapiens2.compile.source import checkpoint_sha256, reference_wrapper
from sapiens2.pipelines import ModelIO

from .timing import Batch, Runner
from .torch_runner import ModuleRunner, official_wrapper


class Reference:
    """The group's reference runner, its input and its outputs on every fidelity sample.

    Rows may take their input in another layout (a bundle that normalises uint8 pixels in its
    graph): ``batch`` and ``fidelity`` give them the same images in their layout.
    """

    def __init__(self, wrapper: ExportWrapper, rss_before: int | None = None) -> None:
        """``rss_before``: resident memory before the model was loaded, for the reference row's added memory."""
        self.wrapper = wrapper
        self.task = wrapper.task
        self.input_size = wrapper.input_size
        self.input_name = wrapper.input_names[0]
        self.layout = wrapper.normalizer.layout if wrapper.normalizer is not None else None
        self.runner = ModuleRunner(wrapper)
        self._samples: dict[str | None, list[Sample]] = {}
        self.outputs = [self.runner.run(self._batch(sample.array)) for sample in self.samples(self.layout)]
        self.rss_before = rss_before

    def samples(self, layout: str | None) -> list[Sample]:
        """The fidelity images as an artifact with ``layout`` takes them (None: normalised float NCHW)."""
        if layout not in self._samples:
            self._samples[layout] = fidelity_samples(self.task, self.input_size, layout)
        return self._samples[layout]

    @property
    def sample(self) -> Sample:
        """The input every row is timed on."""
        return self.samples(self.layout)[0]

    @property
    def io(self) -> ModelIO:
        """The reference's I/O contract, so that a ``Predictor`` can run it on video frames."""
        return ModelIO(self.task, tuple(self.input_size), tuple(self.wrapper.output_names), self.input_name, self.layout)

    def batch(self, layout: str | None, size: int = 1) -> Batch:
        """The timed input in ``layout``, repeated ``size`` times along the batch axis."""
        return self._batch(np.concatenate([self.samples(layout)[0].array] * size))

    def fidelity(self, runner: Runner, layout: str | None) -> dict[str, float]:
        """Worst case over the samples of ``runner``'s outputs (its input in ``layout``) against the reference's."""
        candidates = (runner.run(self._batch(sample.array)) for sample in self.samples(layout))
        return summarize([compare(self.task, reference, candidate) for reference, candidate in zip(self.outputs, candidates)])

    def self_fidelity(self) -> dict[str, float]:
        """The reference row's own figures: exact by definition."""
        return summarize([compare(self.task, outputs, outputs) for outputs in self.outputs])

    def _batch(self, array: np.ndarray) -> Batch:
        return {self.input_name: array}


def bundle_reference(bundle: Bundle, checkpoints: Sequence[str]) -> ExportWrapper:
    """The official-numerics wrapper around the weights ``bundle`` was compiled from, with its input and outputs."""
    manifest = bundle.manifest
    model = reference_wrapper(manifest, _checkpoint_for(bundle, checkpoints)).model
    return official_wrapper(model, manifest.export.input_size, input_layout(bundle), manifest.export.decode)


def _checkpoint_for(bundle: Bundle, checkpoints: Sequence[str]) -> str | None:
    """The one checkpoint given, or the given one whose SHA-256 the manifest records (None: the recorded path)."""
    if len(checkpoints) <= 1 or bundle.manifest.source.random_weights:
        return checkpoints[0] if checkpoints else None
    return next((path for path in checkpoints if checkpoint_sha256(path) == bundle.manifest.source.sha256), None)


def reference_key(bundle: Bundle) -> str:
    """Bundles with equal keys share a reference: same weights, task, size, input layout and decoding."""
    manifest = bundle.manifest
    export = manifest.export
    return json.dumps([asdict(manifest.source), manifest.arch, manifest.task, list(export.input_size), input_layout(bundle), export.decode], sort_keys=True)


def input_layout(bundle: Bundle) -> str | None:
    """The uint8 pixel layout a bundle normalises in its graph, or None for normalised float NCHW."""
    manifest = bundle.manifest
    return manifest.inputs[0].layout if manifest.export.in_graph_preprocess else None

"""The target-neutral parts of quantization: calibration data, the per-layer sensitivity scan, the accuracy gate.

Each target's own tool (``sapiens2.targets.<name>.quantizer``) quantizes; the compile pipeline
(``sapiens2.compile.quantization``) runs these parts around it. Nothing here imports
``sapiens2.compile`` or a target.
"""

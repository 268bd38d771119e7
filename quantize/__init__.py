"""sapiens2.quantize"""

# compile and quantize import each other: compile's pipeline runs quantize.step, whose quantizers use
# compile's errors and samples. Loading compile first is the one order in which every module of both
# imports, so ``import sapiens2.quantize.onnx`` works as a first import too.
import sapiens2.compile  # noqa: F401  (isort: skip)

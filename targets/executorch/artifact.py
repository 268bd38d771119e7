"""What an ExecuTorch bundle's artifacts are: the XNNPACK program and the extra delegates' programs."""

MODEL_FILE = "model.pte"
EXTRA_PARTITIONERS = ("coreml", "vulkan", "qnn")  # each writes model.<name>.pte, which cannot run here

"""What an ONNX bundle's artifact is: its file and opset (the exporter writes it, the target declares it)."""

MODEL_FILE = "model.onnx"
OPSET = 20  # the dynamo exporter's opset (exporter.py says why)

"""ONNX target: exporter (``torch.onnx``), quantizer (ONNX Runtime tools) and runtime (ONNX Runtime CPU)."""

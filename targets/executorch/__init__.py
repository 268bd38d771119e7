"""ExecuTorch target: exporter (``torch.export`` lowered for XNNPACK), quantizer (PT2E) and runtime."""

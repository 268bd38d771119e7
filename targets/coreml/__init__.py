"""Core ML target: exporter (coremltools ML program), quantizer (weight compression), runtime (Core ML or MIL runner)."""

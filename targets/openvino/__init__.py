"""OpenVINO target: exporter (``openvino.convert_model``), quantizer (NNCF) and runtime (OpenVINO CPU)."""

"""PyTorch target: the eager reference that runs a bundle's source model, the checkpoint runner, torchao quantization."""

"""File formats: atomic writes and the safetensors container (leaves), model files, ONNX."""

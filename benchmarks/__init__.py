"""Speed and cost measurements: training-step time of scratch vs torch/TensorFlow, harness cost."""

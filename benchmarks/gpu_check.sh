#!/usr/bin/env bash
# The GPU check of issue #16 in one command (< 8 minutes on an H100): providers, torch fp16 vs
# onnxruntime CUDA fp16 vs TensorRT fp16 on realesrgan-x4plus 512², parity, % of fp16 peak.
# Needs the repository's requirements installed (onnxruntime-gpu brings the CUDA and TensorRT
# providers; TensorRT itself comes from the tensorrt wheel where it is installed).
set -euo pipefail
cd "$(dirname "$0")/.."
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "nvidia-smi not found"
timeout 480 python benchmarks/gpu_check.py "$@"

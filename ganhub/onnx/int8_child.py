"""The child process ``int8.quantize_capped`` runs the quantiser in, its address space capped.

    python -m ganhub.onnx.int8_child FP32.onnx OUT.onnx FEEDS.npz RECIPE BUDGET_BYTES

Prints the recipe used; exits with ``int8.OUT_OF_MEMORY`` when calibration hit the cap.
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path

import numpy as np

from ganhub.onnx.int8 import OUT_OF_MEMORY, _quantize
from ganhub.tile_memory import is_out_of_memory


def _feeds(stored: Path) -> list[dict[str, np.ndarray]]:
    feeds: dict[int, dict[str, np.ndarray]] = {}
    with np.load(stored) as arrays:
        for key in arrays.files:
            index, name = key.split("/", 1)
            feeds.setdefault(int(index), {})[name] = arrays[key]
    return [feeds[i] for i in sorted(feeds)]


def _cap_address_space(budget: int) -> None:
    """Allow ``budget`` bytes beyond what the process maps now (libraries, the interpreter)."""
    with open("/proc/self/status", encoding="ascii") as status:
        mapped = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
    resource.setrlimit(resource.RLIMIT_AS, (mapped + budget, resource.RLIM_INFINITY))


def main(argv: list[str]) -> int:
    fp32_path, path, stored, recipe, budget = argv
    feeds = _feeds(Path(stored))
    import onnxruntime.quantization  # noqa: F401  (mapped before the cap: it is not calibration's memory)

    _cap_address_space(int(budget))
    try:
        print(_quantize(Path(fp32_path), Path(path), feeds, recipe or None))
    except Exception as exc:
        if is_out_of_memory(exc):
            return OUT_OF_MEMORY
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

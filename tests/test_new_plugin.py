"""``ganhub new-plugin``: each kind's package installs with pip and passes its own tests.

Each kind's scaffold is written by the real command (``python -m ganhub.cli new-plugin``),
installed with pip into a temporary target the way ``tests/test_readme_plugin.py`` installs
the README example, and its generated tests run in a fresh interpreter with that target on
PYTHONPATH; ``ganhub list`` there must show the new model. The README's example is this scaffold's
output for ``myupscaler``, file for file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_readme_plugin import README, _blocks

from ganhub import scaffold
from ganhub.errors import GanhubError

# kind -> (plugin name, model id it registers)
KINDS = {
    "image-to-image": ("sr-demo", "sr-demo-x2"),
    "generate": ("gen-demo", "gen-demo"),
    "inpaint": ("fill-demo", "fill-demo"),
}


def _env(*paths: Path) -> dict[str, str]:
    env = {**os.environ, "COLUMNS": "1000"}  # rich must not wrap the paths it prints
    env.pop("GANHUB_PLUGINS", None)  # an allowlist would hide the new plugin
    env["PYTHONPATH"] = os.pathsep.join([*map(str, paths), os.environ.get("PYTHONPATH", "")])
    return env


def _ganhub(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ganhub.cli", *args], cwd=cwd, env=env or _env(),
                          capture_output=True, text=True, timeout=300)


def _pip_install(sources: list[Path], target: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", "--target", str(target), *map(str, sources)],
                   check=True, capture_output=True, text=True)


def test_each_kind_installs_passes_its_tests_and_is_listed(tmp_path: Path) -> None:
    """All three kinds go through one pip run, one pytest run and one `ganhub list`: each
    interpreter start imports torch, so sharing them keeps this test well under a minute."""
    pytest.importorskip("torch")
    runs = {kind: subprocess.Popen([sys.executable, "-m", "ganhub.cli", "new-plugin", name, "--kind", kind,
                                    "-o", "plugins-here"], cwd=tmp_path, env=_env(), text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for kind, (name, _) in KINDS.items()}
    sources = []
    for kind, run in runs.items():
        stdout, stderr = run.communicate(timeout=300)
        assert run.returncode == 0, f"{kind}: {stdout}{stderr}"
        name = KINDS[kind][0]
        assert f"pip install -e plugins-here/ganhub-{name}\n" in stdout
        assert f"pytest plugins-here/ganhub-{name}\n" in stdout
        sources.append(tmp_path / "plugins-here" / f"ganhub-{name}")

    target = tmp_path / "site"
    _pip_install(sources, target)
    for name, _ in KINDS.values():  # package-data really shipped
        assert (target / f"ganhub_{name.replace('-', '_')}" / "model.safetensors").is_file()

    # Run from a neutral folder so `import ganhub_…` finds the installed copies, not the sources.
    env = _env(target)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           *(str(source / "tests") for source in sources)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-3000:]
    assert "6 passed" in done.stdout

    listed = _ganhub("list", cwd=tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    cells = [line.split("\t") for line in listed.stdout.splitlines()]  # id task kind license weights plugin
    rows = [[row[0], row[2], row[3], row[5]] for row in cells if len(row) == 6]
    for kind, (name, model_id) in KINDS.items():
        assert [model_id, kind, "MIT", name] in rows, listed.stdout


def test_readme_example_is_the_image_to_image_scaffold(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    folder = scaffold.new_plugin("myupscaler", "image-to-image", tmp_path)
    blocks = _blocks()
    for path in ("pyproject.toml", "ganhub_myupscaler/__init__.py", "tests/test_myupscaler.py"):
        assert blocks[path] == (folder / path).read_text(), f"README block {path} differs from the scaffold"
    section = README.read_text().split("## Write your own plugin", 1)[1]
    tree = section[section.index("```\nganhub-myupscaler/\n"):].split("```")[1].split()[1:]
    written = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert sorted(tree) == written


def test_refuses_to_overwrite_an_existing_folder(tmp_path: Path) -> None:
    existing = tmp_path / "ganhub-taken"
    existing.mkdir()
    (existing / "notes.txt").write_text("mine")
    done = _ganhub("new-plugin", "taken", "--kind", "generate", "-o", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2
    assert f"'{existing}' already exists" in done.stderr and "-o DIR" in done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["ganhub-taken"]  # nothing written beside it
    assert [p.name for p in existing.iterdir()] == ["notes.txt"]


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(scaffold, "write_weights", broken)
    with pytest.raises(OSError, match="disk full"):
        scaffold.new_plugin("half", "inpaint", tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("bad", ["9gan", "a", "my_gan", "my--gan", "-gan", "gan-", "my gan", "x" * 41])
def test_bad_names_are_refused(bad: str, tmp_path: Path) -> None:
    with pytest.raises(GanhubError, match="cannot be used"):
        scaffold.new_plugin(bad, "generate", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_names_are_lowercased_and_tasks_rendered() -> None:
    files = scaffold.render("My-GAN", "generate", task="colorize")
    module = files["ganhub_my_gan/__init__.py"]
    assert 'id="my-gan"' in module and 'task="colorize"' in module and "class MyGan(" in module
    assert 'my-gan = "ganhub_my_gan"' in files["pyproject.toml"]
    assert "task=ganhub.Task.FACE_GENERATION" in scaffold.render("faces", "generate", "face-generation")[
        "ganhub_faces/__init__.py"]
    with pytest.raises(GanhubError, match="slug"):
        scaffold.render("faces", "generate", task="Face Generation")
    with pytest.raises(GanhubError, match="unknown kind"):
        scaffold.render("faces", "video")

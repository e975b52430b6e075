"""``ganhub new-plugin``: write a complete, working plugin package to start from.

:func:`new_plugin` writes ``ganhub-NAME/`` with a ``pyproject.toml`` (entry point in the
``ganhub`` group), a package holding one model of the chosen kind and small seeded weights
(so it runs offline), tests that use :mod:`ganhub.testing`, a README and a LICENSE. The
README's "Write your own plugin" example is this scaffold's image-to-image output for the
name ``myupscaler``, and a test keeps the two equal.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from string import Template

from ganhub.errors import GanhubError
from ganhub.spec import Kind, Task

_SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")  # plugin names and tasks

PYPROJECT = Template('''\
# pyproject.toml
[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "ganhub-$name"
version = "0.1.0"
description = "$title: a ganhub plugin"
license = "MIT"
license-files = ["LICENSE"]
dependencies = ["ganhub", "torch"]

[project.optional-dependencies]
test = ["pytest", "scikit-image"]

[project.entry-points.ganhub]
$name = "ganhub_$pkg"

[tool.setuptools]
packages = ["ganhub_$pkg"]

[tool.setuptools.package-data]
ganhub_$pkg = ["*.safetensors"]
''')

MODULE = Template('''\
# ganhub_$pkg/__init__.py
$imports


$network


class $cls(ganhub.$base):
    spec = ganhub.ModelSpec(
        id="$model_id",
        title="$title",
        task=$task,
        license="MIT",
        description="$description",
        weights=(ganhub.WeightSource("pkg://ganhub-$name/ganhub_$pkg/model.safetensors"),),
$spec_extra    )

    def build(self, weights):
        from ganhub.weights import read_state_dict

        net = network()
        net.load_state_dict(read_state_dict(weights))
        return net
$methods

@ganhub.hookimpl
def register_models(register):
    register($cls())
''')

TESTS = Template('''\
# tests/test_$pkg.py
from pathlib import Path

import numpy as np

import ganhub_$pkg
${imaging}from ganhub.testing import check_model, offline_engine, plugin_registry

WEIGHTS = Path(ganhub_$pkg.__file__).parent / "model.safetensors"


def test_conformance():
    check_model(ganhub_$pkg.$cls(), WEIGHTS)


def test_runs_through_the_engine(tmp_path):
$engine_test''')

IMPORT_TORCH = "import torch  # here, not at module level: registration must stay cheap"

I2I_NETWORK = f'''\
def network():
    """The untrained network: (N, 3, H, W) in [0, 1] -> (N, 3, 2H, 2W) in [0, 1]."""
    {IMPORT_TORCH}

    return torch.nn.Sequential(
        torch.nn.Upsample(scale_factor=2, mode="bilinear"),
        torch.nn.Conv2d(3, 3, 3, padding=1),
    )'''

GENERATE_NETWORK = f'''\
LATENT_SIZE = 16


def network():
    """The untrained network: (N, LATENT_SIZE) latents -> (N, 3, 32, 32) in [0, 1]."""
    {IMPORT_TORCH}

    return torch.nn.Sequential(
        torch.nn.Linear(LATENT_SIZE, 16 * 8 * 8),
        torch.nn.Unflatten(1, (16, 8, 8)),
        torch.nn.Upsample(scale_factor=4, mode="nearest"),
        torch.nn.Conv2d(16, 3, 3, padding=1),
        torch.nn.Sigmoid(),
    )'''

INPAINT_NETWORK = f'''\
def network():
    """The untrained network: image (N, 3, H, W) and mask (N, 1, H, W), 1 = remove -> image."""
    {IMPORT_TORCH}

    class Inpainter(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = torch.nn.Sequential(
                torch.nn.Conv2d(4, 16, 3, padding=1),
                torch.nn.ReLU(),
                torch.nn.Conv2d(16, 3, 3, padding=1),
                torch.nn.Sigmoid(),
            )

        def forward(self, image, mask):
            kept = image * (1 - mask)
            fill = self.body(torch.cat([kept, mask], dim=1))
            return kept + fill * mask  # only the masked area is painted

    return Inpainter()'''

GENERATE_METHODS = '''
    def latents(self, seed, count, params):
        # The network's inputs for `count` images: the same seed gives the same images.
        rng = np.random.default_rng(seed)
        return (rng.standard_normal((count, LATENT_SIZE), dtype=np.float32),)
'''

I2I_TEST = '''\
    image = read_image(np.random.default_rng(0).random((32, 48, 3), dtype=np.float32))
    with offline_engine(plugin_registry(ganhub_$pkg, "$name"), tmp_path) as engine:
        result = engine.run("$model_id", image=image)
    assert result.images[0].shape == (64, 96, 3)
'''

GENERATE_TEST = '''\
    with offline_engine(plugin_registry(ganhub_$pkg, "$name"), tmp_path) as engine:
        first = engine.run("$model_id", seed=7, count=2)
        again = engine.run("$model_id", seed=7, count=2)
    assert [image.shape for image in first.images] == [(32, 32, 3)] * 2
    assert np.array_equal(first.images[1], again.images[1])  # same seed, same images
'''

INPAINT_TEST = '''\
    rgb = np.random.default_rng(0).random((32, 48, 3), dtype=np.float32)
    mask = np.zeros((32, 48), np.float32)
    mask[8:20, 12:30] = 1.0  # 1 = remove
    with offline_engine(plugin_registry(ganhub_$pkg, "$name"), tmp_path) as engine:
        result = engine.run("$model_id", image=read_image(rgb), mask=mask)
    assert result.images[0].shape == (32, 48, 3)
    assert np.array_equal(result.images[0][mask == 0], rgb[mask == 0])  # the rest is kept
'''


@dataclass(frozen=True)
class KindTemplate:
    """What differs between the kinds of model a scaffold can hold."""

    base: str
    id_suffix: str
    title: str
    description: str
    task: str
    imports: str
    network: str
    spec_extra: str
    methods: str
    engine_test: str
    run_example: str


KINDS = {
    Kind.IMAGE_TO_IMAGE: KindTemplate(
        "ImageToImageModel", "-x2", "$cls ×2 upscaler",
        "A small ×2 upscaler: bilinear upsampling, then one 3×3 convolution.",
        Task.SUPER_RESOLUTION, "import ganhub", I2I_NETWORK,
        "        params=ganhub.tiling_params(tile=256, overlap=16),\n"
        "        constraints=ganhub.InputConstraints(scale=2),\n        tileable=True,\n",
        "", I2I_TEST, "ganhub run $model_id in.png -o out.png",
    ),
    Kind.GENERATE: KindTemplate(
        "GenerateModel", "", "$cls generator",
        "A tiny generator: a 16-number latent to a 32×32 image.",
        "image-generation", "import numpy as np\n\nimport ganhub", GENERATE_NETWORK,
        "", GENERATE_METHODS, GENERATE_TEST, "ganhub run $model_id --seed 7 --count 4 -o out/",
    ),
    Kind.INPAINT: KindTemplate(
        "InpaintModel", "", "$cls inpainter",
        "A tiny inpainter: two 3×3 convolutions paint the masked area.",
        "inpainting", "import ganhub", INPAINT_NETWORK,
        "", "", INPAINT_TEST, "ganhub run $model_id in.png --mask mask.png -o out.png",
    ),
}

README = Template('''\
# ganhub-$name

A [ganhub](https://pypi.org/project/ganhub/) plugin with one $kind model, `$model_id`.
$description

It ships small seeded weights in `ganhub_$pkg/model.safetensors`, so it runs offline as it
is; train the network (`network()` in `ganhub_$pkg/__init__.py`) and replace that file with
your own weights.

## Install and run

```
pip install -e .
ganhub list                 # shows $model_id
$run_example
```

## Test

```
pip install -e ".[test]"    # pytest and scikit-image
pytest
```

The tests run ganhub's conformance suite (`ganhub.testing.check_model`: build, shapes,
value range, determinism, licence) and one request through an engine that cannot reach the
Hugging Face Hub.

## Publish

```
pip install build twine
python -m build
twine upload dist/*
```

Users then `pip install ganhub-$name` and the model appears in `ganhub list` and the app.
Large weights belong on the Hugging Face Hub: upload them there and list
`ganhub.WeightSource("hf://you/repo/model.safetensors@<commit>", sha256="<sha256>")` first in
the spec's `weights`, pinned to a full commit and the file's sha256.
''')

LICENSE = Template('''\
MIT License

Copyright (c) $year the ganhub-$name authors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
''')


def check_name(name: str) -> str:
    """The plugin name, lowercased; a GanhubError saying what is allowed otherwise."""
    lowered = name.strip().lower()
    if not _SLUG.match(lowered) or not 2 <= len(lowered) <= 40:
        raise GanhubError(
            f"plugin name {name!r} cannot be used",
            fix="use 2-40 letters, digits and single '-' between them, starting with a letter "
                "(e.g. 'myupscaler' or 'my-gan')",
        )
    return lowered


def _kind(kind: str | Kind) -> Kind:
    try:
        return Kind(kind)
    except ValueError:
        raise GanhubError(f"unknown kind {kind!r}",
                          fix=f"use one of {', '.join(k.value for k in Kind)}") from None


def _task_code(task: str) -> str:
    """``task`` as the spec's source: a ``ganhub.Task`` constant where one names it."""
    if not _SLUG.match(task):
        raise GanhubError(f"task {task!r} is not a lowercase slug",
                          fix="use words of a-z and 0-9 joined by '-', e.g. 'colorize'")
    known = [key for key, value in vars(Task).items() if key.isupper() and value == task]
    return f"ganhub.Task.{known[0]}" if known else f'"{task}"'


def render(name: str, kind: str | Kind, task: str | None = None) -> dict[str, str]:
    """The text files of plugin ``name`` (not the weights), by path inside ``ganhub-NAME/``."""
    name, chosen = check_name(name), KINDS[_kind(kind)]
    pkg = name.replace("-", "_")
    values = dict(name=name, pkg=pkg, cls="".join(part.capitalize() for part in name.split("-")),
                  model_id=name + chosen.id_suffix, base=chosen.base, kind=_kind(kind).value,
                  task=_task_code(task or chosen.task), year=str(date.today().year),
                  imports=chosen.imports, network=chosen.network, spec_extra=chosen.spec_extra,
                  methods=chosen.methods)
    for field in ("title", "description", "engine_test", "run_example"):
        values[field] = Template(getattr(chosen, field)).substitute(values)
    uses_images = "read_image" in values["engine_test"]
    values["imaging"] = "from ganhub.imaging import read_image\n" if uses_images else ""
    return {
        "pyproject.toml": PYPROJECT.substitute(values),
        f"ganhub_{pkg}/__init__.py": MODULE.substitute(values),
        f"tests/test_{pkg}.py": TESTS.substitute(values),
        "README.md": README.substitute(values),
        "LICENSE": LICENSE.substitute(values),
    }


def new_plugin(name: str, kind: str | Kind, directory: Path | str = ".", task: str | None = None) -> Path:
    """Write the plugin package ``ganhub-NAME`` into ``directory``; returns its folder.

    Everything is written into a temporary folder beside the target and renamed into place
    at the end, so a failure leaves nothing half-written. An existing folder is never touched.
    """
    files = render(name, kind, task)
    name = check_name(name)
    parent = Path(directory).expanduser().resolve()
    target = parent / f"ganhub-{name}"
    _refuse_existing(target)
    parent.mkdir(parents=True, exist_ok=True)
    staging = parent / f".{target.name}-{uuid.uuid4().hex[:8]}.partial"
    staging.mkdir()  # not mkdtemp: its 0700 mode would stay on the renamed folder
    try:
        for relative, text in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        package = staging / f"ganhub_{name.replace('-', '_')}"
        write_weights(package / "__init__.py", package / "model.safetensors", _kind(kind))
        _refuse_existing(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _refuse_existing(target: Path) -> None:
    if target.exists():
        raise GanhubError(
            f"'{target}' already exists; new-plugin never overwrites a folder",
            fix="remove or rename it, or pass another output folder with -o DIR",
        )


def write_weights(module_file: Path, weights_file: Path, kind: Kind, seed: int = 0) -> None:
    """Seeded weights for the ``network()`` of the generated module, saved with safetensors.

    The upscaler's convolution starts as the identity, so its output is a plain bilinear ×2
    that already looks like an image; the other kinds keep torch's seeded initialisation
    (their sigmoid keeps outputs in [0, 1]).
    """
    import torch
    from safetensors.torch import save_file

    spec = importlib.util.spec_from_file_location(f"_ganhub_scaffold_{module_file.parent.name}", module_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = module.network()
    if kind is Kind.IMAGE_TO_IMAGE:  # Upsample, Conv2d(3, 3, 3): make the conv the identity
        with torch.no_grad():
            net[1].bias.zero_()
            net[1].weight.zero_()[range(3), range(3), 1, 1] = 1.0  # out channel c = in channel c
    state = {key: tensor.detach().contiguous() for key, tensor in net.state_dict().items()}
    save_file(state, str(weights_file))

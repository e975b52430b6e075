"""The Compare tab: one input through several models of a task, side by side with timings.

Image-to-image models take the uploaded image, generate models the seed; inpaint models
need a hand-painted mask per image and are left out, and so are models that need another
image Compare has no box for (a style image) or weights this server does not have yet
(one line says which, and why). Each model runs with its default params, one after the
other in the accelerator's queue; a model that fails gets one short line under the gallery
without hiding the others' results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gradio as gr

from ganhub.errors import GanhubError
from ganhub.spec import Kind, ModelSpec
from ganhub.ui.errors import short, user_errors
from ganhub.ui.names import ACCELERATOR, param_label, task_title
from ganhub.ui.status import BRING_YOUR_OWN, NEEDS_DOWNLOAD, READY, readiness
from ganhub.ui.tabs import IMAGE_SOURCES, INPUT_HEIGHT, ImageInput, decode, output_dir, output_name, save_png

if TYPE_CHECKING:
    from ganhub.registry import Registry
    from ganhub.ui.runner import Runner

COMPARABLE = (Kind.IMAGE_TO_IMAGE, Kind.GENERATE)
DEFAULT_PICKS = 3
# Why a model is not offered, as the note under the model list says it.
NOT_HERE = {NEEDS_DOWNLOAD: "need download", BRING_YOUR_OWN: "need your own weights"}


def comparable(registry: "Registry") -> dict[str, list[ModelSpec]]:
    """Per task (in tab order), the models of a kind the Compare tab runs from one input."""
    groups: dict[str, list[ModelSpec]] = {}
    for model in registry.models():
        if model.kind in COMPARABLE:
            groups.setdefault(model.spec.task, []).append(model.spec)
    return groups


def extra_images(spec: ModelSpec) -> list[str]:
    """Labels of the image params without a default: inputs Compare has no box for."""
    return [param_label(p.name) for p in spec.params if p.type == "image" and p.default is None]


def offer(specs: list[ModelSpec]) -> tuple[list[ModelSpec], str]:
    """The models Compare can run now, and one line naming the others and why."""
    offered: list[ModelSpec] = []
    skipped: dict[str, list[str]] = {}
    for spec in specs:
        images = extra_images(spec)
        state = readiness(spec)
        if images:
            skipped.setdefault(f"needs a {images[0].lower()}", []).append(spec.title)
        elif state != READY:
            skipped.setdefault(NOT_HERE.get(state, "weights unavailable"), []).append(spec.title)
        else:
            offered.append(spec)
    note = "; ".join(f"{', '.join(titles)} ({why})" for why, titles in skipped.items())
    return offered, f"Not offered: {note}." if note else ""


def _choices(specs: list[ModelSpec]) -> list[tuple[str, str]]:
    return [(f"{spec.title} ({spec.id})", spec.id) for spec in specs]


def failure_line(model_id: str, message: str) -> str:
    """A model's error as one short line (its first sentence, without the model's name)."""
    prefix = f"'{model_id}': "
    return short(message[len(prefix):] if message.startswith(prefix) else message)


def _run_one(runner: "Runner", spec: ModelSpec, image_path: str | None, seed: int, progress: Any) -> tuple[str, str]:
    """Run one model with its defaults; (PNG path, caption)."""
    if runner.registry.get(spec.id).kind == Kind.GENERATE:
        result = runner.run(spec.id, {"seed": seed, "count": 1}, progress)
        name = f"{spec.id}_seed{seed}"
    else:
        with user_errors(spec.id):
            decoded = decode(image_path, spec)
        result = runner.run(spec.id, {"image": decoded, "quantized": True}, progress)
        name = output_name(image_path, spec.id)
    path = save_png(output_dir(), name, result.images[0], result.alphas[0], result.bit_depth)
    return path, f"{spec.title} ({spec.id}) · {result.seconds:.2f} s on {result.device}"


def build_compare_tab(runner: "Runner") -> None:
    """Task picker, model checkboxes, one image (or seed), and a captioned gallery."""
    groups = comparable(runner.registry)
    if not groups:
        gr.Markdown("No installed task has image-to-image or generate models to compare.")
        return
    first = next(iter(groups))
    offered, note = offer(groups[first])
    gr.Markdown("Run one input through several models of a task; each runs with its default settings.")
    with gr.Row():
        with gr.Column():
            task = gr.Dropdown([(task_title(t), t) for t in groups], value=first, label="Task",
                               elem_id="task-compare")
            picks = gr.CheckboxGroup(_choices(offered), value=[s.id for s in offered[:DEFAULT_PICKS]],
                                     label="Models", elem_id="models-compare")
            skipped = gr.Markdown(note, elem_id="skipped-compare")
            image = ImageInput(label="Input image (image-to-image models)", type="filepath", image_mode=None,
                               sources=IMAGE_SOURCES, height=INPUT_HEIGHT, elem_id="input-compare")
            seed = gr.Number(0, label="Seed (generate models)", precision=0, minimum=0, maximum=2**32 - 1)
            button = gr.Button("Compare", variant="primary", elem_id="run-compare")
        with gr.Column():
            gallery = gr.Gallery(label="Outputs", columns=2, format="png", object_fit="contain", height="auto",
                                 elem_id="output-compare")
            info = gr.Markdown()

    def on_task(value: str) -> tuple[Any, str]:
        specs, line = offer(groups.get(value, []))  # asked again: a download may have happened
        return gr.CheckboxGroup(choices=_choices(specs), value=[s.id for s in specs[:DEFAULT_PICKS]]), line

    def compare(task_value: str, model_ids: list[str] | None, image_path: str | None, seed_value: float | None,
            progress: gr.Progress = gr.Progress(track_tqdm=True)) -> tuple[list[tuple[str, str]], str]:
        with user_errors("compare"):
            specs = {s.id: s for s in offer(groups.get(task_value, []))[0]}
            if not model_ids:
                raise GanhubError("pick at least one model to compare")
            unknown = [m for m in model_ids if m not in specs]
            if unknown:
                raise GanhubError(f"not offered under this task: {', '.join(unknown)}")
        outputs, failures = [], {}
        for index, model_id in enumerate(model_ids):
            progress((index, len(model_ids)), desc=f"running {model_id}", unit="models")
            try:
                outputs.append(_run_one(runner, specs[model_id], image_path, int(seed_value or 0), progress))
            except gr.Error as exc:  # one failing model must not hide the others' results
                failures[model_id] = failure_line(model_id, str(exc.message))
        if not outputs:
            raise gr.Error("every model failed: " + "; ".join(f"{m}: {why}" for m, why in failures.items()),
                           print_exception=False)
        lines = [f"- `{model_id}` failed: {why}" for model_id, why in failures.items()]
        return outputs, "\n".join([f"{len(outputs)} of {len(model_ids)} models ran.", *lines])

    task.change(on_task, task, [picks, skipped], api_visibility="private", concurrency_limit=None)
    button.click(compare, [task, picks, image, seed], [gallery, info], api_name="compare",
                 api_description="Run one input through several models of a task",
                 concurrency_id=ACCELERATOR, concurrency_limit=1)

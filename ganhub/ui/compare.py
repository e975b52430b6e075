"""The Compare tab: one input through several models of a task, side by side with timings.

Image-to-image models take the uploaded image, generate models the seed; inpaint models
need a hand-painted mask per image and are left out. Each model runs with its default
params, one after the other in the accelerator's queue; a model that fails is reported
under the gallery without hiding the others' results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gradio as gr

from ganhub.errors import GanhubError
from ganhub.spec import Kind, ModelSpec
from ganhub.ui.errors import user_errors
from ganhub.ui.names import ACCELERATOR, task_title
from ganhub.ui.status import AVAILABLE, weights_state
from ganhub.ui.tabs import IMAGE_SOURCES, INPUT_HEIGHT, ImageInput, decode, output_dir, save_png

if TYPE_CHECKING:
    from ganhub.registry import Registry
    from ganhub.ui.runner import Runner

COMPARABLE = (Kind.IMAGE_TO_IMAGE, Kind.GENERATE)
DEFAULT_PICKS = 3


def comparable(registry: "Registry") -> dict[str, list[ModelSpec]]:
    """Per task (in tab order), the models the Compare tab can run from one input."""
    groups: dict[str, list[ModelSpec]] = {}
    for model in registry.models():
        if model.kind in COMPARABLE and not model.spec.accepts_user_weights:
            groups.setdefault(model.spec.task, []).append(model.spec)
    return groups


def _choices(specs: list[ModelSpec]) -> list[tuple[str, str]]:
    return [(f"{spec.title} ({spec.id})", spec.id) for spec in specs]


def _default_picks(specs: list[ModelSpec]) -> list[str]:
    # Preselect models whose weights are already here, so a first click works offline.
    ready = [s.id for s in specs if weights_state(s)[0].startswith(AVAILABLE)]
    return ready[:DEFAULT_PICKS]


def _run_one(runner: "Runner", spec: ModelSpec, image_path: str | None, seed: int, progress: Any) -> tuple[str, str]:
    """Run one model with its defaults; (PNG path, caption)."""
    if runner.registry.get(spec.id).kind == Kind.GENERATE:
        result = runner.run(spec.id, {"seed": seed, "count": 1}, progress)
    else:
        with user_errors(spec.id):
            decoded = decode(image_path, spec)
        result = runner.run(spec.id, {"image": decoded}, progress)
    path = save_png(output_dir(), f"compare_{spec.id}", result.images[0], result.alphas[0], result.bit_depth)
    return path, f"{spec.title} ({spec.id}) · {result.seconds:.2f} s on {result.device}"


def build_compare_tab(runner: "Runner") -> None:
    """Task picker, model checkboxes, one image (or seed), and a captioned gallery."""
    groups = comparable(runner.registry)
    if not groups:
        gr.Markdown("No installed task has image-to-image or generate models to compare.")
        return
    first = next(iter(groups))
    gr.Markdown("Run one input through several models of a task; each runs with its default settings.")
    with gr.Row():
        with gr.Column():
            task = gr.Dropdown([(task_title(t), t) for t in groups], value=first, label="Task",
                               elem_id="task-compare")
            picks = gr.CheckboxGroup(_choices(groups[first]), value=_default_picks(groups[first]), label="Models",
                                     elem_id="models-compare")
            image = ImageInput(label="Input image (image-to-image models)", type="filepath", image_mode=None,
                               sources=IMAGE_SOURCES, height=INPUT_HEIGHT, elem_id="input-compare")
            seed = gr.Number(0, label="Seed (generate models)", precision=0, minimum=0, maximum=2**32 - 1)
            button = gr.Button("Compare", variant="primary", elem_id="run-compare")
        with gr.Column():
            gallery = gr.Gallery(label="Outputs", columns=2, format="png", object_fit="contain", height="auto",
                                 elem_id="output-compare")
            info = gr.Markdown()

    def on_task(value: str) -> Any:
        specs = groups.get(value, [])
        return gr.CheckboxGroup(choices=_choices(specs), value=_default_picks(specs))

    def run(task_value: str, model_ids: list[str] | None, image_path: str | None, seed_value: float | None,
            progress: gr.Progress = gr.Progress(track_tqdm=True)) -> tuple[list[tuple[str, str]], str]:
        with user_errors("compare"):
            specs = {s.id: s for s in groups.get(task_value, [])}
            if not model_ids:
                raise GanhubError("pick at least one model to compare")
            unknown = [m for m in model_ids if m not in specs]
            if unknown:
                raise GanhubError(f"not comparable under this task: {', '.join(unknown)}")
        outputs, failures = [], []
        for index, model_id in enumerate(model_ids):
            progress((index, len(model_ids)), desc=f"running {model_id}", unit="models")
            try:
                outputs.append(_run_one(runner, specs[model_id], image_path, int(seed_value or 0), progress))
            except gr.Error as exc:  # one failing model must not hide the others' results
                failures.append(f"- `{model_id}` failed: {exc.message}")
        if not outputs:
            raise gr.Error("every model failed:\n" + "\n".join(failures), print_exception=False)
        return outputs, "\n".join([f"{len(outputs)} of {len(model_ids)} models ran.", *failures])

    task.change(on_task, task, picks, api_visibility="private", concurrency_limit=None)
    button.click(run, [task, picks, image, seed], [gallery, info], api_name="compare",
                 api_description="Run one input through several models of a task",
                 concurrency_id=ACCELERATOR, concurrency_limit=1)

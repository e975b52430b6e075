"""A model's tab, generated from its ModelSpec by kind.

- image-to-image: an input image → a before/after slider and a full-resolution PNG download;
- generate: a seed (with a dice button) and a count → a gallery and PNG downloads;
- inpaint: an image editor whose brush strokes are the mask → a slider and the mask used.

Params become widgets by type (ranged numbers → sliders, bools → checkboxes, choices →
radio or dropdown, strings → textboxes, images → image inputs). Every run is one API
endpoint, named by :func:`ganhub.ui.names.api_name_for`, whose inputs are the widgets in order.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr
import numpy as np
from PIL import Image

from ganhub.errors import GanhubError
from ganhub.model import Model
from ganhub.spec import Kind, ModelSpec, Param
from ganhub.ui import video_tab
from ganhub.ui.errors import relabel, user_errors
from ganhub.ui.examples import example_images
from ganhub.ui.names import ACCELERATOR, param_label, task_verb, widget_labels
from ganhub.ui.runner import LastRun
from ganhub.ui.status import last_run_text, model_card, runtime_choices, runtime_text, weights_banner

if TYPE_CHECKING:
    from ganhub.imaging import DecodedImage
    from ganhub.media.metadata import ImageMetadata
    from ganhub.pipeline import RunResult
    from ganhub.ui.runner import Runner

PREVIEW_MAX_SIDE = 2048  # the slider shows at most this; the PNG download is full size
IMAGE_SOURCES = ["upload", "clipboard", "webcam"]
MAX_COUNT = 16
MAX_SLIDER_STEPS = 10_000  # wider int ranges get a number box
INPUT_HEIGHT = 300  # px; keeps small uploads from collapsing the input box
# What the browser's image editor names the layers it sends: not the user's file name.
EDITOR_BLOBS = {"background", "blob", "composite", "layer", "layers"}


class ImageInput(gr.Image):
    """``gr.Image`` that turns an unreadable upload into a clear message, not a bare "Error"."""

    is_template = True  # rendered by the frontend's ordinary image component

    def preprocess(self, payload: Any) -> Any:
        try:
            return super().preprocess(payload)
        except gr.Error:
            raise
        except Exception:  # PIL could not even identify the file
            raise gr.Error(
                "The uploaded file is not an image this app can read: use PNG, JPEG, WebP, "
                "TIFF or BMP", print_exception=False,
            ) from None


class MaskEditor(gr.ImageEditor):
    """``gr.ImageEditor`` that checks the upload's size from its header before decoding it.

    The editor decodes every layer in full, so without this check a huge upload would cost
    its full memory before the model's pixel limit could refuse it.
    """

    is_template = True
    max_pixels: int | None = None

    def preprocess(self, payload: Any) -> Any:
        background = getattr(payload, "background", None)
        try:
            if self.max_pixels and background is not None and background.path:
                with Image.open(background.path) as image:  # reads the header only
                    width, height = image.size
                if width * height > self.max_pixels:
                    raise GanhubError(f"image is {width}×{height} = {width * height / 1e6:.1f} MP; this model "
                                      f"accepts at most {self.max_pixels / 1e6:.1f} MP: downscale or crop it first")
            value = super().preprocess(payload)
            if value is not None:  # the output is named after the upload when its name is known
                name = getattr(background, "orig_name", None)
                value["name"] = None if name is None or Path(name).stem in EDITOR_BLOBS else name
                value["metadata"] = video_tab.file_metadata(getattr(background, "path", None))
            return value
        except gr.Error:
            raise
        except GanhubError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        except Image.DecompressionBombError:
            raise gr.Error("The image declares an enormous size: downscale it first", print_exception=False) from None
        except Exception:
            raise gr.Error("The uploaded file is not an image this app can read: use PNG, JPEG, WebP, "
                           "TIFF or BMP", print_exception=False) from None


# -- widgets -------------------------------------------------------------------------------
def param_component(param: Param, labels: dict[str, str] | None = None) -> gr.components.Component:
    """The widget for one param, chosen by its type (and range, for numbers).

    Its help becomes the box's info, with other inputs named by their labels (``labels``).
    """
    label, info = param_label(param.name), relabel(param.help, labels) or None
    ranged = param.minimum is not None and param.maximum is not None
    # A slider cannot pick one of billions of values (a seed-like int): a number box can.
    sliding = ranged and (param.type == "float" or param.maximum - param.minimum <= MAX_SLIDER_STEPS)
    if param.type in ("int", "float") and sliding:
        step = param.step or (1 if param.type == "int" else None)
        return gr.Slider(param.minimum, param.maximum, value=param.default, step=step, label=label, info=info)
    if param.type in ("int", "float"):
        return gr.Number(param.default, label=label, info=info, precision=0 if param.type == "int" else None,
                         minimum=param.minimum, maximum=param.maximum)
    if param.type == "bool":
        return gr.Checkbox(bool(param.default), label=label, info=info)
    if param.type == "choice":
        widget = gr.Radio if len(param.choices) <= 5 else gr.Dropdown
        return widget(list(param.choices), value=param.default, label=label, info=info)
    if param.type == "image":
        return ImageInput(label=label, type="filepath", image_mode=None, sources=IMAGE_SOURCES, height=200)
    return gr.Textbox(param.default or "", label=label, info=info)


@dataclass
class SpecInputs:
    """The widgets every kind shares, in API order: params…, runtime[, weights]."""

    spec: ModelSpec
    params: list[gr.components.Component]
    runtime: gr.Radio
    weights: gr.Textbox | None

    @classmethod
    def build(cls, spec: ModelSpec) -> "SpecInputs":
        """Create the widgets (inside the current layout block)."""
        labels = widget_labels(spec)
        params = [param_component(p, labels) for p in spec.params]
        choices = runtime_choices(spec)
        runtime = gr.Radio(list(choices), value=choices[0], label="Runtime", info=runtime_text(spec))
        weights = None
        if spec.accepts_user_weights:
            weights = gr.Textbox(label="Weights", placeholder="hf://owner/repo/model.safetensors@<commit>, or a file path",
                                 info="a weights file this model can load; loaded weights-only, never executed")
        return cls(spec, params, runtime, weights)

    def components(self) -> list[gr.components.Component]:
        return [*self.params, self.runtime] + ([self.weights] if self.weights is not None else [])

    def names(self) -> list[str]:
        return [p.name for p in self.spec.params] + ["runtime"] + (["weights"] if self.weights is not None else [])

    def request(self, values: list[Any]) -> dict[str, Any]:
        """The widget values as a pipeline request (image params decoded with the model's limit)."""
        count = len(self.spec.params)
        params = dict(zip((p.name for p in self.spec.params), values[:count]))
        for param in self.spec.params:
            if param.type == "image":
                params[param.name] = decode(params[param.name], self.spec, required=False)
        request: dict[str, Any] = {"params": params, "runtime": values[count] or runtime_choices(self.spec)[0]}
        if self.weights is not None:
            request["weights"] = values[count + 1]
        return request


def with_signature(fn: Callable[[list[Any], Any], Any], names: list[str], api_name: str,
                   description: str = "") -> Callable[..., Any]:
    """``fn(values, progress)`` as a function of ``names`` + ``progress``, as Gradio inspects it,
    named ``api_name`` (Gradio names MCP tools after the function) with ``description`` as its doc."""

    def handler(*args: Any) -> Any:
        *values, progress = args
        return fn(values, progress)

    parameters = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for name in names]
    parameters.append(inspect.Parameter("progress", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                        default=gr.Progress(track_tqdm=True)))
    handler.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    handler.__name__ = handler.__qualname__ = api_name
    handler.__doc__ = description or None
    return handler


# -- images in and out ---------------------------------------------------------------------
def decode(path: str | None, spec: ModelSpec, required: bool = True) -> "DecodedImage | None":
    """Read an uploaded file with the model's pixel limit (refused before decoding pixels)."""
    from ganhub import imaging

    if path is None:
        if required:
            raise GanhubError("no input image: upload one (or pick an example) first")
        return None
    from ganhub.limits import pixel_limit

    return imaging.read_image(path, max_pixels=pixel_limit(spec).pixels)  # tiled models: from memory


def output_dir() -> Path:
    """A fresh folder inside Gradio's temp cache, which Gradio serves and cleans up."""
    from gradio.utils import get_upload_folder

    folder = Path(get_upload_folder()) / "ganhub" / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_png(folder: Path, name: str, rgb: np.ndarray, alpha: np.ndarray | None, bit_depth: int,
             metadata: "ImageMetadata | None" = None) -> str:
    """Write a full-resolution PNG (16-bit when the input was, with ``metadata``) and return its path."""
    from ganhub import imaging

    return str(imaging.write_image(folder / f"{name}.png", rgb, alpha, bit_depth, metadata=metadata))


def preview(folder: Path, name: str, rgb: np.ndarray, size: tuple[int, int] | None = None) -> tuple[str, tuple[int, int]]:
    """An 8-bit PNG for display, resized to ``size`` and capped at PREVIEW_MAX_SIDE; path, size.

    Previews are written as files in a per-request folder rather than returned as PIL images:
    Gradio stores returned images under a hash of their bytes and rewrites that file in
    place, so two users getting the same picture at once could be served a half-written one.
    """
    from ganhub.imaging import quantize

    # Every step-th pixel first: a ×4 result can be 200 MP, and Pillow would copy all of it
    # before shrinking; what is left is still twice the preview's size for a clean LANCZOS.
    step = max(1, max(rgb.shape[:2]) // (2 * PREVIEW_MAX_SIDE))
    image = Image.fromarray(quantize(np.ascontiguousarray(rgb[::step, ::step]), 8))
    if size is not None and image.size != size:
        image = image.resize(size, Image.BICUBIC)
    if max(image.size) > PREVIEW_MAX_SIDE:
        image.thumbnail((PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE), Image.LANCZOS)
    path = folder / f"{name}.png"
    image.save(path, compress_level=1)  # fast: this copy is only looked at
    return str(path), image.size


def before_after(folder: Path, source: np.ndarray, result: np.ndarray) -> tuple[str, str]:
    """Slider previews: the input resized to the output's size, and the output."""
    after, size = preview(folder, "after", result)
    return preview(folder, "before", source, size)[0], after


def run_info(result: "RunResult") -> str:
    """The line under a result: time, device, runtime, notes."""
    return "Done: " + last_run_text(LastRun(result.seconds, result.device, result.runtime, list(result.notes)))


def _stem(path: str | None) -> str:
    return Path(path).stem[:40] if path else "image"


def output_name(source: str | None, verb: str) -> str:
    """The result's file name (no suffix) after its input's: "cat.png" → "cat_upscaled"."""
    return f"{_stem(source)}_{verb}"


# -- tabs ----------------------------------------------------------------------------------
def build_model_tab(model: Model, runner: "Runner", api_name: str) -> Any:
    """The tab of one model: inputs, outputs, examples, model card; one API endpoint.

    A model that cannot run yet gets a notice on top (and a Download button when one helps);
    the download event is returned, None when there is none.
    """
    builders = {Kind.IMAGE_TO_IMAGE: _image_to_image, Kind.GENERATE: _generate, Kind.INPAINT: _inpaint}
    spec = model.spec
    plugin = runner.registry.plugin_of(spec.id)
    downloaded = weights_banner(runner, spec)
    gr.Markdown(f"**{spec.title}** (`{spec.id}`) — {spec.description}")
    events = _with_video(model, runner, api_name, builders[model.kind])
    with gr.Accordion("Model card", open=False):
        card = gr.Markdown(model_card(model, plugin, runner.engine.default_device), elem_id=f"card-{api_name}")
    for done in (*events, downloaded):  # after a run or a download the card shows the new state
        if done is not None:
            done.then(
                lambda: model_card(model, plugin, runner.engine.default_device, runner.last_runs.get(spec.id)),
                None, card, api_visibility="private", concurrency_limit=None, show_progress="hidden",
            )
    return downloaded


def _with_video(model: Model, runner: "Runner", api_name: str, build: Callable[..., Any]) -> list[Any]:
    """The kind's builder; image-to-image and inpaint models get an "Image" and a "Video / animation"
    tab (its own ``<api_name>_video`` endpoint). The run events, for the model card."""
    if model.kind not in video_tab.VIDEO_KINDS:
        return [build(model, runner, api_name)]
    parts = video_tab.TabParts(SpecInputs.build, _endpoint, output_dir, output_name)
    with gr.Tabs():
        with gr.Tab("Image", elem_id=f"tab-image-{api_name}"):
            event = build(model, runner, api_name)
        with gr.Tab("Video / animation", elem_id=f"tab-video-{api_name}"):
            video = video_tab.build_video_section(model, runner, api_name, parts)
    return [event, video]


def _endpoint(button: gr.Button, run: Callable[[list[Any], Any], Any], lead: dict[str, Any],
              shared: SpecInputs, outputs: list[Any], api_name: str, tail: dict[str, Any] | None = None) -> Any:
    """Bind ``run`` to the button as an API endpoint: ``lead`` widgets, shared ones, then ``tail``."""
    tail = tail or {}
    names = [*lead, *shared.names(), *tail]
    return button.click(
        with_signature(run, names, api_name, shared.spec.description),
        [*lead.values(), *shared.components(), *tail.values()], outputs, api_name=api_name,
        api_description=shared.spec.description, concurrency_id=ACCELERATOR, concurrency_limit=1,
    )


def _image_to_image(model: Model, runner: "Runner", api_name: str) -> Any:
    spec = model.spec
    with gr.Row():
        with gr.Column():
            image = ImageInput(label="Input image", type="filepath", image_mode=None, sources=IMAGE_SOURCES,
                               height=INPUT_HEIGHT, elem_id=f"input-{api_name}")
            shared = SpecInputs.build(spec)
            strip = video_tab.strip_box(f"strip-{api_name}")
            button = gr.Button("Run", variant="primary", elem_id=f"run-{api_name}")
        with gr.Column():
            slider = gr.ImageSlider(label="Before / after (drag the handle)", format="png", type="filepath",
                                    elem_id=f"output-{api_name}")
            download = gr.File(label="Full-resolution PNG", interactive=False, elem_id=f"file-{api_name}")
            info = gr.Markdown(label="Run info")

    def run(values: list[Any], progress: Any) -> tuple[str, str, Any]:
        *values, strip_value = values
        with user_errors(spec.id, widget_labels(spec)):
            decoded = decode(values[0], spec)
            request = shared.request(values[1:])
        result = runner.run(spec.id, {**request, "image": decoded, "quantized": True}, progress)
        rgb, folder = result.images[0], output_dir()
        metadata = video_tab.output_metadata(runner, spec.id, request, result, decoded.metadata, bool(strip_value))
        path = save_png(folder, output_name(values[0], task_verb(spec.task)), rgb, result.alphas[0], result.bit_depth,
                        metadata)
        return path, run_info(result), (values[0], path)

    files = gr.State()  # (input, result): the slider's previews are made from them after the call
    event = _endpoint(button, run, {"image": image}, shared, [download, info, files], api_name,
                      {"strip_metadata": strip})
    _show_previews(event, files, slider, lambda pair: previews_of_files(*pair))
    _examples(spec, image)
    return event


def _show_previews(event: Any, state: Any, slider: Any, make: Callable[[Any], Any]) -> None:
    """Fill the slider in a follow-up event from what the run left in ``state``.

    The endpoint's own outputs are what an API caller needs (the result file and its line);
    the slider's material travels in a State, which the API leaves out, so a client neither
    waits for previews nor fetches two more images per call (see benchmarks/app_overhead.py).
    """
    event.then(lambda value: None if value is None else make(value), state, slider, api_visibility="private",
               queue=False, show_progress="hidden")


def previews_of_files(source: str, result: str) -> tuple[str, str]:
    """Slider previews (before, after) from the run's input and result files, in the result's folder."""
    from PIL import ImageOps

    from ganhub.imaging import open_own

    with open_own(result) as done:
        after = np.asarray(done.convert("RGB"))
    with Image.open(source) as given:
        before = np.asarray(ImageOps.exif_transpose(given).convert("RGB"))
    return before_after(Path(result).parent, before, after)


def _examples(spec: ModelSpec, image: gr.components.Component) -> None:
    paths = example_images(spec.task)
    if paths:
        gr.Examples([[p] for p in paths], [image], label="Examples (bundled photos, work offline)",
                    cache_examples=False, api_visibility="private")


def _generate(model: Model, runner: "Runner", api_name: str) -> Any:
    spec = model.spec
    with gr.Row():
        with gr.Column():
            with gr.Row(equal_height=False):
                seed = gr.Number(0, label="Seed", precision=0, minimum=0, maximum=2**32 - 1, scale=3)
                dice = gr.Button("Random seed", size="md", scale=1, elem_id=f"dice-{api_name}")
            count = gr.Slider(1, MAX_COUNT, value=4, step=1, label="Images")
            shared = SpecInputs.build(spec)
            button = gr.Button("Generate", variant="primary", elem_id=f"run-{api_name}")
        with gr.Column():
            gallery = gr.Gallery(label="Generated images", columns=4, format="png", object_fit="contain",
                                 height="auto", elem_id=f"output-{api_name}")
            files = gr.File(label="PNG downloads", file_count="multiple", interactive=False, elem_id=f"file-{api_name}")
            info = gr.Markdown(label="Run info")
    # Drawn in the browser: no server round trip, and no API endpoint for a dice roll.
    dice.click(None, None, seed, js="() => Math.floor(Math.random() * 4294967296)")

    def run(values: list[Any], progress: Any) -> tuple[list[tuple[str, str]], list[str], str]:
        with user_errors(spec.id, widget_labels(spec)):
            if values[0] is None:
                raise GanhubError("seed is empty: enter a whole number from 0 to 4294967295")
            seed_value, count_value = int(values[0]), int(values[1])
            request = shared.request(values[2:])
        result = runner.run(spec.id, {**request, "seed": seed_value, "count": count_value}, progress)
        folder, made = output_dir(), video_tab.output_metadata(runner, spec.id, request, result, None, True, seed_value)
        paths = [save_png(folder, f"{spec.id}_seed{seed_value}_{i}", rgb, alpha, result.bit_depth, made)
                 for i, (rgb, alpha) in enumerate(zip(result.images, result.alphas))]
        captions = [f"#{i + 1} · batch of seed {seed_value}" for i in range(len(paths))]
        if model.is_animation(request.get("params", {})) and len(result.images) > 1:
            # Frames of an interpolation: show (and offer) them as one animated WebP first.
            from ganhub.imaging import write_animation

            animation = str(write_animation(result.images, folder / f"{spec.id}_seed{seed_value}.webp"))
            frames = [f"frame {i + 1} of {len(paths)}" for i in range(len(paths))]
            return [(animation, "animation"), *zip(paths, frames)], [animation, *paths], run_info(result)
        return list(zip(paths, captions)), paths, run_info(result)

    event = _endpoint(button, run, {"seed": seed, "count": count}, shared, [gallery, files, info], api_name)
    gr.Examples([[0], [42], [2024]], [seed], label="Example seeds", cache_examples=False, api_visibility="private")
    return event


def editor_mask(layers: list[np.ndarray] | None, shape: tuple[int, int]) -> np.ndarray | None:
    """The union of the painted layers as an H×W float mask (1 = remove), None if unpainted."""
    mask = np.zeros(shape, np.float32)
    for layer in layers or []:
        if layer is None:
            continue
        layer = np.atleast_3d(np.asarray(layer))
        # Strokes are opaque pixels on a transparent layer; without alpha, any non-black pixel.
        painted = layer[..., 3] > 0 if layer.shape[2] == 4 else layer.max(axis=2) > 0
        if painted.shape == shape:
            mask = np.maximum(mask, painted.astype(np.float32))
    return mask if mask.any() else None


def _inpaint(model: Model, runner: "Runner", api_name: str) -> Any:
    spec = model.spec
    auto_mask = bool(getattr(model, "auto_mask", False))
    with gr.Row():
        with gr.Column():
            editor = MaskEditor(
                label="Image: paint over what to remove", type="numpy", image_mode="RGBA",
                sources=IMAGE_SOURCES, layers=False, transforms=(),
                brush=gr.Brush(colors=["#ff00ff"], color_mode="fixed", default_size=24), elem_id=f"input-{api_name}",
            )
            editor.max_pixels = spec.constraints.max_pixels
            auto = gr.Checkbox(auto_mask, label="Find the mask automatically", visible=auto_mask)
            shared = SpecInputs.build(spec)
            strip = video_tab.strip_box(f"strip-{api_name}")
            button = gr.Button("Remove", variant="primary", elem_id=f"run-{api_name}")
        with gr.Column():
            slider = gr.ImageSlider(label="Before / after (drag the handle)", format="png", type="filepath",
                                    elem_id=f"output-{api_name}")
            mask_view = gr.Image(label="Mask used (white = removed)", type="filepath", interactive=False,
                                 elem_id=f"mask-{api_name}")
            download = gr.File(label="Full-resolution PNG", interactive=False, elem_id=f"file-{api_name}")
            info = gr.Markdown(label="Run info")

    def run(values: list[Any], progress: Any) -> tuple[Any, str, str, Any]:
        from ganhub import imaging

        *values, strip_value = values
        editor_value, use_auto = values[0] or {}, bool(values[1]) and auto_mask
        with user_errors(spec.id, widget_labels(spec)):
            background = editor_value.get("background")
            if background is None:
                raise GanhubError("no input image: upload one (or pick an example) first")
            decoded = imaging.read_image(np.asarray(background)[..., :3], max_pixels=spec.constraints.max_pixels)
            mask = None if use_auto else editor_mask(editor_value.get("layers"), decoded.rgb.shape[:2])
            if mask is None and not use_auto:
                raise GanhubError("paint over the area to remove first (the brush marks the mask)")
            request = shared.request(values[2:])
        result = runner.run(spec.id, {**request, "image": decoded, "mask": mask, "quantized": True}, progress)
        rgb, folder = result.images[0], output_dir()
        metadata = video_tab.output_metadata(runner, spec.id, request, result, editor_value.get("metadata"),
                                             bool(strip_value))
        path = save_png(folder, output_name(editor_value.get("name"), "inpainted"), rgb, result.alphas[0],
                        result.bit_depth, metadata)
        used = result.extras.get("mask", mask)
        used_view = None if used is None else preview(folder, "mask", np.repeat(np.asarray(used)[..., None], 3, 2))[0]
        return used_view, path, run_info(result), before_after(folder, decoded.rgb, rgb)

    previews = gr.State()
    event = _endpoint(button, run, {"image": editor, "auto_mask": auto}, shared, [mask_view, download, info, previews],
                      api_name, {"strip_metadata": strip})
    _show_previews(event, previews, slider, lambda pair: pair)
    paths = example_images(spec.task)
    if paths:
        gr.Examples([[p] for p in paths], [editor], label="Examples (bundled photos)", cache_examples=False,
                    api_visibility="private")
    return event

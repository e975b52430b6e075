"""The Models tab (every plugin and model, weights cache state, downloads, broken plugins)
and the per-model "Model card" text shown in each model's tab.

Everything here reads local state only (the Hub cache, installed packages, the lock file):
building the tab never touches the network and never imports torch.
"""

from __future__ import annotations

import importlib.metadata as metadata
import platform
from typing import TYPE_CHECKING, Any

from ganhub.spec import Kind, ModelSpec, WeightSource

if TYPE_CHECKING:
    from ganhub.model import Model
    from ganhub.registry import Registry
    from ganhub.ui.runner import LastRun, Runner

AVAILABLE = ("cached", "in package", "local")


def _cell(text: Any) -> str:
    # A markdown table cell: no pipes or line breaks from plugin-provided text.
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _megabytes(size: int | None) -> str:
    if not size:
        return ""
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.1f} kB" if size >= 1e3 else f"{size} B"


def source_size(source: WeightSource) -> int | None:
    """Bytes on disk of a source's file and its companions (an ncnn .param and its .bin)."""
    from ganhub.weights.fetch import cached_size
    from ganhub.weights.sources import parse_uri

    main = cached_size(source)
    if main is None:
        return None
    ref = parse_uri(source.uri)
    # A companion is looked up like a user-supplied file: its URI repeats the pinned commit.
    companions = (cached_size(WeightSource(str(ref.sibling(name)), user_supplied=True)) for name in source.companions)
    return main + sum(size or 0 for size in companions)


def weights_state(spec: ModelSpec) -> tuple[str, str]:
    """(state, size) of the first locally available source, else of the first source."""
    from ganhub.weights.fetch import source_status

    if not spec.weights:
        return "you supply the weights", ""
    states = [source_status(source) for source in spec.weights]
    for source, state in zip(spec.weights, states):
        if state.startswith(AVAILABLE):
            return state, _megabytes(source_size(source))
    return states[0], ""


def _source_lines(spec: ModelSpec) -> list[str]:
    from ganhub.weights.fetch import source_status

    lines = []
    for index, source in enumerate(spec.weights, 1):
        size = _megabytes(source_size(source))
        digest = f"sha256 `{source.sha256}`" if source.sha256 else "sha256 checked against pip's RECORD or the lock file"
        state = source_status(source) + (f", {size}" if size else "")
        note = f" — {source.note}" if source.note else ""
        lines.append(f"{index}. `{source.uri}` — {digest} — **{state}**{note}")
    return lines or ["Bring your own: give a weights file or `hf://owner/repo/file@commit` below."]


def _licence(spec: ModelSpec) -> str:
    return f"[{spec.license}]({spec.license_url})" if spec.license_url else spec.license


def _runtime_line(spec: ModelSpec, device: str | None) -> str:
    onnx = (f"torch, or ONNX once exported (`ganhub export {spec.id}`)" if spec.onnx_exportable
            else f"torch only ({spec.onnx_note})")
    where = device or "auto (CUDA, then MPS, then CPU; chosen at the first run)"
    return f"**Runtime:** {onnx} · **device:** {where}"


def last_run_text(last: "LastRun | None") -> str:
    """One line about the last run: time, device, runtime and notes."""
    if last is None:
        return "not run yet (the model loads on its first run)"
    notes = "; ".join(last.notes)
    return f"{last.seconds:.2f} s on {last.device} ({last.runtime})" + (f" · {notes}" if notes else "")


def model_card(model: "Model", plugin: str, device: str | None, last: "LastRun | None" = None) -> str:
    """The Markdown of a model's card: description, licence, weights, runtime, last run."""
    spec, kind = model.spec, model.kind
    c = spec.constraints
    limits = (
        f"×{c.scale} output, sides a multiple of {c.multiple_of} (padded for you), "
        f"min side {c.min_side} px, max {c.max_pixels / 1e6:.1f} MP"
        + (", tiled for large images" if spec.tileable else "")
    )
    return "\n\n".join([
        f"**{spec.title}** · id `{spec.id}` · plugin `{plugin}` · {spec.task} · {kind.value}",
        spec.description,
        f"**Licence:** {_licence(spec)}",
        f"**Input:** {limits}" if kind != Kind.GENERATE else "**Input:** a seed (and params)",
        "**Weights** (the first source that works is used):\n\n" + "\n".join(_source_lines(spec)),
        _runtime_line(spec, device or (last.device if last else None)),
        f"**Last run:** {last_run_text(last)}",
    ])


# -- the Models tab ------------------------------------------------------------------------
def versions_text() -> str:
    """Installed versions of ganhub, Gradio, Python and the runtimes (read, not imported)."""
    import ganhub

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    runtimes = ", ".join(
        f"{name} {version(name)}" for name in ("torch", "onnxruntime", "onnxruntime-gpu")
        if version(name) != "not installed"
    )
    return (
        f"**ganhub** {ganhub.__version__} · **Gradio** {version('gradio')} · "
        f"**Python** {platform.python_version()} · {runtimes or 'no runtime installed'}"
    )


def models_table(registry: "Registry") -> str:
    """Every model with its task, kind, plugin, licence and weights cache state."""
    rows = ["| Model | Title | Task | Kind | Plugin | Licence | Weights | Size |", "|---|---|---|---|---|---|---|---|"]
    for model in registry.models():
        spec = model.spec
        state, size = weights_state(spec)
        rows.append("| " + " | ".join(_cell(x) for x in (
            f"`{spec.id}`", spec.title, spec.task, model.kind.value,
            registry.plugin_of(spec.id), spec.license, state, size,
        )) + " |")
    if len(rows) == 2:
        rows.append("| (no models installed) | | | | | | | |")
    return "\n".join(rows)


def plugins_table(registry: "Registry") -> str:
    """Every plugin seen: distribution, version, status, its models, and the error if broken."""
    rows = ["| Plugin | Status | Version | Distribution | Models | Error |", "|---|---|---|---|---|---|"]
    for record in registry.plugins.values():
        status = {"broken": "**broken**"}.get(record.status, record.status)
        rows.append("| " + " | ".join(_cell(x) for x in (
            record.name, status, record.version, record.distribution,
            ", ".join(record.models), record.error,
        )) + " |")
    return "\n".join(rows)


def _download_row(runner: "Runner", spec: ModelSpec, table: Any) -> None:
    import gradio as gr

    def describe() -> str:
        state, size = weights_state(spec)
        return f"`{spec.id}` — {state}" + (f" ({size})" if size else "")

    def download(progress: gr.Progress = gr.Progress(track_tqdm=True)) -> str:
        resolved = runner.download(spec.id, progress)
        size = _megabytes(sum(p.stat().st_size for p in [resolved.path, *resolved.companions.values()]))
        return f"`{spec.id}` — downloaded and verified ({resolved.trust}), {size}"

    with gr.Row(equal_height=True):
        line = gr.Markdown(describe())
        button = gr.Button("Download", size="sm", scale=0, min_width=120, interactive=bool(spec.weights))
    button.click(
        download, None, line, api_visibility="private", concurrency_id="downloads",
        concurrency_limit=1,
    ).then(lambda: models_table(runner.registry), None, table, api_visibility="private",
           concurrency_limit=None, show_progress="hidden")


def build_status_tab(runner: "Runner") -> None:
    """The Models tab: versions, models with cache state and downloads, plugins and errors."""
    import gradio as gr

    registry = runner.registry
    gr.Markdown(versions_text())
    gr.Markdown("## Models")
    table = gr.Markdown(models_table(registry), elem_id="ganhub-models-table")
    refresh = gr.Button("Refresh cache state", size="sm")
    refresh.click(lambda: models_table(registry), None, table, api_visibility="private",
                  concurrency_limit=None)
    with gr.Accordion("Download weights (each file is checked against its sha256)", open=True):
        for model in registry.models():
            _download_row(runner, model.spec, table)
    gr.Markdown("## Plugins")
    gr.Markdown(plugins_table(registry), elem_id="ganhub-plugins-table")
    for record in registry.plugins.values():
        if record.status == "broken" and record.traceback:
            with gr.Accordion(f"Traceback of plugin '{record.name}'", open=False):
                gr.Code(record.traceback, language="python", interactive=False)

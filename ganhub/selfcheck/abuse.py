"""Abuse beyond bad inputs: clients that hang up, file-route probing, oversized uploads.

- A client that disconnects while its call waits or runs must not wedge the queue: the
  next calls run and give the sequential run's output.
- The file route (``/gradio_api/file=…``) serves what this app produced, and nothing else:
  traversal, absolute paths, the app's source, files planted beside its temp folder or in the
  machine's default Gradio temp folder (which other Gradio apps share), loopback URLs.
- An upload over the app's limit is refused (413) and leaves no file behind.
"""

from __future__ import annotations

import http.client
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import ganhub
from ganhub.selfcheck import inputs
from ganhub.selfcheck.client import ApiClient, StatusLog
from ganhub.selfcheck.load import Reference, execute, output_paths
from ganhub.selfcheck.plan import Call
from ganhub.selfcheck.report import Row
from ganhub.selfcheck.server import Target

SECRET = b"ganhub-selfcheck-secret"


# -- hanging up ----------------------------------------------------------------------------
def _by_time(ref: Reference) -> list[Call]:
    return sorted(ref.calls, key=lambda call: ref.seconds[call.label])


def _hang_ups(target: Target, slow: Call, log: StatusLog, timeout: float) -> list[str]:
    """Hang up once while queued behind a running call, once while running; what happened."""
    runner = ApiClient(target.url, log, timeout)
    quitter = ApiClient(target.url, log, timeout)
    busy = threading.Thread(target=runner.call, args=(slow.endpoint.fn_index, slow.data), daemon=True)
    try:
        busy.start()
        time.sleep(0.2)  # let it join the queue first
        queued = quitter.hang_up(slow.endpoint.fn_index, slow.data, ("estimation", "process_starts"))
        running = quitter.hang_up(slow.endpoint.fn_index, slow.data, ("process_starts", "progress"))
        busy.join(timeout)
    finally:
        runner.close()
        quitter.close()
    return [f"hung up at {queued or 'no message'}", f"then at {running or 'no message'}"]


def disconnect_row(target: Target, ref: Reference, log: StatusLog, timeout: float) -> Row:
    """After clients hang up mid-request, the next calls run and match the reference."""
    expected = "the next 2 calls succeed with the sequential run's output"
    if not ref.calls:
        return Row("client hangs up mid-request", expected, "no model ran in the warm-up", False)
    ordered = _by_time(ref)
    notes = _hang_ups(target, ordered[-1], log, timeout)
    client = ApiClient(target.url, log, timeout)
    started = time.perf_counter()
    try:
        outcomes = [execute(client, ordered[0]) for _ in range(2)]
    finally:
        client.close()
    good = [o for o in outcomes if o.reply.ok and o.digest == ref.digests[o.call.label]]
    observed = (f"{'; '.join(notes)}; next {len(outcomes)} calls: {len(good)} ok in "
                f"{time.perf_counter() - started:.1f} s")
    bad = next((o for o in outcomes if o not in good), None)
    if bad is not None:
        observed += f" ({bad.reply.error or 'output differs'})"
    return Row("client hangs up mid-request", expected, observed, len(good) == len(outcomes))


# -- the file route ------------------------------------------------------------------------
def raw_get(url: str, path: str, timeout: float = 30.0) -> tuple[int, bytes]:
    """GET ``path`` exactly as written (no dot-segment folding, like a hostile client)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _plant(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(SECRET + b"\n")
    return path


def plant_files(target: Target) -> dict[str, Path]:
    """Secret files the server must not serve: beside its temp folder, in Gradio's default one."""
    root = target.tmp or Path(tempfile.gettempdir())
    tag = uuid.uuid4().hex
    return {
        "a file in the server's temp folder": _plant(root, f"selfcheck-{tag}.png"),
        "a file in the default Gradio temp folder (shared by Gradio apps)": _plant(root / "gradio" / tag, "other.png"),
    }


def probes(target: Target, produced: str, planted: dict[str, Path]) -> dict[str, str]:
    """What to ask the file route for, by description; each must be refused."""
    up = "../" * 12
    return {
        "absolute path /etc/passwd": "/etc/passwd",
        "traversal ../…/etc/passwd": up + "etc/passwd",
        "encoded traversal ..%2F…": "..%2F" * 12 + "etc%2Fpasswd",
        "traversal out of an output folder": f"{Path(produced).parent}/{up}etc/passwd",
        "the app's own source": str(Path(ganhub.__file__).resolve()),
        "a loopback URL": f"{target.url}/config",
        **{what: str(path) for what, path in planted.items()},
        # A server started here runs in the folder of its log (Gradio once served its cwd).
        **({"the server's log in its working folder": str(target.log_path)} if target.log_path else {}),
    }


def _refused(status: int, body: bytes) -> bool:
    return status in (403, 404) and SECRET not in body and b"root:" not in body and b"import " not in body


def file_route_row(target: Target, ref: Reference, log: StatusLog, timeout: float) -> Row:
    """The file route serves this app's outputs and refuses everything else."""
    expected = "own output: 200 (kept in a private folder); every probe: 403/404"
    produced = _produced_file(target, ref, log, timeout)
    if produced is None:
        return Row("file route /gradio_api/file=…", expected, "no output file to compare with", False)
    planted = plant_files(target)
    try:
        answers = {what: raw_get(target.url, f"/gradio_api/file={path}") for what, path
                   in probes(target, produced, planted).items()}
        own = raw_get(target.url, f"/gradio_api/file={produced}")[0]
    finally:
        for path in planted.values():
            path.unlink(missing_ok=True)
    served = [f"{what} → {status}" for what, (status, body) in answers.items() if not _refused(status, body)]
    shared = _in_shared_folder(target, produced)
    observed = f"own output → {own}; {len(answers) - len(served)} of {len(answers)} probes refused"
    observed += f"; served: {', '.join(served)}" if served else ""
    observed += f"; outputs stored under {Path(produced).parent.parent.name}/" + (" (Gradio's shared folder)" if shared else "")
    return Row("file route /gradio_api/file=…", expected, observed, own == 200 and not served and not shared)


def _in_shared_folder(target: Target, produced: str) -> bool:
    """Whether the server keeps its files in ``<tmp>/gradio``, which every Gradio app of the machine serves."""
    return target.tmp is not None and Path(produced).resolve().is_relative_to((target.tmp / "gradio").resolve())


def _produced_file(target: Target, ref: Reference, log: StatusLog, timeout: float) -> str | None:
    if not ref.calls:
        return None
    client = ApiClient(target.url, log, timeout)
    try:
        reply = client.call(ref.calls[0].endpoint.fn_index, ref.calls[0].data)
    finally:
        client.close()
    paths = output_paths(reply.data) if reply.ok else []
    return paths[0] if paths else None


# -- oversized uploads ---------------------------------------------------------------------
def post_upload(url: str, size: int, timeout: float = 120.0) -> int:
    """POST one ``size``-byte file to the upload route; the status (0: connection cut, no answer)."""
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.png\"\r\n"
            "Content-Type: image/png\r\n\r\n").encode()
    body = head + inputs.oversized(size) + f"\r\n--{boundary}--\r\n".encode()
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        try:
            connection.request("POST", "/gradio_api/upload", body=body,
                               headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading; its answer may still be there
        return connection.getresponse().status
    except (http.client.HTTPException, OSError):
        return 0
    finally:
        connection.close()


def files_under(folder: Path | None) -> set[Path]:
    """Every file below ``folder`` (empty when unknown)."""
    return {p for p in folder.rglob("*") if p.is_file()} if folder is not None and folder.exists() else set()


def upload_limit_row(target: Target, limit: int | None) -> Row:
    """An upload just over the limit gets 413 and leaves no file in the server's temp folder."""
    expected = "413, no file left in the server's temp folder"
    if not limit:
        return Row("upload over the size limit", expected, "the app sets no max_file_size", False)
    before = files_under(target.tmp)
    started = time.perf_counter()
    status = post_upload(target.url, limit + 1024 * 1024)
    seconds = time.perf_counter() - started
    left = files_under(target.tmp) - before
    stored = "not checked (server temp folder unknown)" if target.tmp is None else f"{len(left)} file(s) left"
    observed = f"{(limit + 2**20) / 2**20:.0f} MiB upload (limit {limit / 2**20:.0f} MiB) → {status} in {seconds:.1f} s; {stored}"
    return Row("upload over the size limit", expected, observed, status == 413 and not left)

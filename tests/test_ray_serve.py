"""``ganhub serve --ray``: the same app and API with every model on a Ray Serve deployment.

In process: the config file's errors, batching that never changes an output, the executor's
messages for a dead replica or a timeout, `--ray` without Ray, and that the default app
never imports Ray. Then one real server (``python app.py --ray`` on a local 2-CPU Ray
instance, the test plugins, started once for the module): an image-to-image call over HTTP
equals the in-process engine's output, concurrent requests are batched by @serve.batch (as
Ray's own metrics count them, read by ``ganhub status``) with outputs equal to unbatched
runs, the autoscaling bounds hold, a replica killed mid-request is replaced and the request
answered, and stopping the server leaves no Ray process behind.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from app_server import ROOT, AppServer, installed_plugins_dir
from gradio_client import Client, handle_file
from PIL import Image

from ganhub.errors import GanhubError
from ganhub.executors.batching import run_calls
from ganhub.executors.config import load_config, parse_config

requires_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                                  reason="Ray Serve is not installed: pip install 'ganhub[ray]'")
NO_RAY = "import sys; sys.modules['ray'] = None; sys.modules['ray.serve'] = None\n"  # as if not installed

CONFIG = """\
defaults:
  num_cpus: 0.25          # three model replicas and the UI on a 2-CPU machine
  max_batch_size: 8
  batch_wait_timeout_s: 0.05
  request_timeout_s: 90
  deploy_timeout_s: 90
models:
  test-good-blur: {min_replicas: 2, max_replicas: 3}
local:
  num_cpus: 2
"""


# -- the config file -----------------------------------------------------------------------
def test_config_defaults_and_per_model_overrides() -> None:
    config = parse_config(CONFIG)
    dots, blur = config.for_model("test-good-dots"), config.for_model("test-good-blur")
    assert (dots.max_batch_size, dots.batch_wait_timeout_s, dots.num_cpus) == (8, 0.05, 0.25)
    assert (blur.min_replicas, blur.max_replicas, blur.num_cpus) == (2, 3, 0.25)  # an override starts from the defaults
    assert dots.autoscaling_config() == {"min_replicas": 1, "max_replicas": 1, "initial_replicas": 1,
                                         "target_ongoing_requests": 2.0}
    assert dots.ray_actor_options(cluster_gpus=0) == {"num_cpus": 0.25, "num_gpus": 0.0}
    assert dots.ray_actor_options(cluster_gpus=1)["num_gpus"] == 0.25  # auto: share one GPU
    assert config.local.num_cpus == 2 and config.ingress.max_concurrent_runs == 16


@pytest.mark.parametrize("text, message, fix", [
    ("defaults: [1, 2", "not valid YAML at line", "fix the YAML syntax"),
    ("default: {}", "unknown key 'default' in the top level", "use one of: defaults, ingress, local, models"),
    ("defaults: {replicas: 2}", "unknown key 'replicas' in defaults", "max_replicas"),
    ("defaults: {num_cpus: lots}", "defaults.num_cpus in cfg.yaml is 'lots'; it must be a number", "set defaults.num_cpus"),
    ("defaults: {max_replicas: 1.5}", "must be a whole number", "a whole number"),
    ("models: {m: {min_replicas: 3, max_replicas: 2}}", "models.m in cfg.yaml: min_replicas (3) is above", "min_replicas ≤"),
    ("defaults: {max_batch_size: 16}", "below max_batch_size (16)", "max_ongoing_requests ≥ max_batch_size"),
    ("defaults: {num_gpus: -1}", "must not be negative", "0 or more"),
    ("- a list", "the file in cfg.yaml must be a mapping", "key: value"),
])
def test_config_errors_say_what_and_how_to_fix(text: str, message: str, fix: str) -> None:
    with pytest.raises(GanhubError) as caught:
        parse_config(text, "cfg.yaml")
    assert message in str(caught.value) and fix in caught.value.fix


def test_a_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(GanhubError, match="cannot read the Ray Serve config") as caught:
        load_config(tmp_path / "serve.yaml")
    assert "--config" in caught.value.fix


# -- batching ------------------------------------------------------------------------------
class VariantSession:
    """Like oneDNN's convolutions: a one-row call rounds differently from a batched one."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def run(self, x: np.ndarray) -> np.ndarray:
        self.calls.append(x.shape[0])
        return x * 2 + (np.float32(1e-3) if x.shape[0] == 1 else np.float32(0))


def test_batching_merges_only_where_outputs_stay_bit_identical() -> None:
    session, verdicts = VariantSession(), {}
    rng = np.random.default_rng(0)
    fours = [rng.random((4, 8), dtype=np.float32) for _ in range(3)]
    ones = [rng.random((1, 8), dtype=np.float32) for _ in range(2)]
    for _ in range(2):  # the first round checks each layout, the second uses the verdicts
        session.calls.clear()
        outputs = run_calls([session] * 5, fours + ones, verdicts)
        alone = [VariantSession().run(x) for x in fours + ones]
        assert all(np.array_equal(o, a) for o, a in zip(outputs, alone))
    # Second round: the three 4-row calls (exact when merged) ran as one call of 12 rows
    # with the ones; the 1-row calls (not exact merged) also ran alone.
    assert session.calls == [14, 1, 1]


def test_a_network_that_refuses_a_batch_runs_each_call_alone() -> None:
    class FixedBatch:
        def run(self, x: np.ndarray) -> np.ndarray:
            if x.shape[0] != 2:
                raise ValueError("this graph takes a batch of 2")
            return x + 1

    arrays = [np.zeros((2, 3), np.float32), np.ones((2, 3), np.float32)]
    outputs = run_calls([FixedBatch()] * 2, arrays, {})
    assert all(np.array_equal(o, a + 1) for o, a in zip(outputs, arrays))


def test_serve_ray_without_ray_says_how_to_install() -> None:
    script = NO_RAY + "from ganhub.cli import main; main(['serve', '--ray', '--port', '0'])"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = (done.stdout + done.stderr).strip().splitlines()  # errors go to stderr
    assert len(lines) == 1 and "Ray Serve is not installed" in lines[0] and "pip install 'ganhub[ray]'" in lines[0]


def test_the_default_app_never_imports_ray(plugins: Path) -> None:
    """`python app.py` builds the whole CLI and app without Ray (its start-up time stays)."""
    script = f"""
import runpy, sys
sys.argv = ["app.py", "serve", "--help"]
try:
    runpy.run_path({str(ROOT / "app.py")!r}, run_name="__main__")
except SystemExit:
    pass
from ganhub.engine import Engine
from ganhub.registry import Registry
from ganhub.ui.app import build_app
registry = Registry.discover(allow={{"test_good"}})
build_app(registry, Engine(registry))
print("built", sorted(name for name, module in sys.modules.items() if name.split(".")[0] == "ray" and module))
"""
    env = {**os.environ, "PYTHONPATH": str(plugins)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "--ray" in done.stdout and done.stdout.strip().endswith("built []")


# -- the executor's messages ----------------------------------------------------------------
class FakeResponse:
    def __init__(self, error: BaseException):
        self.error, self.cancelled = error, False

    def result(self, timeout_s: float) -> Any:
        raise self.error

    def cancel(self) -> None:
        self.cancelled = True


class FakeHandle:
    """A deployment handle whose every response fails with ``error``."""

    def __init__(self, error: BaseException):
        self.error, self.responses = error, []

    def remote(self, request: dict[str, Any]) -> FakeResponse:
        self.responses.append(FakeResponse(self.error))
        return self.responses[-1]


def executor_with(handle: FakeHandle) -> Any:
    from ganhub.executors.ray_executor import RayExecutor
    from ganhub.executors.ray_models import ReplicaSettings

    executor = RayExecutor(parse_config("defaults: {request_timeout_s: 5}"), ReplicaSettings())
    executor._handles["m"] = handle  # as if deployed: no cluster needed for the error paths
    return executor


@requires_ray
def test_a_replica_lost_on_every_try_is_a_clear_message() -> None:
    from ray.exceptions import ActorDiedError

    handle = FakeHandle(ActorDiedError())
    with pytest.raises(GanhubError, match="replica running 'm' stopped during the request, 2 times") as caught:
        executor_with(handle).run("m", {})
    assert len(handle.responses) == 2 and "Ray starts new replicas" in caught.value.fix


@requires_ray
def test_no_answer_in_time_is_a_clear_message_and_cancels_the_request() -> None:
    handle = FakeHandle(TimeoutError())
    with pytest.raises(GanhubError, match="'m' gave no answer within 5 s on Ray Serve"):
        executor_with(handle).run("m", {})
    assert [r.cancelled for r in handle.responses] == [True]


@requires_ray
def test_the_models_own_error_reaches_the_user_unchanged() -> None:
    from ray.exceptions import RayTaskError

    wrapped = RayTaskError("model.__call__", "traceback", GanhubError("count is 99"))
    with pytest.raises(GanhubError, match="count is 99"):
        executor_with(FakeHandle(wrapped)).run("m", {})


# -- a real server on a local Ray instance -------------------------------------------------
def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Ray's gcs_server, raylet, workers, replicas …)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="module")
def plugins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return installed_plugins_dir(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def ray_server(plugins: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    if importlib.util.find_spec("ray") is None:
        pytest.skip("Ray Serve is not installed: pip install 'ganhub[ray]'")
    config = tmp_path_factory.mktemp("ray") / "serve.yaml"
    config.write_text(CONFIG)
    env = {"RAY_metrics_report_interval_ms": "1000", "RAY_USAGE_STATS_ENABLED": "0"}
    server = AppServer("--ray", "--plugins", "test_good", "--config", str(config),
                       "--preload", "test-good-blur,test-good-dots", pythonpath=plugins, env=env)
    server.start(timeout=110)
    try:
        yield server
    finally:
        stop(server)


def stop(server: AppServer) -> None:
    """SIGTERM, as a process manager stops it: the server shuts Serve and Ray down itself."""
    if server.alive():
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.stop()


@pytest.fixture(scope="module")
def engine(plugins: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The in-process engine on the same plugin: what the app gives without Ray."""
    sys.path.insert(0, str(plugins))
    import ganhub_test_good

    from ganhub.testing import offline_engine, plugin_registry

    with offline_engine(plugin_registry(ganhub_test_good, "test_good"), tmp_path_factory.mktemp("hub")) as engine:
        yield engine
    sys.path.remove(str(plugins))


def png(path: str) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image)


def expected_png(result: Any, index: int, folder: Path) -> np.ndarray:
    """The result's image written the way the app writes its downloads."""
    from ganhub.imaging import write_image

    return png(str(write_image(folder / f"expected{index}.png", result.images[index], result.alphas[index],
                               result.bit_depth)))


def test_image_to_image_over_http_equals_the_in_process_engine(ray_server: AppServer, engine: Any,
                                                               tmp_path: Path) -> None:
    import skimage.data

    from ganhub.imaging import read_image

    photo = tmp_path / "photo.png"
    Image.fromarray(skimage.data.astronaut()[40:120, 170:270]).save(photo)
    client = Client(ray_server.url, verbose=False)
    download, info = client.predict(handle_file(str(photo)), 64, 8, "torch", api_name="/test_good_blur")
    assert "served by Ray Serve replica" in info
    result = engine.run("test-good-blur", image=read_image(str(photo)), params={"tile": 64, "tile_overlap": 8})
    assert np.array_equal(png(download), expected_png(result, 0, tmp_path))


def ganhub_status() -> list[dict[str, Any]]:
    command = [sys.executable, "-m", "ganhub", "status", "--json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def figures(model_id: str, after: float = 0) -> dict[str, Any]:
    """``model_id``'s row of `ganhub status` once Ray's metrics count ``after`` requests."""
    deadline = time.monotonic() + 20  # Ray exports metrics every second here (see ray_server)
    while True:
        row = {row["model_id"]: row for row in ganhub_status()}.get(model_id, {})
        if (row.get("requests") or 0) >= after or time.monotonic() > deadline:
            return row


def test_concurrent_generate_requests_are_batched_and_equal_unbatched_runs(
        ray_server: AppServer, engine: Any, tmp_path: Path) -> None:
    client = Client(ray_server.url, verbose=False)
    client.predict(99, 4, 1.0, "torch", api_name="/test_good_dots")  # the deployment is up and warm
    before = figures("test-good-dots", 1)
    jobs = [client.submit(seed, 4, 1.0, "torch", api_name="/test_good_dots") for seed in range(8)]
    answers = [job.result(timeout=60) for job in jobs]
    for seed, (_, files, info) in enumerate(answers):
        unbatched = engine.run("test-good-dots", seed=seed, count=4, params={"gain": 1.0})
        assert len(files) == 4 and "Ray Serve" in info
        assert all(np.array_equal(png(path), expected_png(unbatched, i, tmp_path)) for i, path in enumerate(files))
    after = figures("test-good-dots", before["requests"] + 8)
    assert after["requests"] - before["requests"] == 8
    # Ray's batch-size histogram: some @serve.batch batch held the network calls of 2+ requests,
    # so the 8 requests needed fewer than 8 network calls.
    assert after["merged_batches"] > (before["merged_batches"] or 0), after
    assert after["replicas"] == 1 and after["status"] == "running"
    assert after["p50_ms"] is not None and after["p95_ms"] >= after["p50_ms"]


def test_concurrent_tiled_requests_equal_the_in_process_engine(ray_server: AppServer, engine: Any,
                                                               tmp_path: Path) -> None:
    """Equal-size tiles of concurrent requests go through @serve.batch; outputs do not change."""
    from ganhub.imaging import read_image

    rng = np.random.default_rng(1)
    photos = []
    for index in range(4):
        photos.append(tmp_path / f"photo{index}.png")
        Image.fromarray(rng.integers(0, 256, (96, 128, 3), dtype=np.uint8)).save(photos[-1])
    client = Client(ray_server.url, verbose=False)
    jobs = [client.submit(handle_file(str(p)), 32, 8, "torch", api_name="/test_good_blur") for p in photos]
    for index, (photo, job) in enumerate(zip(photos, jobs)):
        download, _ = job.result(timeout=60)
        result = engine.run("test-good-blur", image=read_image(str(photo)), params={"tile": 32, "tile_overlap": 8})
        assert np.array_equal(png(download), expected_png(result, 0, tmp_path / f"{index}"))


def test_the_autoscaling_bounds_hold(ray_server: AppServer) -> None:
    """min_replicas from the config: two blur replicas running, as Ray's Serve state reports."""
    deadline = time.monotonic() + 90  # --preload starts both deployments in the background
    while True:
        rows = {row["model_id"]: row for row in ganhub_status()}
        if all(rows.get(m, {}).get("status") == "running" for m in ("test-good-blur", "test-good-dots")):
            break
        assert time.monotonic() < deadline, rows
        time.sleep(1)
    blur, dots = rows["test-good-blur"], rows["test-good-dots"]
    assert (blur["replicas"], blur["min_replicas"], blur["max_replicas"]) == (2, 2, 3)
    assert (dots["min_replicas"], dots["max_replicas"]) == (1, 1)
    assert len(replica_pids("test-good-blur")) == 2


def replica_pids(model_id: str) -> list[int]:
    """PIDs of ``model_id``'s Serve replicas (Ray titles them ray::ServeReplica:<app>:<deployment>)."""
    title = f"ray::ServeReplica:ganhub-model-{model_id}:".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes().startswith(title) and running(int(entry.name)):
                pids.append(int(entry.name))
        except OSError:  # the process ended while we looked
            continue
    return pids


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def wait_until_busy(pids: list[int], timeout: float = 30, window: float = 0.25) -> None:
    """Until one of ``pids`` is busy (40 % of a core over ``window`` s): the request is there.

    A rate, not a total: an idle replica's background threads add up CPU time too, and a
    total once took that for the request, so the replicas died before it reached them.
    """
    hz, deadline = os.sysconf("SC_CLK_TCK"), time.monotonic() + timeout
    while True:
        then, before = time.monotonic(), {pid: cpu_ticks(pid) for pid in pids}
        time.sleep(window)
        now = time.monotonic()
        if max(cpu_ticks(pid) - before[pid] for pid in pids) >= 0.4 * (now - then) * hz:
            return
        assert now < deadline, "no blur replica started on the request"


def test_a_replica_killed_mid_request_is_replaced_and_the_request_answered(
        ray_server: AppServer, engine: Any, tmp_path: Path) -> None:
    from ganhub.imaging import read_image

    y, x = np.mgrid[0:2048, 0:2048]
    photo = tmp_path / "big.png"  # 4096 tiles of 32²: ~2 s of work on one replica (512² took 0.15 s)
    Image.fromarray(np.stack([x % 256, y % 256, (x + y) % 256], -1).astype(np.uint8)).save(photo)
    client = Client(ray_server.url, verbose=False)
    client.predict(handle_file(str(photo)), 0, 0, "torch", api_name="/test_good_blur")  # deployed (preload may lag)
    old = replica_pids("test-good-blur")
    assert len(old) == 2
    job = client.submit(handle_file(str(photo)), 32, 8, "torch", api_name="/test_good_blur")
    wait_until_busy(old)
    for pid in old:  # frozen at once, so the request is surely mid-way when they die
        os.kill(pid, signal.SIGSTOP)
    killed = time.monotonic()
    assert not job.done(), "the request ended before its replica was stopped: give it more work"
    for pid in old:  # both: whichever holds the request dies under it
        os.kill(pid, signal.SIGKILL)
    download, info = job.result(timeout=120)  # request_timeout_s is 90: it never hangs past that
    answered = time.monotonic() - killed
    assert "retried: the first Ray Serve replica stopped during the request" in info, info
    result = engine.run("test-good-blur", image=read_image(str(photo)), params={"tile": 32, "tile_overlap": 8})
    assert np.array_equal(png(download), expected_png(result, 0, tmp_path))
    while len(set(replica_pids("test-good-blur")) - set(old)) < 2:  # Ray replaces both
        assert time.monotonic() - killed < 90, replica_pids("test-good-blur")
        time.sleep(0.2)
    print(f"\nkilled replicas: request answered after {answered:.1f} s, "
          f"both replicas replaced after {time.monotonic() - killed:.1f} s")
    _, info = client.predict(handle_file(str(photo)), 0, 0, "torch", api_name="/test_good_blur")
    assert "served by Ray Serve replica" in info


def test_the_models_tab_has_the_deployments_table(ray_server: AppServer) -> None:
    with urllib.request.urlopen(ray_server.url + "/config", timeout=30) as response:
        config = json.loads(response.read())
    texts = [c.get("props", {}).get("value") for c in config.get("components", [])]
    assert any(isinstance(t, str) and t.startswith("## Deployments (ray)") for t in texts)


def test_stopping_the_server_leaves_no_ray_process(ray_server: AppServer) -> None:
    ray_processes = descendants(ray_server.process.pid)  # gcs_server, raylet, workers, replicas …
    assert len(ray_processes) >= 4
    began = time.monotonic()
    stop(ray_server)
    while any(running(pid) for pid in ray_processes) and time.monotonic() - began < 30:
        time.sleep(0.2)
    assert [pid for pid in ray_processes if running(pid)] == [], ray_server.log()[-3000:]
    assert ray_server.process.returncode == 0

"""Plugin discovery through really installed distributions, isolation and validation."""

from __future__ import annotations

import subprocess
import sys

import pytest

import ganhub
from ganhub.errors import SpecError, UnknownModelError
from ganhub.registry import Registry
from installed_plugins import install

TEST_PLUGINS = {"test_good", "test_import_error", "test_register_error", "test_late_duplicate", "test_badspec"}


@pytest.fixture(scope="module")
def plugin_dir(tmp_path_factory):
    return install(tmp_path_factory.mktemp("site"))


@pytest.fixture
def with_plugins(plugin_dir, monkeypatch):
    monkeypatch.syspath_prepend(str(plugin_dir))
    return plugin_dir


def test_good_plugin_is_discovered_with_its_distribution(with_plugins):
    registry = Registry.discover(allow={"test_good"})
    assert {m.spec.id for m in registry.models()} == {"test-good-blur", "test-good-dots"}
    record = registry.plugins["test_good"]
    assert (record.status, record.distribution, record.version) == ("ok", "ganhub-test-good", "1.2.3")
    assert registry.plugin_of("test-good-dots") == "test_good"


def test_failures_are_isolated_and_recorded(with_plugins):
    registry = Registry.discover(allow=TEST_PLUGINS)
    plugins = registry.plugins
    assert plugins["test_good"].status == "ok"
    assert plugins["test_import_error"].status == "broken"
    assert "definitely-not-installed" in plugins["test_import_error"].error
    assert "Traceback" in plugins["test_import_error"].traceback
    # all-or-nothing: the model registered before the exception is not kept
    assert plugins["test_register_error"].status == "broken"
    assert "blew up" in plugins["test_register_error"].error
    with pytest.raises(UnknownModelError):
        registry.get("test-register-error-first")
    # bad spec: the message names the model, the field and the allowed values
    assert "field 'task'" in plugins["test_badspec"].error
    assert "Colour ization!" in plugins["test_badspec"].error
    # duplicate id: the later plugin is rejected, the first keeps its model
    assert "already registered by 'test_good'" in plugins["test_late_duplicate"].error
    assert registry.plugin_of("test-good-blur") == "test_good"


def test_allowlist_from_environment(with_plugins, monkeypatch):
    monkeypatch.setenv("GANHUB_PLUGINS", "ganhub-test-good")  # distribution names work too
    registry = Registry.discover()
    assert registry.plugins["test_good"].status == "ok"
    assert registry.plugins["test_import_error"].status == "disabled"
    assert registry.plugins["superres"].status == "disabled"


def test_strict_mode_reraises(with_plugins, monkeypatch):
    monkeypatch.setenv("GANHUB_STRICT", "1")
    with pytest.raises(ImportError, match="definitely-not-installed"):
        Registry.discover(allow={"test_import_error"})


def test_cli_list_shows_broken_plugins(plugin_dir):
    env = {"PYTHONPATH": str(plugin_dir), "GANHUB_PLUGINS": "test_good,test_import_error", "COLUMNS": "200"}
    result = subprocess.run([sys.executable, "-m", "ganhub.cli", "list"], capture_output=True,
                            text=True, env={**_base_env(), **env}, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "test-good-blur" in result.stdout
    assert "test_import_error broken" in result.stdout and "definitely-not-installed" in result.stdout


def _base_env():
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("GANHUB_")}


def test_registries_are_independent():
    first, second = Registry(allow=set()), Registry(allow=set())

    class Plugin:
        @ganhub.hookimpl
        def register_models(self, register):
            from ganhub_test_models import identity_model

            register(identity_model("indep-model"))

    first.add_plugin(Plugin(), "p")
    assert [m.spec.id for m in first.models()] == ["indep-model"]
    assert second.models() == []


def test_hookimpl_with_wrong_argument_is_rejected():
    registry = Registry(allow=set())

    class Plugin:
        @ganhub.hookimpl
        def register_models(self, registr):  # typo: pluggy verifies argument names
            pass

    record = registry.add_plugin(Plugin(), "typo")
    assert record.status == "broken" and "registr" in record.error


@pytest.mark.parametrize(
    "change, field",
    [
        ({"id": "Bad Id"}, "id"),
        ({"task": "Paint It"}, "task"),
        ({"license": ""}, "license"),
        ({"weights": ()}, "weights"),
        ({"params": (ganhub.Param("x", "int", 1), ganhub.Param("x", "int", 2))}, "params"),
        ({"onnx_exportable": False}, "onnx_note"),
    ],
)
def test_bad_specs_name_the_field(change, field):
    base = dict(id="ok-model", title="t", task="other", license="MIT",
                description="d", weights=(ganhub.WeightSource("w.safetensors"),))
    with pytest.raises(SpecError, match=f"field '{field}'"):
        ganhub.ModelSpec(**{**base, **change})


def test_param_coercion_and_ranges():
    param = ganhub.Param("tile", "int", 256, 0, 1024)
    assert param.coerce("128") == 128
    with pytest.raises(ganhub.GanhubError, match="outside 0..1024"):
        param.coerce("4096")
    with pytest.raises(ganhub.GanhubError, match="must be an integer"):
        param.coerce("big")
    choice = ganhub.Param("scale", "choice", 4, choices=(4, 2))
    assert choice.coerce("2") == 2
    with pytest.raises(SpecError, match="field 'default'"):
        ganhub.Param("scale", "choice", 3, choices=(4, 2))


def test_hub_weights_must_pin_a_commit():
    with pytest.raises(SpecError, match="field 'uri' must pin a full 40-character commit"):
        ganhub.WeightSource("hf://owner/repo/model.pth@main")
    assert ganhub.WeightSource("hf://owner/repo/model.pth@main", user_supplied=True).user_supplied

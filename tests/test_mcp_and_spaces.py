"""`python app.py --mcp` serves every model as an MCP tool (checked with the `mcp` client
package over Streamable HTTP), and the app runs with the `spaces` package installed, whose
`@spaces.GPU` wraps model runs on ZeroGPU Spaces and runs them in-process elsewhere."""

from __future__ import annotations

import asyncio
import base64
import io
import re
import subprocess
import urllib.request
import sys
from pathlib import Path

import numpy as np
import pytest
from app_server import AppServer, installed_plugins_dir

mcp = pytest.importorskip("mcp", reason="MCP tests need gradio[mcp] (requirements.txt installs it)")
pytest.importorskip("spaces", reason="the ZeroGPU path needs the spaces package (requirements.txt installs it)")
from mcp.client.streamable_http import streamablehttp_client  # noqa: E402

PLUGINS = "test_good"


@pytest.fixture(scope="module")
def plugins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return installed_plugins_dir(tmp_path_factory.getbasetemp())


async def _list_and_call(url: str) -> tuple[list[str], object]:
    async with streamablehttp_client(f"{url}/gradio_api/mcp/") as (read, write, _):
        async with mcp.ClientSession(read, write) as session:
            await session.initialize()
            tools = [tool.name for tool in (await session.list_tools()).tools]
            result = await session.call_tool("test_good_dots", {"seed": 3, "count": 1, "gain": 1.0, "runtime": "torch"})
            return tools, result


def _images(result: object) -> list[np.ndarray]:
    """The images an MCP tool result carries: inline image content, or (Gradio's way for
    galleries and files) the URLs of the PNGs it wrote, fetched from the server."""
    from PIL import Image

    found = []
    for item in getattr(result, "content", []):
        if getattr(item, "type", "") == "image":
            found.append(base64.b64decode(item.data))
        for url in re.findall(r"'url': '(http://127\.0\.0\.1:\d+/[^']+\.png)'", getattr(item, "text", "")):
            with urllib.request.urlopen(url, timeout=30) as response:
                found.append(response.read())
    images = []
    for data in found:
        with Image.open(io.BytesIO(data)) as image:
            images.append(np.asarray(image.convert("RGB")))
    return images


def test_mcp_lists_every_model_and_a_call_returns_the_image(plugins: Path) -> None:
    with AppServer("--plugins", PLUGINS, "--mcp", pythonpath=plugins) as app:
        tools, result = asyncio.run(asyncio.wait_for(_list_and_call(app.url), timeout=120))
        images = _images(result)  # fetched while the server runs
    assert {"test_good_blur", "test_good_dots"} <= set(tools), tools
    assert not getattr(result, "isError", False), result
    assert images and images[0].shape == (16, 16, 3), result
    assert images[0].std() > 0  # a drawn image, not a blank


def test_the_app_runs_models_with_spaces_installed(plugins: Path) -> None:
    """Outside a Space `spaces.GPU` must run the call in-process, on the CPU, unchanged."""
    code = (
        "import numpy as np\n"
        "from ganhub import Engine, Registry\n"
        "from ganhub.ui.runner import Runner\n"
        "registry = Registry.discover(allow={'test_good'})\n"
        "runner = Runner(Engine(registry, device='cpu'))\n"
        "assert runner._execute is not runner._execute_on_device, 'spaces.GPU did not wrap the run'\n"
        "result = runner.run('test-good-dots', {'seed': 3, 'count': 2})\n"
        "print(len(result.images), result.device)\n"
    )
    env = AppServer(pythonpath=plugins).env
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-2:] == ["2", "cpu"]

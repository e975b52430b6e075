"""Install the test plugins in tests/plugins for real (pip --target), once per session.

They go into a temporary folder that tests put on sys.path (or PYTHONPATH for a subprocess),
so entry-point discovery sees genuinely installed distributions while the project's own
environment stays clean.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PLUGINS = Path(__file__).parent / "plugins"
ALL = sorted(p.name for p in PLUGINS.iterdir() if (p / "pyproject.toml").exists())


def install(target: Path) -> Path:
    """pip-install every test plugin into ``target`` (no deps: ganhub is already there)."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
               "--no-build-isolation", "--disable-pip-version-check", "--target", str(target)]
    subprocess.run(command + [str(PLUGINS / name) for name in ALL], check=True)
    return target

"""The app's vocabulary: task titles, API endpoint names, the concurrency groups."""

from __future__ import annotations

import re

from ganhub.spec import Task

TASK_TITLES = {
    Task.FACE_GENERATION: "Face generation",
    Task.PHOTO_TO_PAINTING: "Photo → painting",
    Task.WATERMARK_REMOVAL: "Watermark removal",
    Task.SUPER_RESOLUTION: "Super-resolution",
    Task.OTHER: "Other",
}
ACCELERATOR = "accelerator"  # the one concurrency group every model run joins


def task_title(task: str) -> str:
    """A task's tab title: ours for the known tasks, else the slug made readable ("colorize" → "Colorize")."""
    return TASK_TITLES.get(task) or task.replace("-", " ").capitalize()


def api_name_for(model_id: str) -> str:
    """The API endpoint name of a model: its id with non-identifier characters as ``_``."""
    return re.sub(r"[^0-9A-Za-z_]", "_", model_id)

"""The app's vocabulary: task titles, widget labels, API endpoint names, the concurrency groups."""

from __future__ import annotations

import re

from ganhub.spec import ModelSpec, Task

TASK_TITLES = {
    Task.FACE_GENERATION: "Face generation",
    Task.PHOTO_TO_PAINTING: "Photo → painting",
    Task.WATERMARK_REMOVAL: "Watermark removal",
    Task.SUPER_RESOLUTION: "Super-resolution",
    Task.OTHER: "Other",
}
# What the result of a task is called in output file names ("cat.png" → "cat_upscaled.png").
TASK_VERBS = {
    Task.SUPER_RESOLUTION: "upscaled",
    Task.PHOTO_TO_PAINTING: "painted",
    Task.WATERMARK_REMOVAL: "cleaned",
    Task.OTHER: "result",
}
# The boxes every tab has besides the model's params, by the name their value travels under.
LEAD_LABELS = {"seed": "Seed", "count": "Images", "runtime": "Runtime", "weights": "Weights"}
ACCELERATOR = "accelerator"  # the one concurrency group every model run joins


def task_title(task: str) -> str:
    """A task's tab title: ours for the known tasks, else the slug made readable ("colorize" → "Colorize")."""
    return TASK_TITLES.get(task) or task.replace("-", " ").capitalize()


def task_verb(task: str) -> str:
    """The suffix of an output file's name for ``task`` ("upscaled"), else the task slug."""
    return TASK_VERBS.get(task) or task


def param_label(name: str) -> str:
    """The label of a param's box: its name made readable ("style_image" → "Style image")."""
    return name.replace("_", " ").capitalize()


def widget_labels(spec: ModelSpec) -> dict[str, str]:
    """Each input name of a model's tab → the label of its box, so messages can name boxes."""
    return {**LEAD_LABELS, **{param.name: param_label(param.name) for param in spec.params}}


def api_name_for(model_id: str) -> str:
    """The API endpoint name of a model: its id with non-identifier characters as ``_``."""
    return re.sub(r"[^0-9A-Za-z_]", "_", model_id)

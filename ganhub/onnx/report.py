"""The export report's data: one parity row per comparison, and the report saved as ``<id>.json``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class ParityRow:
    """One comparison: an input shape, a precision, the errors against a reference."""

    precision: str
    inputs: str
    reference: str
    max_abs: float
    psnr: float


@dataclass
class ExportReport:
    """What an export wrote and how well its graphs match torch; saved as ``<id>.json``."""

    model_id: str
    files: dict[str, str]
    report_path: str
    exporter: str
    opset: int
    ir_version: int
    ir_note: str
    versions: dict[str, str]
    dynamic_axes: dict[str, dict[int, str]]
    inputs: list[dict[str, Any]]
    outputs: list[dict[str, Any]]
    parity: list[ParityRow] = field(default_factory=list)
    latency_ms: dict[str, Any] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    int8: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict of the report."""
        return asdict(self)

    def to_json(self) -> str:
        """The report as indented JSON text (what ``<id>.json`` holds)."""
        import json

        return json.dumps(self.to_dict(), indent=2, default=str) + "\n"

"""Weights: sources (hf://, pkg://, local), verification, lock file, and file formats."""

from ganhub.weights.digests import sha256_of
from ganhub.weights.fetch import ResolvedWeights, lock_source, resolve_weights, source_status
from ganhub.weights.formats import load_strict, read_state_dict, save_safetensors, unwrap
from ganhub.weights.sources import parse_uri

__all__ = [
    "ResolvedWeights",
    "load_strict",
    "lock_source",
    "parse_uri",
    "read_state_dict",
    "resolve_weights",
    "save_safetensors",
    "sha256_of",
    "source_status",
    "unwrap",
]

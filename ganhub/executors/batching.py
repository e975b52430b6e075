"""Dynamic batching that never changes an output: network calls merged only where proven equal.

A Ray replica merges the network calls of concurrent requests (a generate model's latents,
an image-to-image model's equal-size tiles) into one call along the batch axis. Kernels may
pick another algorithm for another batch size (oneDNN for N=1 vs N>1, GEMM tails), so a
sample's result could differ in the last bit. So each member's place in a merged call, its
*layout* (input shape, rows, offset, total rows), is checked once against the member run
alone, exactly as the unbatched pipeline would run it: if equal bit for bit, that layout is
merged from then on; if not, members with that layout always run alone. Outputs are therefore
identical to unbatched runs by construction; merging only saves time where it is exact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Layout = tuple[Any, ...]
MAX_VERDICTS = 4096  # layouts remembered per replica (a bounded dict, cleared when full)


class BatchedSession:
    """A Session whose one-array calls go through ``submit`` (the replica's batcher)."""

    def __init__(self, inner: Any, submit: Callable[[Any, np.ndarray], np.ndarray]):
        self.inner = inner
        self._submit = submit

    def __getattr__(self, name: str) -> Any:  # runtime, device, precision, network, …
        return getattr(self.inner, name)

    def run(self, *inputs: np.ndarray) -> np.ndarray:
        """One NCHW (or N×D) array: batched with other requests; anything else: run directly."""
        if len(inputs) == 1 and isinstance(inputs[0], np.ndarray) and inputs[0].ndim >= 1:
            return self._submit(self.inner, inputs[0])
        return self.inner.run(*inputs)


def layout(array: np.ndarray, offset: int, total: int) -> Layout:
    """Where one member sits in a merged call: what decides the kernels a backend picks."""
    return (array.shape[1:], array.dtype.str, array.shape[0], offset, total)


def group_calls(sessions: Sequence[Any], arrays: Sequence[np.ndarray]) -> dict[tuple[Any, ...], list[int]]:
    """Indices of the calls that can share one network call: same session, same item shape."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    for index, (session, array) in enumerate(zip(sessions, arrays)):
        groups.setdefault((id(session), array.shape[1:], array.dtype.str), []).append(index)
    return groups


def run_calls(sessions: Sequence[Any], arrays: Sequence[np.ndarray],
              verdicts: dict[tuple[Any, ...], bool]) -> list[np.ndarray | Exception]:
    """Each call's output (or its exception), merging calls where ``verdicts`` allow."""
    results: list[np.ndarray | Exception] = [np.empty(0)] * len(arrays)
    if len(verdicts) > MAX_VERDICTS:
        verdicts.clear()
    for indices in group_calls(sessions, arrays).values():
        session = sessions[indices[0]]
        outputs = run_group(session, [arrays[i] for i in indices], verdicts)
        for index, output in zip(indices, outputs):
            results[index] = output
    return results


def _alone(session: Any, array: np.ndarray) -> np.ndarray | Exception:
    try:
        return session.run(array)
    except Exception as exc:  # handed to that request alone
        return exc


def _merged(session: Any, arrays: list[np.ndarray]) -> np.ndarray | None:
    """One call on all ``arrays``; None when the network refuses a batch or answers oddly."""
    total = sum(array.shape[0] for array in arrays)
    try:
        output = session.run(np.concatenate(arrays))
    except Exception:  # e.g. an ONNX graph with a fixed batch of 1: run the members alone
        return None
    return output if isinstance(output, np.ndarray) and output.shape[:1] == (total,) else None


def run_group(session: Any, arrays: list[np.ndarray], verdicts: dict[tuple[Any, ...], bool]) -> list[np.ndarray | Exception]:
    """Outputs of calls on one session with one item shape: merged where proven exact."""
    if len(arrays) == 1:
        return [_alone(session, arrays[0])]
    offsets = np.cumsum([0] + [array.shape[0] for array in arrays]).tolist()
    keys = [(id(session), *layout(a, o, offsets[-1])) for a, o in zip(arrays, offsets)]
    if all(verdicts.get(key) is False for key in keys):
        return [_alone(session, array) for array in arrays]
    merged = _merged(session, arrays)
    outputs: list[np.ndarray | Exception] = []
    for array, offset, key in zip(arrays, offsets, keys):
        piece = None if merged is None else merged[offset : offset + array.shape[0]]
        if piece is not None and verdicts.get(key) is True:
            outputs.append(piece)
            continue
        alone = _alone(session, array)
        if key not in verdicts and isinstance(alone, np.ndarray):
            verdicts[key] = piece is not None and piece.shape == alone.shape and bool(np.array_equal(piece, alone))
        outputs.append(alone)
    return outputs

"""Progress of a frame-by-frame job: frames done of total, frames per second and time left,
reported through ganhub's usual callbacks: ``on_progress(done, total)`` and ``on_status(text)``."""

from __future__ import annotations

import time
from collections.abc import Callable

Progress = Callable[[int, int], None]
Status = Callable[[str], None]


class FrameProgress:
    """Counts frames and reports after every batch; ``total`` may be an estimate from a header."""

    def __init__(self, total: int | None, on_progress: Progress | None = None, on_status: Status | None = None,
                 clock: Callable[[], float] = time.perf_counter):
        self.total, self.done = total, 0
        self._on_progress, self._on_status, self._clock = on_progress, on_status, clock
        self._started = clock()

    @property
    def seconds(self) -> float:
        """Time since the first frame was asked for."""
        return self._clock() - self._started

    @property
    def fps(self) -> float:
        """Frames finished per second so far."""
        return self.done / self.seconds if self.done and self.seconds > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate (None until known)."""
        if not self.fps or not self.total:
            return None
        return max(0, self.total - self.done) / self.fps

    def start(self) -> None:
        """Report 0 done, so the user sees the work has begun."""
        self._started = self._clock()
        self._report()

    def advance(self, frames: int) -> None:
        """``frames`` more are finished."""
        self.done += frames
        if self.total is not None and self.done > self.total:  # the header's estimate was short
            self.total = self.done
        self._report()

    def finish(self) -> None:
        """The job is complete: the total becomes the true count."""
        self.total = self.done
        self._report()

    def text(self) -> str:
        """``frame 12/120 · 8.3 fps · ETA 13 s``."""
        of = f"/{self.total}" if self.total else ""
        eta = "" if self.eta is None else f" · ETA {_duration(self.eta)}"
        return f"frame {self.done}{of} · {self.fps:.1f} fps{eta}"

    def _report(self) -> None:
        if self._on_progress:
            self._on_progress(self.done, self.total or 0)
        if self._on_status:
            self._on_status(self.text())


def _duration(seconds: float) -> str:
    whole = int(round(seconds))
    return f"{whole} s" if whole < 60 else f"{whole // 60} min {whole % 60:02d} s"

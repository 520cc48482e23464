"""The GIL is released while loudcore works: other threads run, jobs run in parallel."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import loudcore

from conftest import stereo_sine


def test_another_thread_keeps_running_during_normalize(signals: Path, out_dir: Path) -> None:
    # A thread that wakes every 5 ms needs the GIL to run each time. Were the GIL held for
    # the whole call (no on_progress, so no Python code runs inside it), it would not wake
    # until the call returned.
    stop = threading.Event()
    ticks: list[float] = []

    def ticker() -> None:
        while not stop.wait(0.005):
            ticks.append(time.perf_counter())

    thread = threading.Thread(target=ticker)
    thread.start()
    try:
        time.sleep(0.05)
        started = time.perf_counter()
        loudcore.normalize(signals / "long.wav", out_dir / "o.wav")
        ended = time.perf_counter()
    finally:
        stop.set()
        thread.join()
    inside = [t for t in ticks if started + 0.05 < t < ended - 0.05]
    assert ended - started > 0.3
    assert len(inside) >= 20, f"the other thread ran {len(inside)} times in {ended - started:.2f} s"


def test_four_threads_normalize_four_files(tmp_path: Path, out_dir: Path) -> None:
    jobs = [(-20.0, -14.0), (-26.0, -16.0), (-32.0, -18.0), (-38.0, -23.0)]
    inputs = [stereo_sine(tmp_path / f"in{i}.wav", 30.0, level) for i, (level, _) in enumerate(jobs)]

    def job(i: int) -> loudcore.Report:
        return loudcore.normalize(inputs[i], out_dir / f"out{i}.flac", target_lufs=jobs[i][1])

    with ThreadPoolExecutor(max_workers=4) as pool:
        reports = list(pool.map(job, range(4)))
    for i, ((level, target), report) in enumerate(zip(jobs, reports)):
        assert report.input.integrated_lufs == pytest.approx(level, abs=0.1)
        assert report.gain_db == pytest.approx(target - level, abs=0.1)
        measured = loudcore.analyze(out_dir / f"out{i}.flac")
        assert measured.integrated_lufs == pytest.approx(target, abs=0.1)
        assert measured.duration_s == pytest.approx(30.0, abs=1e-3)


def test_analyze_from_many_threads(signals: Path) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: loudcore.analyze(signals / "ebu3341_2.wav"), range(8)))
    assert all(r.integrated_lufs == pytest.approx(-33.0, abs=0.1) for r in results)

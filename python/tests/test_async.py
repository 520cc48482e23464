"""The asyncio forms run the job off the event loop; cancelling the task cancels the job."""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path

import pytest

import loudcore

from conftest import listing


def test_analyze_async(signals: Path) -> None:
    a = asyncio.run(loudcore.analyze_async(signals / "ebu3341_1.wav"))
    assert a.integrated_lufs == pytest.approx(-23.0, abs=0.1)
    assert inspect.iscoroutinefunction(loudcore.analyze_async)
    assert inspect.signature(loudcore.analyze_async) == inspect.signature(loudcore.analyze)


def test_normalize_async_leaves_the_loop_free(signals: Path, out_dir: Path) -> None:
    async def main() -> tuple[loudcore.Report, int, list[float]]:
        ticks = 0
        calls: list[float] = []

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.005)
                ticks += 1

        t = asyncio.create_task(ticker())
        report = await loudcore.normalize_async(
            signals / "long.wav", out_dir / "o.wav", target_lufs=-18.0, on_progress=lambda s, f: calls.append(f)
        )
        t.cancel()
        return report, ticks, calls

    report, ticks, calls = asyncio.run(main())
    assert ticks >= 10, f"the event loop ran only {ticks} ticks during the job"
    assert calls[-1] == 1.0
    assert loudcore.analyze(out_dir / "o.wav").integrated_lufs == pytest.approx(-18.0, abs=0.1)
    assert report.outputs[0].verified


def test_normalize_to_async(signals: Path, out_dir: Path) -> None:
    report = asyncio.run(
        loudcore.normalize_to_async(signals / "quiet.wav", [out_dir / "a.wav", out_dir / "a.flac"], preset="podcast")
    )
    assert [o.integrated_lufs for o in report.outputs] == [pytest.approx(-16.0, abs=0.1)] * 2


def test_cancelling_the_task_cancels_the_job(signals: Path, out_dir: Path) -> None:
    token = loudcore.CancelToken()

    async def main() -> None:
        task = asyncio.create_task(loudcore.normalize_async(signals / "long.wav", out_dir / "o.mp3", cancel=token))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert token.is_cancelled()
    # The task waited for the job to stop: nothing partial remains.
    assert listing(out_dir) == []


def test_async_errors_propagate(tmp_path: Path) -> None:
    with pytest.raises(loudcore.NotFoundError):
        asyncio.run(loudcore.analyze_async(tmp_path / "missing.wav"))

"""Typed use of the public API, checked with `mypy --strict` by test_typing.py (never run)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import loudcore


def progress(stage: str, fraction: float) -> None:
    print(f"{stage} {fraction:.0%}")


def service(upload: bytes, dest: Path) -> dict[str, Any]:
    token = loudcore.CancelToken()
    a: loudcore.Analysis = loudcore.analyze(upload, name="upload.mp3", max_duration_s=4 * 3600.0)
    lufs: float | None = a.integrated_lufs
    rate: int = a.sample_rate
    warnings: list[str] = a.warnings
    curve: list[loudcore.CurvePoint] | None = loudcore.analyze(dest, curve=True).curve
    try:
        r: loudcore.Report = loudcore.normalize(
            upload,
            dest,
            preset="spotify",
            true_peak_dbtp=-1.5,
            on_progress=progress,
            cancel=token,
            bitrate=192_000,
        )
    except FileNotFoundError as e:
        print(e.filename)
        raise
    except loudcore.InvalidOptionsError as e:
        print(e.file)
        raise
    except loudcore.LoudcoreError as e:
        print(e.file, e)
        raise
    first: loudcore.OutputReport = r.outputs[0]
    ok: bool = first.verified and not token.is_cancelled()
    spec = loudcore.OutputSpec(dest.with_suffix(".flac"), bits_per_sample=24)
    path: Path = spec.path
    multi = loudcore.normalize_to(str(dest), [dest.with_suffix(".wav"), spec], target_lufs=-16.0)
    t: float = multi.timings.render_s
    print(lufs, rate, warnings, curve, ok, path, t)
    return r.to_dict()


async def async_service(path: Path) -> float | None:
    a = await loudcore.analyze_async(path, threads=1)
    r = await loudcore.normalize_async(path, path.with_suffix(".mp3"), target_lufs=-14.0)
    r2 = await loudcore.normalize_to_async(path, [path.with_suffix(".flac")])
    print(r.gain_db, r2.limiter_active)
    return a.integrated_lufs


def ladder(upload: bytes, dest: Path) -> list[int]:
    token = loudcore.CancelToken()
    r: loudcore.Report = loudcore.hls(
        upload,
        dest,
        variants=["low=48k@24000", "high=128k@44100"],
        segment_seconds=6.0,
        container="fmp4",
        codec="aac",
        layout="flat",
        preset="apple-music",
        name="upload.wav",
        on_progress=progress,
        cancel=token,
    )
    master: str | None = r.master_playlist
    bandwidths: list[int] = []
    for o in r.outputs:
        v: loudcore.VariantReport | None = o.variant
        if v is not None:
            codecs: str = v.codecs
            segments: int = v.segments
            print(v.name, v.container, v.codec, codecs, v.nominal_bit_rate, v.average_bandwidth, segments)
            bandwidths.append(v.bandwidth)
    print(master)
    return bandwidths


async def async_ladder(path: Path) -> str | None:
    r = await loudcore.hls_async(path, path.parent / "ladder", container="packed")
    return r.master_playlist


async def cancellable(path: Path) -> loudcore.Report:
    task: asyncio.Task[loudcore.Report] = asyncio.create_task(loudcore.normalize_async(path, "out.wav"))
    return await task


if __name__ == "__main__":
    analysis: loudcore.Analysis = asyncio.run(loudcore.analyze_async("x.wav"))
    asyncio.run(async_service(Path("x.wav")))
    asyncio.run(cancellable(Path("x.wav")))

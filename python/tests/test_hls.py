"""hls(): an audio-only HLS ladder from one decode, checked on the files it wrote.

Every file a playlist names must exist, each variant is measured on its own segments
(target within 0.1 LU, true peak under the ceiling), and errors and cancellation leave
nothing behind.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from pathlib import Path

import pytest

import loudcore

from conftest import listing, stereo_sine

TOL_LU = 0.1


@pytest.fixture(scope="module")
def sine_25s(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stereo 1 kHz at -30 dBFS for 25 s: three 10 s segments per variant."""
    return stereo_sine(tmp_path_factory.mktemp("hls") / "sine25.wav", 25.0, -30.0)


def uris(playlist: Path) -> list[str]:
    """The URIs a playlist names: its non-tag lines and any EXT-X-MAP init segment."""
    text = playlist.read_text()
    assert text.startswith("#EXTM3U"), playlist
    out: list[str] = []
    for line in text.splitlines():
        m = re.match(r'#EXT-X-MAP:.*URI="([^"]+)"', line)
        if m:
            out.append(m.group(1))
        elif line and not line.startswith("#"):
            out.append(line)
    return out


def check_ladder(master: Path) -> list[Path]:
    """Every media playlist the master names exists, and every segment each of them names."""
    media = [master.parent / u for u in uris(master)]
    for m in media:
        assert m.is_file(), m
        segments = uris(m)
        assert segments, m
        for s in segments:
            assert (m.parent / s).is_file(), (m, s)
    return media


def test_default_ladder_three_verified_variants(sine_25s: Path, tmp_path: Path) -> None:
    out = tmp_path / "ladder"
    r = loudcore.hls(sine_25s, out)
    assert (r.target_lufs, r.true_peak_dbtp) == (-14.0, -1.0)
    assert r.input.integrated_lufs is not None
    assert r.master_playlist == str(out / "master.m3u8")
    master = Path(r.master_playlist)
    assert master.is_file()
    media = check_ladder(master)
    assert len(media) == 3 and len(r.outputs) == 3

    rungs: list[tuple[int, int]] = []
    for o in r.outputs:
        v = o.variant
        assert isinstance(v, loudcore.VariantReport)
        assert o.format == "hls" and o.verified
        assert Path(o.path) == out / v.name / "playlist.m3u8"
        assert Path(o.path) in media
        assert o.integrated_lufs is not None and abs(o.integrated_lufs + 14.0) <= TOL_LU
        assert o.true_peak_dbtp is not None and o.true_peak_dbtp <= -1.0
        assert o.duration_s == pytest.approx(25.0, abs=0.05)
        assert (v.container, v.codec, v.codecs) == ("ts", "aac", "mp4a.40.2")
        assert v.bandwidth >= v.average_bandwidth > 0
        assert v.segments == len(uris(Path(o.path))) == 3
        rungs.append((v.nominal_bit_rate, o.sample_rate))
        assert "mp4a.40.2" in repr(v)
    assert sorted(rungs) == [(48_000, 24_000), (64_000, 32_000), (128_000, 44_100)]
    assert len({o.variant.name for o in r.outputs if o.variant}) == 3

    d = r.to_dict()
    again = json.loads(json.dumps(d))
    assert again["master_playlist"] == r.master_playlist
    assert len(again["outputs"]) == 3
    for o, od in zip(r.outputs, again["outputs"]):
        assert o.variant is not None
        vd = od["variant"]
        assert vd == o.variant.to_dict()
        assert vd["codecs"] == "mp4a.40.2" and vd["container"] == "ts" and vd["codec"] == "aac"
        assert vd["bandwidth"] == o.variant.bandwidth
        assert vd["average_bandwidth"] == o.variant.average_bandwidth
        assert vd["nominal_bit_rate"] == o.variant.nominal_bit_rate
        assert vd["segments"] == o.variant.segments
        assert od["format"] == "hls"


def test_flat_packed_named_rungs_from_bytes(tmp_path: Path) -> None:
    data = stereo_sine(tmp_path / "src.wav", 12.0, -24.0).read_bytes()
    out = tmp_path / "flat"
    r = loudcore.hls(
        data,
        out,
        variants=["high=128k@44100", "low=64k@32000"],
        container="packed",
        layout="flat",
        segment_seconds=6.0,
        target_lufs=-16.0,
        name="upload.wav",
    )
    for f in ("master.m3u8", "high.m3u8", "high_000.aac", "low.m3u8", "low_000.aac"):
        assert (out / f).is_file(), f
    assert r.master_playlist == str(out / "master.m3u8")
    check_ladder(out / "master.m3u8")
    assert sorted(o.variant.name for o in r.outputs if o.variant) == ["high", "low"]
    for o in r.outputs:
        v = o.variant
        assert v is not None
        assert Path(o.path) == out / f"{v.name}.m3u8"
        assert (v.container, v.codec, v.codecs) == ("packed", "aac", "mp4a.40.2")
        want = (128_000, 44_100) if v.name == "high" else (64_000, 32_000)
        assert (v.nominal_bit_rate, o.sample_rate) == want
        assert o.verified
        assert o.integrated_lufs is not None and abs(o.integrated_lufs + 16.0) <= TOL_LU


def test_normalize_report_has_no_master_or_variant(signals: Path, out_dir: Path) -> None:
    r = loudcore.normalize(signals / "quiet.wav", out_dir / "o.wav")
    assert r.master_playlist is None and r.outputs[0].variant is None
    d = r.to_dict()
    assert d.get("master_playlist") is None
    assert d["outputs"][0].get("variant") is None


@pytest.mark.parametrize(
    "options, words",
    [
        ({"variants": ["128k"]}, "variant"),
        ({"variants": ["fast=lots@44100"]}, "variant"),
        ({"container": "mkv"}, "container"),
        ({"codec": "opus"}, "codec"),
        ({"layout": "deep"}, "layout"),
        ({"segment_seconds": 0.1}, "segment"),
        ({"segment_seconds": 120.0}, "segment"),
    ],
)
def test_invalid_options(signals: Path, out_dir: Path, options: dict[str, object], words: str) -> None:
    with pytest.raises(loudcore.InvalidOptionsError) as info:
        loudcore.hls(signals / "quiet.wav", out_dir / "ladder", **options)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    assert words in str(info.value)
    assert listing(out_dir) == []


def test_cancelled_token_leaves_nothing(signals: Path, out_dir: Path) -> None:
    token = loudcore.CancelToken()
    token.cancel()
    with pytest.raises(loudcore.CancelledError):
        loudcore.hls(signals / "quiet.wav", out_dir / "ladder", cancel=token)
    assert listing(out_dir) == []


def test_cancel_from_another_thread_while_rendering(sine_25s: Path, out_dir: Path) -> None:
    token = loudcore.CancelToken()
    rendering = threading.Event()
    stages: list[str] = []

    def on_progress(stage: str, fraction: float) -> None:
        stages.append(stage)
        if stage == "render":
            rendering.set()

    def cancel_when_rendering() -> None:
        rendering.wait(30)
        token.cancel()

    t = threading.Thread(target=cancel_when_rendering)
    t.start()
    try:
        with pytest.raises(loudcore.CancelledError):
            loudcore.hls(sine_25s, out_dir / "ladder", on_progress=on_progress, cancel=token)
    finally:
        rendering.set()
        t.join()
    assert "render" in stages and "done" not in stages
    assert listing(out_dir) == []


def test_hls_async(signals: Path, out_dir: Path) -> None:
    async def main() -> loudcore.Report:
        return await loudcore.hls_async(signals / "quiet.wav", out_dir / "ladder", variants=["64k@32000"])

    r = asyncio.run(main())
    assert len(r.outputs) == 1 and r.outputs[0].verified
    assert r.master_playlist is not None and Path(r.master_playlist).is_file()
    check_ladder(Path(r.master_playlist))


def test_hls_async_cancelled_task_leaves_nothing(sine_25s: Path, out_dir: Path) -> None:
    async def main() -> None:
        task = asyncio.create_task(loudcore.hls_async(sine_25s, out_dir / "ladder"))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert listing(out_dir) == []

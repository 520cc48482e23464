"""Analysis values on synthesised EBU reference signals, and the Analysis type."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import loudcore

CONTRACT_KEYS = {
    "integrated_lufs",
    "true_peak_dbtp",
    "sample_peak_dbfs",
    "lra_lu",
    "threshold_lufs",
    "max_momentary_lufs",
    "max_short_term_lufs",
    "duration_s",
    "sample_rate",
    "channels",
    "codec",
    "bit_rate",
}


@pytest.mark.parametrize(("name", "expected"), [("ebu3341_1.wav", -23.0), ("ebu3341_2.wav", -33.0)])
def test_ebu_3341_integrated_loudness(signals: Path, name: str, expected: float) -> None:
    # EBU Tech 3341 cases 1 and 2: a stereo 1 kHz sine at -23 / -33 dBFS peak per channel
    # reads -23.0 / -33.0 LUFS (+-0.1 LU); its true peak is its sample peak.
    a = loudcore.analyze(signals / name)
    assert a.integrated_lufs == pytest.approx(expected, abs=0.1)
    assert a.max_momentary_lufs == pytest.approx(expected, abs=0.1)
    assert a.max_short_term_lufs == pytest.approx(expected, abs=0.1)
    assert a.true_peak_dbtp == pytest.approx(expected, abs=0.2)
    assert a.sample_peak_dbfs == pytest.approx(expected, abs=0.05)
    assert a.lra_lu == pytest.approx(0.0, abs=0.1)
    # The relative gate sits 10 LU under the ungated loudness.
    assert a.threshold_lufs == pytest.approx(expected - 10.0, abs=0.1)
    assert a.duration_s == pytest.approx(20.0, abs=1e-6)
    assert (a.sample_rate, a.channels, a.format, a.codec) == (48_000, 2, "wav", "pcm_s16le")
    assert a.bit_rate == 48_000 * 2 * 16
    assert a.skipped_frames == 0 and a.warnings == []
    assert a.curve is None


def test_ebu_3342_loudness_range(signals: Path) -> None:
    # EBU Tech 3342 case 1: 20 s at -20 dBFS then 20 s at -30 dBFS -> LRA 10 LU (+-1).
    a = loudcore.analyze(signals / "ebu3342_1.wav")
    assert a.lra_lu == pytest.approx(10.0, abs=1.0)
    assert a.duration_s == pytest.approx(40.0, abs=1e-6)


def test_input_as_str_pathlike_and_bytes_agree(signals: Path) -> None:
    path = signals / "ebu3341_1.wav"

    class Upload(os.PathLike[str]):
        def __fspath__(self) -> str:
            return str(path)

    results = [
        loudcore.analyze(path),
        loudcore.analyze(str(path)),
        loudcore.analyze(Upload()),
        loudcore.analyze(path.read_bytes()),
        loudcore.analyze(path.read_bytes(), name="upload.wav"),
    ]
    dicts = [r.to_dict() for r in results]
    assert all(d == dicts[0] for d in dicts)


def test_silence_has_no_integrated_loudness(signals: Path) -> None:
    a = loudcore.analyze(signals / "silence.wav")
    assert a.integrated_lufs is None
    assert a.true_peak_dbtp is None
    assert a.threshold_lufs is None
    assert a.to_dict()["integrated_lufs"] is None


def test_attributes_repr_and_to_dict(signals: Path) -> None:
    a = loudcore.analyze(signals / "ebu3341_1.wav")
    d = a.to_dict()
    assert CONTRACT_KEYS <= d.keys()
    for key in d:
        assert getattr(a, key) == d[key], key
    r = repr(a)
    assert r.startswith("Analysis(integrated_lufs=-2")
    assert "sample_rate=48000" in r and "channels=2" in r
    with pytest.raises(AttributeError):
        a.integrated_lufs = 0.0  # type: ignore[misc]


def test_curve(signals: Path) -> None:
    a = loudcore.analyze(signals / "ebu3341_1.wav", curve=True)
    assert a.curve is not None
    assert len(a.curve) == pytest.approx(200, abs=2)  # every 100 ms for 20 s
    last = a.curve[-1]
    assert last.t_s == pytest.approx(20.0, abs=0.1)
    assert last.momentary_lufs == pytest.approx(-23.0, abs=0.1)
    assert last.short_term_lufs == pytest.approx(-23.0, abs=0.1)
    assert "CurvePoint(t_s=" in repr(last)
    assert len(a.to_dict()["curve"]) == len(a.curve)


def test_analyze_progress_reaches_one(signals: Path) -> None:
    calls: list[tuple[str, float]] = []
    loudcore.analyze(signals / "ebu3342_1.wav", on_progress=lambda s, f: calls.append((s, f)))
    fractions = [f for _, f in calls]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert {s for s, _ in calls} <= {"analyze", "done"}


def test_limits_and_decode_options_are_accepted(signals: Path) -> None:
    a = loudcore.analyze(
        signals / "ebu3341_1.wav",
        strict=True,
        threads=1,
        max_bytes=100 << 20,
        min_duration_s=1.0,
        max_duration_s=60.0,
        max_channels=2,
        allowed_formats=["wav", "flac"],
    )
    assert a.integrated_lufs == pytest.approx(-23.0, abs=0.1)


def test_wrong_input_type_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        loudcore.analyze(123)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        loudcore.analyze(b"RIFF", on_progress=5)  # type: ignore[arg-type]

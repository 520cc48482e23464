"""Normalize to files, then measure the outputs with analyze (an independent decode)."""

from __future__ import annotations

from pathlib import Path

import pytest

import loudcore

from conftest import listing


def test_normalize_to_wav_then_measure(signals: Path, out_dir: Path) -> None:
    out = out_dir / "quiet.normalized.wav"
    report = loudcore.normalize(signals / "quiet.wav", out, target_lufs=-16.0, true_peak_dbtp=-1.0)
    assert listing(out_dir) == ["quiet.normalized.wav"]
    measured = loudcore.analyze(out)
    assert measured.integrated_lufs == pytest.approx(-16.0, abs=0.1)
    assert measured.true_peak_dbtp is not None and measured.true_peak_dbtp <= -1.0
    assert measured.duration_s == pytest.approx(8.0, abs=1e-3)
    assert measured.sample_rate == 48_000

    assert report.target_lufs == -16.0 and report.true_peak_dbtp == -1.0
    assert report.input.integrated_lufs == pytest.approx(-30.0, abs=0.1)
    assert report.gain_db == pytest.approx(14.0, abs=0.1)
    assert report.limiter_active is False
    assert len(report.outputs) == 1
    o = report.outputs[0]
    assert Path(o.path) == out and o.format == "wav" and o.verified
    assert o.integrated_lufs == pytest.approx(measured.integrated_lufs, abs=0.01)
    assert report.elapsed_s > 0 and report.timings.input_decodes >= 2
    assert "Report(target_lufs=-16.00" in repr(report) and "OutputReport(path=" in repr(report)
    d = report.to_dict()
    assert d["outputs"][0]["integrated_lufs"] == o.integrated_lufs
    assert d["input"]["integrated_lufs"] == report.input.integrated_lufs
    assert set(d) >= {"input", "gain_db", "limiter_active", "outputs", "elapsed_s"}
    assert set(d["outputs"][0]) >= {
        "path",
        "format",
        "sample_rate",
        "bit_rate",
        "duration_s",
        "integrated_lufs",
        "true_peak_dbtp",
        "lra_lu",
        "verified",
    }


def test_default_target_is_minus_14(signals: Path, out_dir: Path) -> None:
    report = loudcore.normalize(signals / "quiet.wav", out_dir / "o.flac")
    assert report.target_lufs == -14.0 and report.true_peak_dbtp == -1.0
    a = loudcore.analyze(out_dir / "o.flac")
    assert a.format == "flac"
    assert a.integrated_lufs == pytest.approx(-14.0, abs=0.1)


def test_preset_and_explicit_override(signals: Path, out_dir: Path) -> None:
    r = loudcore.normalize(signals / "quiet.wav", out_dir / "ebu.wav", preset="ebu-r128")
    assert r.target_lufs == -23.0
    assert loudcore.analyze(out_dir / "ebu.wav").integrated_lufs == pytest.approx(-23.0, abs=0.1)
    r = loudcore.normalize(signals / "quiet.wav", out_dir / "x.wav", preset="ebu-r128", target_lufs=-18.0)
    assert (r.target_lufs, r.true_peak_dbtp) == (-18.0, -1.0)
    r = loudcore.normalize(signals / "quiet.wav", out_dir / "am.wav", preset="apple-music")
    assert r.target_lufs == -16.0


def test_normalize_bytes_input(signals: Path, out_dir: Path) -> None:
    data = (signals / "quiet.wav").read_bytes()
    report = loudcore.normalize(data, out_dir / "from-bytes.wav", target_lufs=-20.0, name="upload.wav")
    assert report.input.integrated_lufs == pytest.approx(-30.0, abs=0.1)
    assert loudcore.analyze(out_dir / "from-bytes.wav").integrated_lufs == pytest.approx(-20.0, abs=0.1)


def test_normalize_to_several_outputs_from_one_job(signals: Path, out_dir: Path) -> None:
    outputs: list[str | Path | loudcore.OutputSpec] = [
        out_dir / "a.wav",
        str(out_dir / "a.flac"),
        loudcore.OutputSpec(out_dir / "a.mp3", bitrate=192_000),
        loudcore.OutputSpec(out_dir / "a44.wav", sample_rate=44_100, bits_per_sample=24),
    ]
    report = loudcore.normalize_to(signals / "quiet.wav", outputs, target_lufs=-16.0)
    assert listing(out_dir) == ["a.flac", "a.mp3", "a.wav", "a44.wav"]
    assert [Path(o.path).name for o in report.outputs] == ["a.wav", "a.flac", "a.mp3", "a44.wav"]
    assert [o.format for o in report.outputs] == ["wav", "flac", "mp3", "wav"]
    for o in report.outputs:
        a = loudcore.analyze(o.path)
        assert a.integrated_lufs == pytest.approx(-16.0, abs=0.1), o.path
        assert a.true_peak_dbtp is not None and a.true_peak_dbtp <= -1.0
        assert o.verified
    assert loudcore.analyze(out_dir / "a44.wav").sample_rate == 44_100
    assert loudcore.analyze(out_dir / "a.mp3").codec == "mp3"
    spec = loudcore.OutputSpec("x.mp3", bitrate=128_000)
    assert spec.path == Path("x.mp3") and spec.bitrate == 128_000 and spec.quality is None
    assert repr(spec) == 'OutputSpec("x.mp3", bitrate=128000)'


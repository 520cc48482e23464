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



def test_dynamic_mode_reaches_a_loudness_range(signals: Path, out_dir: Path) -> None:
    # EBU Tech 3342 case 1: 20 s at -20 dBFS then 20 s at -30 dBFS, a range of 10 LU.
    out = out_dir / "dyn.wav"
    r = loudcore.normalize(
        signals / "ebu3342_1.wav", out, mode="dynamic", lra_lu=5.0, target_lufs=-18.0, gain_curve=True
    )
    assert r.mode == "dynamic" and r.dynamic is not None
    d = r.dynamic
    assert d.curve_applied and d.lra_target_lu == 5.0
    assert d.gain_min_db < d.gain_max_db and d.max_gain_step_db <= 1.0
    assert d.gain_curve_db is not None and len(d.gain_curve_db) == 400
    steps = [abs(b - a) for a, b in zip(d.gain_curve_db, d.gain_curve_db[1:])]
    assert max(steps) == pytest.approx(d.max_gain_step_db, abs=1e-3)
    a = loudcore.analyze(out)
    assert a.integrated_lufs == pytest.approx(-18.0, abs=0.1)
    assert a.lra_lu <= 5.5 and a.duration_s == pytest.approx(40.0, abs=1e-3)
    assert r.outputs[0].lra_lu == pytest.approx(a.lra_lu, abs=0.01)
    assert 'mode="dynamic"' in repr(r) and "DynamicReport(" in repr(d)
    assert r.to_dict()["dynamic"]["curve_applied"] is True


def test_dynamic_mode_within_the_range_is_linear(signals: Path, out_dir: Path) -> None:
    r = loudcore.normalize(signals / "ebu3342_1.wav", out_dir / "dyn.wav", mode="dynamic")
    assert r.mode == "dynamic" and r.dynamic is not None
    assert not r.dynamic.curve_applied and r.dynamic.lra_target_lu == 11.0
    assert r.dynamic.gain_curve_db is None
    lin = loudcore.normalize(signals / "ebu3342_1.wav", out_dir / "lin.wav")
    assert lin.mode == "linear" and lin.dynamic is None
    assert (out_dir / "dyn.wav").read_bytes() == (out_dir / "lin.wav").read_bytes()

"""The UniFFI binding (loudcore-ffi) through the Python bindings uniffi-bindgen generates
from the built library: the same generated code paths Kotlin and Swift apps go through
(records with defaults, the flat error enum, the foreign ProgressListener trait, the Job
object). Expected values come from EBU Tech 3341, not from what the code printed."""

import re
import threading
from pathlib import Path

import pytest

import loudcore_ffi as lf
from conftest import sine_stereo, write_wav

TOL_LU = 0.1


def path(p) -> "lf.AudioInput":
    return lf.AudioInput.PATH(path=str(p))


class Recorder(lf.ProgressListener):
    """Records every call; returns False (cancel) once `stop_after` calls were seen."""

    def __init__(self, stop_after=None):
        self.calls = []
        self.stop_after = stop_after

    def on_progress(self, stage, fraction):
        self.calls.append((stage, fraction))
        return self.stop_after is None or len(self.calls) < self.stop_after


def assert_monotonic_to_one(calls):
    assert calls, "no progress reported"
    fractions = [f for _, f in calls]
    assert all(0.0 <= f <= 1.0 for f in fractions), fractions
    assert all(b >= a for a, b in zip(fractions, fractions[1:])), fractions
    assert fractions[-1] == 1.0
    assert calls[-1][0] == "done"


# --------------------------------------------------------------------------------------
# analyze


def test_analyze_ebu_3341_test_1(ebu_3341_1):
    a = lf.analyze(path(ebu_3341_1))
    assert isinstance(a, lf.Analysis)
    assert a.integrated_lufs == pytest.approx(-23.0, abs=TOL_LU)
    # A 1 kHz sine sampled at 48 kHz hits its crest exactly: peak = -23 dBFS.
    assert a.sample_peak_dbfs == pytest.approx(-23.0, abs=0.01)
    assert a.true_peak_dbtp == pytest.approx(-23.0, abs=0.1)
    assert a.lra_lu == pytest.approx(0.0, abs=0.1)
    assert a.duration_s == pytest.approx(20.0, abs=1e-6)
    assert (a.sample_rate, a.channels, a.format) == (48000, 2, "wav")
    assert a.codec.startswith("pcm")
    assert a.skipped_frames == 0 and a.warnings == []
    assert a.curve is None


def test_analyze_bytes_with_curve(ebu_3341_1):
    data = ebu_3341_1.read_bytes()
    a = lf.analyze(
        lf.AudioInput.BYTES(data=data, name="upload.wav"),
        options=lf.AnalyzeOptions(curve=True),
    )
    assert a.integrated_lufs == pytest.approx(-23.0, abs=TOL_LU)
    assert a.curve and len(a.curve) >= 190
    last = a.curve[-1]
    assert last.short_term_lufs == pytest.approx(-23.0, abs=TOL_LU)
    # Bytes without a name are labelled <bytes>.
    a2 = lf.analyze(lf.AudioInput.BYTES(data=data))
    assert a2.integrated_lufs == a.integrated_lufs


def test_silence_has_no_loudness(silence):
    a = lf.analyze(path(silence))
    assert a.integrated_lufs is None
    assert a.true_peak_dbtp is None
    assert a.duration_s == pytest.approx(3.0)


def test_record_defaults_mirror_the_core():
    # The option records restate no default: every field is None, which keeps the core's.
    # (Until the options were set by name, these records carried copies of the core's
    # defaults and this test compared them.)
    assert lf.Limits() == lf.Limits(max_bytes=None, max_channels=None, allowed_formats=None)
    assert lf.DecodeOptions() == lf.DecodeOptions(strict=None, allow_truncated=None, threads=None)
    o = lf.NormalizeOptions()
    assert (o.target_lufs, o.true_peak_dbtp, o.preset, o.mode) == (None, None, None, None)
    assert o.limits is None and o.decode is None
    # default_limits() shows what the core's defaults are.
    d = lf.default_limits()
    assert (d.max_bytes, d.max_duration_s, d.min_sample_rate, d.max_sample_rate) == (4 << 30, 86400.0, 8000, 192000)
    assert sorted(d.allowed_formats) == ["adts", "flac", "mp3", "mp4", "ogg", "wav"]
    assert lf.version()


# --------------------------------------------------------------------------------------
# normalize


@pytest.mark.parametrize("ext", ["wav", "mp3"])
def test_normalize_then_measure_the_output(ebu_3341_1, tmp_path, ext):
    out = tmp_path / f"normalized.{ext}"
    target, ceiling = -16.0, -1.0
    r = lf.normalize(
        path(ebu_3341_1),
        str(out),
        lf.NormalizeOptions(target_lufs=target, true_peak_dbtp=ceiling),
    )
    assert isinstance(r, lf.Report)
    assert r.input.integrated_lufs == pytest.approx(-23.0, abs=TOL_LU)
    assert (r.target_lufs, r.true_peak_dbtp) == (target, ceiling)
    assert r.gain_db == pytest.approx(7.0, abs=TOL_LU)
    assert not r.limiter_active
    assert len(r.outputs) == 1
    o = r.outputs[0]
    assert Path(o.path) == out and o.format == ext and o.verified
    assert o.integrated_lufs == pytest.approx(target, abs=TOL_LU)
    assert o.true_peak_dbtp <= ceiling
    assert r.elapsed_s > 0 and r.timings.input_decodes >= 2

    # Measure the written file independently of the report.
    a = lf.analyze(path(out))
    assert a.integrated_lufs == pytest.approx(target, abs=TOL_LU)
    assert a.true_peak_dbtp <= ceiling
    assert a.format == ext
    assert a.duration_s == pytest.approx(20.0, abs=0.05)


def test_dynamic_mode_reaches_a_loudness_range(tmp_path):
    # EBU Tech 3342 case 1: 20 s at -20 dBFS then 20 s at -30 dBFS, a range of 10 LU.
    src = write_wav(tmp_path / "steps.wav", sine_stereo(20.0, -20.0) + sine_stereo(20.0, -30.0))
    out = tmp_path / "dyn.wav"
    r = lf.normalize(
        path(src),
        str(out),
        lf.NormalizeOptions(mode="dynamic", lra_lu=5.0, target_lufs=-18.0, gain_curve=True),
    )
    assert r.mode == "dynamic" and r.dynamic is not None
    d = r.dynamic
    assert d.curve_applied and d.lra_target_lu == 5.0
    assert d.gain_min_db < d.gain_max_db and d.max_gain_step_db <= 1.0
    assert d.gain_curve_db is not None and len(d.gain_curve_db) == 400
    a = lf.analyze(path(out))
    assert a.integrated_lufs == pytest.approx(-18.0, abs=TOL_LU)
    assert a.lra_lu <= 5.5
    plain = lf.normalize(path(src), str(tmp_path / "plain.wav"))
    assert plain.mode == "linear" and plain.dynamic is None


def test_normalize_with_preset_and_limiter(tmp_path):
    # A loud sine (-3 dBFS peak, about -3 LUFS) to EBU R128 (-23 LUFS, -1 dBTP): gain only.
    src = write_wav(tmp_path / "loud.wav", sine_stereo(5.0, -3.0))
    out = tmp_path / "r128.flac"
    r = lf.normalize(path(src), str(out), lf.NormalizeOptions(preset="ebu-r128"))
    assert r.target_lufs == -23.0 and r.true_peak_dbtp == -1.0
    a = lf.analyze(path(out))
    assert a.integrated_lufs == pytest.approx(-23.0, abs=TOL_LU)
    assert a.format == "flac"


# --------------------------------------------------------------------------------------
# progress and cancellation


def test_analyze_progress_is_monotonic_and_ends_at_one(ebu_3341_1):
    rec = Recorder()
    lf.analyze(path(ebu_3341_1), progress=rec)
    assert_monotonic_to_one(rec.calls)
    assert {s for s, _ in rec.calls} <= {"analyze", "done"}


def test_normalize_progress_goes_through_every_stage(ebu_3341_1, tmp_path):
    rec = Recorder()
    lf.normalize(path(ebu_3341_1), str(tmp_path / "p.wav"), progress=rec)
    assert_monotonic_to_one(rec.calls)
    stages = [s for s, _ in rec.calls]
    for s in ("analyze", "render", "verify", "done"):
        assert s in stages, stages
    # Stages come in order.
    order = {"analyze": 0, "render": 1, "verify": 2, "done": 3}
    ranks = [order[s] for s in stages if s in order]
    assert ranks == sorted(ranks), stages


def test_progress_returning_false_cancels_analyze(ebu_3341_1):
    rec = Recorder(stop_after=2)
    with pytest.raises(lf.LoudcoreError.Cancelled) as e:
        lf.analyze(path(ebu_3341_1), progress=rec)
    assert ebu_3341_1.name in str(e.value)
    assert rec.calls[-1][1] < 1.0


def test_progress_returning_false_cancels_normalize_and_leaves_nothing(ebu_3341_1, tmp_path):
    out = tmp_path / "never.mp3"
    job = lf.Job()
    rec = Recorder(stop_after=3)
    with pytest.raises(lf.LoudcoreError.Cancelled):
        lf.normalize(path(ebu_3341_1), str(out), job=job, progress=rec)
    assert job.is_cancelled()  # the listener's False went through the job's token
    assert list(tmp_path.iterdir()) == []


def test_cancelled_job_stops_before_work(ebu_3341_1):
    job = lf.Job()
    assert not job.is_cancelled()
    job.cancel()
    assert job.is_cancelled()
    with pytest.raises(lf.LoudcoreError.Cancelled):
        lf.analyze(path(ebu_3341_1), job=job)


def test_job_cancel_from_another_thread(ebu_3341_1, tmp_path):
    """normalize runs on a worker thread (ctypes releases the GIL); the main thread cancels
    it through the Job once the job reports progress. The listener never returns False, so
    only Job.cancel() can stop it; it waits for the cancel so the job cannot finish first."""
    job = lf.Job()
    started = threading.Event()
    out = tmp_path / "cancelled.wav"

    class WaitForCancel(lf.ProgressListener):
        def __init__(self):
            self.calls = []

        def on_progress(self, stage, fraction):
            self.calls.append((stage, fraction))
            if fraction > 0:
                started.set()
                for _ in range(500):
                    if job.is_cancelled():
                        break
                    threading.Event().wait(0.01)
            return True

    listener = WaitForCancel()
    result = {}

    def work():
        try:
            result["report"] = lf.normalize(path(ebu_3341_1), str(out), job=job, progress=listener)
        except lf.LoudcoreError as e:  # noqa: PERF203
            result["error"] = e

    t = threading.Thread(target=work)
    t.start()
    assert started.wait(60), "the job never reported progress"
    job.cancel()
    t.join(60)
    assert not t.is_alive()
    assert isinstance(result.get("error"), lf.LoudcoreError.Cancelled), result
    assert "cancelled" in str(result["error"])
    assert listener.calls[-1][1] < 1.0
    assert not out.exists()


def test_a_raising_listener_is_an_internal_error_not_a_crash(short_sine):
    class Broken(lf.ProgressListener):
        def on_progress(self, stage, fraction):
            raise RuntimeError("listener bug")

    with pytest.raises(lf.LoudcoreError.Internal) as e:
        lf.analyze(path(short_sine), progress=Broken())
    assert "listener bug" in str(e.value) and short_sine.name in str(e.value)


# --------------------------------------------------------------------------------------
# every error variant, with its message


def raises(variant, call, *expect_in_message):
    with pytest.raises(variant) as e:
        call()
    err = e.value
    assert isinstance(err, lf.LoudcoreError)
    msg = str(err)
    assert msg, "the exception must carry the core's message"
    for part in expect_in_message:
        assert part in msg, msg
    return msg


def test_not_found(tmp_path):
    missing = tmp_path / "missing.mp3"
    raises(lf.LoudcoreError.NotFound, lambda: lf.analyze(path(missing)), "missing.mp3", "no such file")


def test_io_error_on_a_directory(tmp_path):
    d = tmp_path / "a_directory.wav"
    d.mkdir()
    raises(lf.LoudcoreError.Io, lambda: lf.analyze(path(d)), "a_directory.wav", "directory")


def test_unsupported_format(tmp_path):
    f = tmp_path / "notes.mp3"
    f.write_text("these are not the samples you are looking for\n" * 50)
    raises(lf.LoudcoreError.UnsupportedFormat, lambda: lf.analyze(path(f)), "notes.mp3", "unsupported")


def test_corrupt_input_empty_file(tmp_path):
    f = tmp_path / "empty.wav"
    f.write_bytes(b"")
    raises(lf.LoudcoreError.CorruptInput, lambda: lf.analyze(path(f)), "empty.wav", "empty")
    raises(
        lf.LoudcoreError.CorruptInput,
        lambda: lf.analyze(lf.AudioInput.BYTES(data=b"", name="upload.m4a")),
        "upload.m4a",
    )


def test_corrupt_input_truncated_wav(short_sine, tmp_path):
    whole = short_sine.read_bytes()
    f = tmp_path / "truncated.wav"
    f.write_bytes(whole[: len(whole) * 6 // 10 // 4 * 4])
    raises(lf.LoudcoreError.CorruptInput, lambda: lf.analyze(path(f)), "truncated.wav", "truncated")
    # The option that tolerates it goes through to the core.
    a = lf.analyze(path(f), lf.AnalyzeOptions(decode=lf.DecodeOptions(allow_truncated=True)))
    assert a.warnings and a.duration_s == pytest.approx(1.2, abs=0.05)


def test_input_limit(short_sine, tmp_path):
    limits = lf.Limits(max_duration_s=0.5)
    raises(
        lf.LoudcoreError.InputLimit,
        lambda: lf.analyze(path(short_sine), lf.AnalyzeOptions(limits=limits)),
        short_sine.name,
        "too long",
    )
    raises(
        lf.LoudcoreError.InputLimit,
        lambda: lf.normalize(path(short_sine), str(tmp_path / "x.wav"), lf.NormalizeOptions(limits=limits)),
        short_sine.name,
    )
    raises(
        lf.LoudcoreError.InputLimit,
        lambda: lf.analyze(path(short_sine), lf.AnalyzeOptions(limits=lf.Limits(allowed_formats=["mp3"]))),
        "not allowed",
    )
    raises(
        lf.LoudcoreError.InputLimit,
        lambda: lf.analyze(path(short_sine), lf.AnalyzeOptions(limits=lf.Limits(max_bytes=1000))),
        "too large",
    )


def test_silent_input(silence, tmp_path):
    out = tmp_path / "loud_silence.wav"
    raises(
        lf.LoudcoreError.SilentInput,
        lambda: lf.normalize(path(silence), str(out)),
        silence.name,
        "silent",
    )
    assert not out.exists()


@pytest.mark.parametrize(
    "options, output, expect",
    [
        (lf.NormalizeOptions(lra_lu=7.0), "o.wav", "dynamic mode"),
        (lf.NormalizeOptions(mode="loudest"), "o.wav", "unknown mode"),
        (lf.NormalizeOptions(preset="radio-gaga"), "o.wav", "unknown preset"),
        (lf.NormalizeOptions(target_lufs=5.0), "o.wav", "target_lufs"),
        (lf.NormalizeOptions(limits=lf.Limits(allowed_formats=["midi"])), "o.wav", "allowed_formats"),
        (lf.NormalizeOptions(), "o.ogg", "extension"),
    ],
)
def test_invalid_options(short_sine, tmp_path, options, output, expect):
    raises(
        lf.LoudcoreError.InvalidOptions,
        lambda: lf.normalize(path(short_sine), str(tmp_path / output), options),
        expect,
    )


def test_error_variants_are_one_per_class():
    variants = {
        name
        for name in dir(lf.LoudcoreError)
        if isinstance(getattr(lf.LoudcoreError, name), type)
        and issubclass(getattr(lf.LoudcoreError, name), lf.LoudcoreError)
    }
    assert variants == {
        "NotFound",
        "Io",
        "UnsupportedFormat",
        "CorruptInput",
        "InputLimit",
        "SilentInput",
        "InvalidOptions",
        "Cancelled",
        "Internal",
    }


# --------------------------------------------------------------------------------------
# hls


def media_uris(playlist: Path):
    """The URIs a playlist names: its non-tag lines and any EXT-X-MAP init segment."""
    text = playlist.read_text()
    assert text.startswith("#EXTM3U"), playlist
    out = []
    for line in text.splitlines():
        m = re.match(r'#EXT-X-MAP:.*URI="([^"]+)"', line)
        if m:
            out.append(m.group(1))
        elif line and not line.startswith("#"):
            out.append(line)
    return out


def check_ladder(master: Path):
    """Every media playlist the master names exists, and every segment each of them names."""
    media = [master.parent / u for u in media_uris(master)]
    for m in media:
        assert m.is_file(), m
        segments = media_uris(m)
        assert segments, m
        for seg in segments:
            assert (m.parent / seg).is_file(), (m, seg)
    return media


@pytest.fixture(scope="module")
def sine_25s(tmp_path_factory) -> Path:
    """Stereo 1 kHz at -30 dBFS, 25 s: three 10 s segments per variant."""
    return write_wav(tmp_path_factory.mktemp("hls") / "sine25.wav", sine_stereo(25.0, -30.0))


def test_hls_options_defaults_mirror_the_core():
    # No default restated: every field is None and the core's default applies (the default
    # ladder, 10 s segments, ts, aac, nested: see test_hls_default_ladder).
    o = lf.HlsOptions()
    assert (o.variants, o.segment_seconds, o.container, o.codec, o.layout) == (None,) * 5
    assert (o.target_lufs, o.true_peak_dbtp, o.preset, o.mode, o.max_attempts) == (None,) * 5
    assert o.limits is None and o.decode is None


def test_hls_default_ladder(sine_25s, tmp_path):
    out = tmp_path / "ladder"
    rec = Recorder()
    r = lf.hls(path(sine_25s), str(out), lf.HlsOptions(), progress=rec)
    assert_monotonic_to_one(rec.calls)
    assert (r.target_lufs, r.true_peak_dbtp) == (-14.0, -1.0)
    assert r.master_playlist == str(out / "master.m3u8")
    master = Path(r.master_playlist)
    assert master.is_file()
    media = check_ladder(master)
    assert len(media) == 3 and len(r.outputs) == 3
    rungs = []
    for o in r.outputs:
        v = o.variant
        assert isinstance(v, lf.VariantReport)
        assert o.format == "hls" and o.verified
        assert Path(o.path) == out / v.name / "playlist.m3u8" and Path(o.path) in media
        assert o.integrated_lufs == pytest.approx(-14.0, abs=TOL_LU)
        assert o.true_peak_dbtp <= -1.0
        assert o.duration_s == pytest.approx(25.0, abs=0.05)
        assert (v.container, v.codec, v.codecs) == ("ts", "aac", "mp4a.40.2")
        assert v.bandwidth >= v.average_bandwidth > 0
        assert v.segments == len(media_uris(Path(o.path))) == 3
        rungs.append((v.nominal_bit_rate, o.sample_rate))
    assert sorted(rungs) == [(48000, 24000), (64000, 32000), (128000, 44100)]
    assert len({o.variant.name for o in r.outputs}) == 3


def test_hls_flat_packed_named_rungs_from_bytes(tmp_path):
    data = (write_wav(tmp_path / "src.wav", sine_stereo(12.0, -24.0))).read_bytes()
    out = tmp_path / "flat"
    r = lf.hls(
        lf.AudioInput.BYTES(data=data, name="upload.wav"),
        str(out),
        lf.HlsOptions(
            variants=["high=128k@44100", "low=64k@32000"],
            container="packed",
            layout="flat",
            segment_seconds=6.0,
            target_lufs=-16.0,
        ),
    )
    for f in ("master.m3u8", "high.m3u8", "high_000.aac", "low.m3u8", "low_000.aac"):
        assert (out / f).is_file(), f
    assert r.master_playlist == str(out / "master.m3u8")
    check_ladder(out / "master.m3u8")
    assert sorted(o.variant.name for o in r.outputs) == ["high", "low"]
    for o in r.outputs:
        v = o.variant
        assert Path(o.path) == out / f"{v.name}.m3u8"
        assert (v.container, v.codec, v.codecs) == ("packed", "aac", "mp4a.40.2")
        assert (v.nominal_bit_rate, o.sample_rate) == (
            (128000, 44100) if v.name == "high" else (64000, 32000)
        )
        assert o.verified and o.integrated_lufs == pytest.approx(-16.0, abs=TOL_LU)


def test_normalize_report_has_no_master_or_variant(short_sine, tmp_path):
    r = lf.normalize(path(short_sine), str(tmp_path / "o.wav"))
    assert r.master_playlist is None and r.outputs[0].variant is None


@pytest.mark.parametrize(
    "options, expect",
    [
        (lf.HlsOptions(variants=["128k"]), "variant"),
        (lf.HlsOptions(variants=["fast=lots@44100"]), "variant"),
        (lf.HlsOptions(container="mkv"), "container"),
        (lf.HlsOptions(codec="opus"), "codec"),
        (lf.HlsOptions(layout="deep"), "layout"),
        (lf.HlsOptions(segment_seconds=0.1), "segment"),
        (lf.HlsOptions(lra_lu=7.0), "dynamic mode"),
    ],
)
def test_hls_invalid_options(short_sine, tmp_path, options, expect):
    raises(
        lf.LoudcoreError.InvalidOptions,
        lambda: lf.hls(path(short_sine), str(tmp_path / "ladder"), options),
        expect,
    )
    assert list(tmp_path.iterdir()) == []


def test_hls_cancelled_job_leaves_no_directory(short_sine, tmp_path):
    job = lf.Job()
    job.cancel()
    with pytest.raises(lf.LoudcoreError.Cancelled) as e:
        lf.hls(path(short_sine), str(tmp_path / "ladder"), lf.HlsOptions(), job=job)
    assert short_sine.name in str(e.value)
    assert list(tmp_path.iterdir()) == []


def test_hls_cancel_while_rendering_leaves_nothing(sine_25s, tmp_path):
    class StopAtRender(lf.ProgressListener):
        def __init__(self):
            self.stages = []

        def on_progress(self, stage, fraction):
            self.stages.append(stage)
            return stage != "render"

    job = lf.Job()
    listener = StopAtRender()
    with pytest.raises(lf.LoudcoreError.Cancelled):
        lf.hls(path(sine_25s), str(tmp_path / "ladder"), lf.HlsOptions(), job=job, progress=listener)
    assert "render" in listener.stages and job.is_cancelled()
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------
# the Kotlin and Swift bindings


def test_kotlin_and_swift_were_generated_with_the_functions(generated):
    kt = list(generated.rglob("loudcore_ffi.kt"))
    swift = list(generated.rglob("loudcore_ffi.swift"))
    assert len(kt) == 1 and len(swift) == 1, sorted(str(p) for p in generated.rglob("*"))
    kt_src, swift_src = kt[0].read_text(), swift[0].read_text()
    for f in ("analyze", "normalize", "hls", "defaultLimits"):
        assert f"fun `{f}`(" in kt_src or f"fun {f}(" in kt_src, f
        assert f"func {f}(" in swift_src, f
    assert "interface ProgressListener" in kt_src
    assert "protocol ProgressListener" in swift_src
    assert "class Job" in kt_src and "class Job" in swift_src
    assert "sealed class LoudcoreException" in kt_src
    assert "enum LoudcoreError" in swift_src
    assert (generated / "loudcore_ffiFFI.h").is_file()
    assert (generated / "loudcore_ffiFFI.modulemap").is_file()
    for record in ("HlsOptions", "VariantReport"):
        assert f"data class {record}" in kt_src, record
        assert f"struct {record}" in swift_src, record

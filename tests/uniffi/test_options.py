"""Every option and stage of the core reaches the UniFFI binding: each job's option record
has a field for every option of that job (`core_options()` is the core's own list), each
field is handed to the core under its name, `normalize_to` takes per-output overrides,
and the ProgressListener docs list every stage of `stages()`."""

import re

import pytest

import loudcore_ffi as lf
from conftest import sine_stereo, write_wav

RECORDS = {
    "analyze": lf.AnalyzeOptions,
    "normalize": lf.NormalizeOptions,
    "hls": lf.HlsOptions,
}

# Fields that hold a record of options rather than an option.
PARTS = {"limits": lf.Limits, "decode": lf.DecodeOptions}


def fields(record_type):
    """The option names a record takes: its fields, and those of its nested records."""
    out = set()
    for name in vars(record_type()):
        out |= fields(PARTS[name]) if name in PARTS else {name}
    return out


def options_of(job):
    return {o.name for o in lf.core_options() if job in o.jobs}


def test_the_core_lists_its_options_and_stages():
    for job in RECORDS:
        assert len(options_of(job)) >= 10, job
    kinds = {o.kind for o in lf.core_options()}
    assert kinds <= {"bool", "int", "float", "text", "list"}
    assert all(o.doc for o in lf.core_options())
    assert lf.stages()[0] == "analyze" and lf.stages()[-1] == "done"


@pytest.mark.parametrize("job", sorted(RECORDS))
def test_every_option_of_the_job_has_a_field(job):
    assert fields(RECORDS[job]) == options_of(job)


def test_output_spec_has_every_per_output_option():
    per_output = {o.name for o in lf.core_options() if o.jobs == ["normalize"]}
    assert per_output >= {"bitrate", "quality", "bits_per_sample", "sample_rate"}
    assert set(vars(lf.OutputSpec(path="x.wav"))) == per_output | {"path"}


def test_every_stage_is_in_the_progress_listener_docs(generated):
    for src in [generated / "loudcore_ffi.py", *generated.rglob("loudcore_ffi.kt"), *generated.rglob("loudcore_ffi.swift")]:
        text = src.read_text()
        i = text.index("Implemented by the app to follow a job")
        doc = text[i : i + 1200]
        for stage in lf.stages():
            assert f'"{stage}"' in doc, (src.name, stage)


def test_sample_rate_limits_are_enforced(tmp_path):
    src = write_wav(tmp_path / "cd.wav", sine_stereo(1.0, -20.0, freq=441, rate=44100), rate=44100)
    assert lf.analyze(lf.AudioInput.PATH(path=str(src))).sample_rate == 44100
    for options in (
        lf.AnalyzeOptions(limits=lf.Limits(max_sample_rate=32000)),
        lf.AnalyzeOptions(limits=lf.Limits(min_sample_rate=48000)),
    ):
        with pytest.raises(lf.LoudcoreError.InputLimit) as e:
            lf.analyze(lf.AudioInput.PATH(path=str(src)), options)
        assert "cd.wav" in str(e.value)
    with pytest.raises(lf.LoudcoreError.InputLimit):
        lf.hls(lf.AudioInput.PATH(path=str(src)), str(tmp_path / "ladder"), lf.HlsOptions(limits=lf.Limits(max_sample_rate=32000)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cd.wav"]


def test_normalize_to_with_per_output_settings(tmp_path):
    src = write_wav(tmp_path / "in.wav", sine_stereo(4.0, -26.0))
    outs = [
        lf.OutputSpec(path=str(tmp_path / "a.wav")),
        lf.OutputSpec(path=str(tmp_path / "a.mp3"), bitrate=192000),
        lf.OutputSpec(path=str(tmp_path / "a44.flac"), sample_rate=44100, bits_per_sample=24),
    ]
    r = lf.normalize_to(lf.AudioInput.PATH(path=str(src)), outs, lf.NormalizeOptions(target_lufs=-16.0))
    assert [o.format for o in r.outputs] == ["wav", "mp3", "flac"]
    for o in r.outputs:
        assert o.verified and o.integrated_lufs == pytest.approx(-16.0, abs=0.1)
    assert r.outputs[2].sample_rate == 44100
    with pytest.raises(lf.LoudcoreError.InvalidOptions, match="quality"):
        lf.normalize_to(lf.AudioInput.PATH(path=str(src)), [lf.OutputSpec(path=str(tmp_path / "q.mp3"), quality=200)])
    assert not (tmp_path / "q.mp3").exists()


def test_values_the_core_refuses_name_the_option(short_sine, tmp_path):
    with pytest.raises(lf.LoudcoreError.InvalidOptions, match="allowed_formats"):
        lf.analyze(lf.AudioInput.PATH(path=str(short_sine)), lf.AnalyzeOptions(limits=lf.Limits(allowed_formats=["midi"])))
    with pytest.raises(lf.LoudcoreError.InvalidOptions, match="segment"):
        lf.hls(lf.AudioInput.PATH(path=str(short_sine)), str(tmp_path / "l"), lf.HlsOptions(segment_seconds=0.5))


def test_kotlin_and_swift_have_normalize_to(generated):
    kt = next(generated.rglob("loudcore_ffi.kt")).read_text()
    swift = next(generated.rglob("loudcore_ffi.swift")).read_text()
    assert re.search(r"fun `?normalizeTo`?\(", kt)
    assert "func normalizeTo(" in swift
    assert "data class OutputSpec" in kt and "struct OutputSpec" in swift

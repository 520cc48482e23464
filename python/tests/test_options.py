"""Every option and stage of the core reaches Python: each job function accepts every
option of its job (checked against the core's own list, `_options()`), the stub types
each of them, and the stub's stage type lists every stage of `_stages()`."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import loudcore
from loudcore import _loudcore

from conftest import sine_block, write_wav

STUB = Path(loudcore.__file__).parent / "_loudcore.pyi"
MISSING = "/nonexistent/never-read.wav"

# Each function of the module and the job whose options it takes.
FUNCTIONS: dict[str, tuple[str, Callable[..., Any]]] = {
    "analyze": ("analyze", lambda **kw: loudcore.analyze(MISSING, **kw)),
    "normalize": ("normalize", lambda **kw: loudcore.normalize(MISSING, "/nonexistent/o.wav", **kw)),
    "normalize_to": ("normalize", lambda **kw: loudcore.normalize_to(MISSING, ["/nonexistent/o.wav"], **kw)),
    "hls": ("hls", lambda **kw: loudcore.hls(MISSING, "/nonexistent/ladder", **kw)),
}


def options_of(job: str) -> list[tuple[str, str]]:
    return [(name, kind) for name, jobs, kind in _loudcore._options() if job in jobs]


def wrong_value(kind: str) -> object:
    """A value of the wrong type for an option of `kind`."""
    return "not a bool" if kind == "bool" else True


def test_the_core_lists_options_for_every_job() -> None:
    for job in ("analyze", "normalize", "hls"):
        assert len(options_of(job)) >= 10, job
    assert _loudcore._stages()[0] == "analyze" and _loudcore._stages()[-1] == "done"


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_every_option_of_the_job_is_accepted(function: str) -> None:
    # Options are set before the input is opened: a wrong value fails with the core's
    # message naming the option, never as an unknown keyword.
    job, call = FUNCTIONS[function]
    for name, kind in options_of(job):
        with pytest.raises(loudcore.InvalidOptionsError) as info:
            call(**{name: wrong_value(kind)})
        message = str(info.value)
        assert name in message, (function, name, message)
        assert "unknown option" not in message and "does not apply" not in message, message


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_options_of_other_jobs_are_type_errors(function: str) -> None:
    job, call = FUNCTIONS[function]
    mine = {name for name, _ in options_of(job)}
    others = {name for name, _, _ in _loudcore._options()} - mine
    for name in others:
        with pytest.raises(TypeError, match=f"unexpected keyword argument '{name}'"):
            call(**{name: 1})
    with pytest.raises(TypeError, match="targt_lufs"):
        call(targt_lufs=-14.0)


def test_none_keeps_the_default(tmp_path: Path) -> None:
    src = write_wav(tmp_path / "in.wav", [sine_block(1.0, -20.0)] * 2)
    a = loudcore.analyze(src, threads=None, max_channels=None, curve=None, allowed_formats=None)
    assert a.curve is None and a.channels == 2


def stub_functions() -> dict[str, ast.FunctionDef]:
    tree = ast.parse(STUB.read_text())
    out: dict[str, ast.FunctionDef] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            out.setdefault(node.name, node)
    return out


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_stub_types_every_option(function: str) -> None:
    job, _ = FUNCTIONS[function]
    f = stub_functions()[function]
    params = {a.arg: a for a in f.args.kwonlyargs}
    for name, kind in options_of(job):
        assert name in params, f"{function}: {name} is missing from the stub"
        annotation = params[name].annotation
        assert annotation is not None, (function, name)
        text = ast.unparse(annotation)
        assert text.endswith("| None"), (function, name, text)
        expected = {"bool": "bool", "int": "int", "float": "float", "text": "str", "list": "Sequence[str]"}[kind]
        assert expected in text, (function, name, text)


def test_stub_output_spec_takes_every_per_output_option() -> None:
    # The per-output options are those the core takes for normalize only.
    per_output = {name for name, jobs, _ in _loudcore._options() if jobs == ["normalize"]}
    assert per_output >= {"bitrate", "quality", "bits_per_sample", "sample_rate"}
    spec = next(
        n
        for n in ast.walk(ast.parse(STUB.read_text()))
        if isinstance(n, ast.ClassDef) and n.name == "OutputSpec"
    )
    new = next(n for n in spec.body if isinstance(n, ast.FunctionDef) and n.name == "__new__")
    assert per_output <= {a.arg for a in new.args.kwonlyargs}
    for name in per_output:
        with pytest.raises(loudcore.InvalidOptionsError, match=name):
            loudcore.OutputSpec("o.mp3", **{name: True})


def test_stub_stage_type_lists_every_stage() -> None:
    tree = ast.parse(STUB.read_text())
    stage = next(
        n for n in tree.body if isinstance(n, ast.Assign) and any(getattr(t, "id", None) == "_Stage" for t in n.targets)
    )
    assert isinstance(stage.value, ast.Subscript)
    listed = [e.value for e in ast.walk(stage.value.slice) if isinstance(e, ast.Constant)]
    assert listed == _loudcore._stages()
    assert "calibrate" in listed


def test_output_spec_sets_by_name() -> None:
    spec = loudcore.OutputSpec("x.mp3", bitrate="192k", quality=None)
    assert spec.bitrate == 192_000 and spec.quality is None
    with pytest.raises(TypeError, match="unexpected keyword argument 'bitrat'"):
        loudcore.OutputSpec("x.mp3", bitrat=128_000)  # type: ignore[call-arg]
    with pytest.raises(loudcore.InvalidOptionsError, match="target_lufs"):
        loudcore.OutputSpec("x.mp3", target_lufs=-14.0)  # type: ignore[call-arg]


def test_sample_rate_limits_are_enforced(tmp_path: Path) -> None:
    src = write_wav(tmp_path / "cd.wav", [sine_block(1.0, -20.0, freq=441.0, rate=44_100)] * 2, rate=44_100)
    assert loudcore.analyze(src).sample_rate == 44_100
    with pytest.raises(loudcore.InputLimitError) as info:
        loudcore.analyze(src, max_sample_rate=32_000)
    assert "cd.wav" in str(info.value)
    with pytest.raises(loudcore.InputLimitError):
        loudcore.normalize(src, tmp_path / "o.wav", min_sample_rate=48_000)
    with pytest.raises(loudcore.InputLimitError):
        loudcore.hls(src, tmp_path / "ladder", max_sample_rate=32_000)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cd.wav"]
    assert loudcore.analyze(src, min_sample_rate=44_100, max_sample_rate=44_100).sample_rate == 44_100

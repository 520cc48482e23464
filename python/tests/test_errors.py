"""One test per exception class, on broken files; messages name the file and the problem."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

import loudcore

from conftest import listing

SUBCLASSES = [
    loudcore.NotFoundError,
    loudcore.IoError,
    loudcore.UnsupportedFormatError,
    loudcore.CorruptInputError,
    loudcore.InputLimitError,
    loudcore.SilentInputError,
    loudcore.InvalidOptionsError,
    loudcore.CancelledError,
    loudcore.InternalError,
]


def test_exception_tree() -> None:
    for cls in SUBCLASSES:
        assert issubclass(cls, loudcore.LoudcoreError), cls
        assert cls.__module__ == "loudcore"
    assert issubclass(loudcore.LoudcoreError, Exception)
    assert issubclass(loudcore.NotFoundError, FileNotFoundError)
    assert issubclass(loudcore.IoError, OSError)
    assert issubclass(loudcore.InvalidOptionsError, ValueError)
    assert loudcore.LoudcoreError.file is None


def test_missing_file_is_file_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "nope.mp3"
    with pytest.raises(FileNotFoundError) as info:
        loudcore.analyze(missing)
    e = info.value
    assert isinstance(e, loudcore.LoudcoreError) and isinstance(e, loudcore.NotFoundError)
    assert e.errno == errno.ENOENT
    assert e.filename == str(missing) and e.file == str(missing)
    assert "nope.mp3" in str(e) and "No such file" in str(e)
    with pytest.raises(loudcore.NotFoundError):
        loudcore.normalize(missing, tmp_path / "out.wav")


def test_unwritable_output_is_io_error(signals: Path, tmp_path: Path) -> None:
    with pytest.raises(loudcore.IoError) as info:
        loudcore.normalize(signals / "quiet.wav", tmp_path / "no-such-dir" / "out.wav")
    assert isinstance(info.value, OSError)
    assert "no-such-dir" in str(info.value) and "does not exist" in str(info.value)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(OSError):
        loudcore.normalize(signals / "quiet.wav", blocker / "out.wav")


@pytest.mark.parametrize(("name", "words"), [("notes.mp3", "plain text"), ("noise.bin", "no MP3")])
def test_unsupported_format(broken: Path, name: str, words: str) -> None:
    with pytest.raises(loudcore.UnsupportedFormatError) as info:
        loudcore.analyze(broken / name)
    assert name in str(info.value) and words in str(info.value)
    assert info.value.file == str(broken / name)


def test_unsupported_bytes_are_named(broken: Path) -> None:
    with pytest.raises(loudcore.UnsupportedFormatError, match=r"^upload\.mp3: unsupported format"):
        loudcore.analyze((broken / "notes.mp3").read_bytes(), name="upload.mp3")
    with pytest.raises(loudcore.UnsupportedFormatError, match=r"^<bytes>: "):
        loudcore.analyze((broken / "noise.bin").read_bytes())


@pytest.mark.parametrize(("name", "words"), [("empty.wav", "empty input"), ("truncated.wav", "truncated")])
def test_corrupt_input(broken: Path, name: str, words: str) -> None:
    with pytest.raises(loudcore.CorruptInputError) as info:
        loudcore.analyze(broken / name)
    assert name in str(info.value) and words in str(info.value)


def test_truncated_input_can_be_allowed(broken: Path) -> None:
    a = loudcore.analyze(broken / "truncated.wav", allow_truncated=True)
    assert a.duration_s == pytest.approx(2.0, abs=0.01)


@pytest.mark.parametrize(
    ("limits", "words"),
    [
        ({"max_duration_s": 1.0}, "too long"),
        ({"min_duration_s": 30.0}, "too short"),
        ({"max_bytes": 1000}, "too large"),
        ({"max_channels": 1}, "too many channels"),
        ({"allowed_formats": ["mp3", "flac"]}, "not allowed"),
    ],
)
def test_input_limits(signals: Path, limits: dict[str, object], words: str) -> None:
    with pytest.raises(loudcore.InputLimitError) as info:
        loudcore.analyze(signals / "quiet.wav", **limits)  # type: ignore[arg-type]
    assert "quiet.wav" in str(info.value) and words in str(info.value)


def test_silent_input_cannot_be_normalized(signals: Path, out_dir: Path) -> None:
    with pytest.raises(loudcore.SilentInputError) as info:
        loudcore.normalize(signals / "silence.wav", out_dir / "o.wav")
    assert "silence.wav" in str(info.value) and "silent" in str(info.value)
    assert listing(out_dir) == []


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"lra_lu": 7.0}, "dynamic mode"),
        ({"mode": "loudest"}, "unknown mode"),
        ({"preset": "loud"}, "unknown preset"),
        ({"target_lufs": 5.0}, "target_lufs"),
        ({"true_peak_dbtp": 3.0}, "true_peak_dbtp"),
        ({"allowed_formats": ["bogus"]}, "unknown format"),
    ],
)
def test_invalid_options_are_value_errors(
    signals: Path, out_dir: Path, options: dict[str, object], words: str
) -> None:
    with pytest.raises(ValueError) as info:
        loudcore.normalize(signals / "quiet.wav", out_dir / "o.wav", **options)  # type: ignore[arg-type]
    assert isinstance(info.value, loudcore.InvalidOptionsError)
    assert words in str(info.value)
    assert info.value.file is None
    assert listing(out_dir) == []


def test_unknown_output_extension(signals: Path, out_dir: Path) -> None:
    with pytest.raises(loudcore.InvalidOptionsError, match=r"o\.xyz.*\.mp3, \.m4a, \.wav, \.flac"):
        loudcore.normalize(signals / "quiet.wav", out_dir / "o.xyz")


def test_cancelled(signals: Path) -> None:
    token = loudcore.CancelToken()
    token.cancel()
    with pytest.raises(loudcore.CancelledError, match=r"quiet\.wav: cancelled"):
        loudcore.analyze(signals / "quiet.wav", cancel=token)


def test_panic_becomes_internal_error() -> None:
    from loudcore import _loudcore

    with pytest.raises(loudcore.InternalError, match="deliberate panic") as info:
        _loudcore._panic_in_job()  # type: ignore[attr-defined]
    assert isinstance(info.value, loudcore.LoudcoreError)


def test_errors_pickle(broken: Path, tmp_path: Path) -> None:
    # Task queues (Celery, multiprocessing) pickle the exception a worker raised.
    import pickle

    caught: list[loudcore.LoudcoreError] = []
    for path in (broken / "notes.mp3", tmp_path / "gone.wav"):
        try:
            loudcore.analyze(path)
        except loudcore.LoudcoreError as exc:
            caught.append(exc)
    assert [type(c) for c in caught] == [loudcore.UnsupportedFormatError, loudcore.NotFoundError]
    for err in caught:
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is type(err) and str(back) == str(err) and back.file == err.file

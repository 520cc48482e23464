"""Test signals synthesised with the standard library (EBU Tech 3341 / 3342 style) and broken files."""

from __future__ import annotations

import array
import math
import random
import struct
import wave
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

RATE = 48_000


def sine_block(seconds: float, dbfs: float, *, freq: float = 1000.0, rate: int = RATE) -> array.array[int]:
    """One channel of a sine whose peak is `dbfs`, as 16-bit samples.

    When the period is a whole number of samples (1 kHz at 48 kHz), one period is
    computed and repeated, so even minutes of signal are quick to make.
    """
    amp = 10 ** (dbfs / 20) * 32767
    n = int(round(seconds * rate))
    period = rate / freq
    if period == int(period):
        p = int(period)
        one = [int(round(amp * math.sin(2 * math.pi * i / p))) for i in range(p)]
        reps, rest = divmod(n, p)
        return array.array("h", one * reps + one[:rest])
    return array.array("h", (int(round(amp * math.sin(2 * math.pi * freq * i / rate))) for i in range(n)))


def write_wav(path: Path, channels: Sequence[array.array[int]], *, rate: int = RATE) -> Path:
    """Interleaves equal-length 16-bit channels into a WAV file."""
    n = len(channels[0])
    inter = array.array("h", bytes(2 * n * len(channels)))
    for c, ch in enumerate(channels):
        inter[c :: len(channels)] = ch
    if inter.itemsize != 2:  # pragma: no cover
        raise RuntimeError("16-bit array expected")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(len(channels))
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(inter.tobytes())
    return path


def stereo_sine(path: Path, seconds: float, dbfs: float, *, freq: float = 1000.0) -> Path:
    ch = sine_block(seconds, dbfs, freq=freq)
    return write_wav(path, [ch, ch])


MakeSine = Callable[..., Path]


@pytest.fixture(scope="session")
def signals(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session directory of reference signals, made once."""
    d = tmp_path_factory.mktemp("signals")
    # EBU Tech 3341 case 1 and 2: stereo 1 kHz at -23 / -33 dBFS, 20 s -> -23.0 / -33.0 LUFS.
    stereo_sine(d / "ebu3341_1.wav", 20.0, -23.0)
    stereo_sine(d / "ebu3341_2.wav", 20.0, -33.0)
    # EBU Tech 3342 case 1: 20 s at -20 dBFS then 20 s at -30 dBFS -> LRA 10 LU (+-1).
    a = sine_block(20.0, -20.0)
    b = sine_block(20.0, -30.0)
    both = a + b
    write_wav(d / "ebu3342_1.wav", [both, both])
    # Material for normalize: 8 s at -30 dBFS (about -30 LUFS), and a longer one.
    stereo_sine(d / "quiet.wav", 8.0, -30.0)
    stereo_sine(d / "long.wav", 240.0, -26.0)
    # Digital silence.
    silent = array.array("h", bytes(2 * RATE * 3))
    write_wav(d / "silence.wav", [silent, silent])
    return d


@pytest.fixture(scope="session")
def broken(tmp_path_factory: pytest.TempPathFactory, signals: Path) -> Path:
    """Broken inputs, one per failure."""
    d = tmp_path_factory.mktemp("broken")
    (d / "empty.wav").write_bytes(b"")
    (d / "notes.mp3").write_text("These are meeting notes, not audio.\n" * 50)
    rng = random.Random(1234)
    (d / "noise.bin").write_bytes(bytes(rng.randrange(256) for _ in range(64 * 1024)))
    # A WAV whose header announces 10 s but which holds 2 s.
    whole = (signals / "quiet.wav").read_bytes()
    data_at = whole.index(b"data")
    header = bytearray(whole[: data_at + 8])
    struct.pack_into("<I", header, data_at + 4, RATE * 2 * 2 * 10)
    struct.pack_into("<I", header, 4, len(header) - 8 + RATE * 2 * 2 * 10)
    (d / "truncated.wav").write_bytes(bytes(header) + whole[data_at + 8 : data_at + 8 + RATE * 2 * 2 * 2])
    return d


@pytest.fixture()
def out_dir(tmp_path: Path) -> Path:
    d = tmp_path / "out"
    d.mkdir()
    return d


def listing(d: Path) -> list[str]:
    """Every file under `d` (to check that nothing partial was left behind)."""
    return sorted(str(p.relative_to(d)) for p in d.rglob("*"))



"""Loads the Python module that uniffi-bindgen generated from the built library.

scripts/uniffi-generate.sh writes it, with libloudcore_ffi beside it, to target/uniffi
(LOUDCORE_UNIFFI_DIR overrides). Its name, loudcore_ffi, cannot shadow the PyO3 package
`loudcore`.
"""

import math
import os
import struct
import sys
import wave
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GENERATED = Path(os.environ.get("LOUDCORE_UNIFFI_DIR", ROOT / "target" / "uniffi"))

if not (GENERATED / "loudcore_ffi.py").is_file():
    raise pytest.UsageError(
        f"{GENERATED}/loudcore_ffi.py is missing: run scripts/uniffi-generate.sh first"
    )
sys.path.insert(0, str(GENERATED))


@pytest.fixture(scope="session")
def generated() -> Path:
    return GENERATED


def pcm16_frames(channels, seconds, rate, sample):
    """Interleaved 16-bit PCM: sample(channel, n) in -1..1 for every frame."""
    n = int(round(seconds * rate))
    out = bytearray()
    for i in range(n):
        for c in range(channels):
            out += struct.pack("<h", int(round(sample(c, i) * 32767)))
    return bytes(out)


def write_wav(path, frames, channels=2, rate=48000):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return path


def sine_stereo(seconds, peak_dbfs, freq=1000, rate=48000):
    """A stereo sine at `peak_dbfs` per channel. 1 kHz at 48 kHz repeats every 48 frames, so
    one period is computed and repeated (the EBU Tech 3341 signals are built the same way)."""
    period = rate // math.gcd(rate, freq)
    amp = 10 ** (peak_dbfs / 20)
    one = pcm16_frames(2, period / rate, rate, lambda c, i: amp * math.sin(2 * math.pi * freq * i / rate))
    reps, rest = divmod(int(round(seconds * rate)), period)
    return one * reps + one[: rest * 4]


@pytest.fixture(scope="session")
def ebu_3341_1(tmp_path_factory) -> Path:
    """EBU Tech 3341 test signal 1: stereo 1 kHz at -23 dBFS per channel, 20 s -> -23.0 LUFS."""
    d = tmp_path_factory.mktemp("signals")
    return write_wav(d / "ebu3341_1.wav", sine_stereo(20.0, -23.0))


@pytest.fixture(scope="session")
def short_sine(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("short")
    return write_wav(d / "short_sine.wav", sine_stereo(2.0, -20.0))


@pytest.fixture(scope="session")
def silence(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("silence")
    return write_wav(d / "silence.wav", bytes(48000 * 3 * 4))

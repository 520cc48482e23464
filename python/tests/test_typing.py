"""The shipped type stub matches the native module, and typed code using it passes mypy --strict."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import loudcore

HERE = Path(__file__).parent


def mypy(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.setdefault("MYPY_CACHE_DIR", str(HERE.parent.parent / "target" / "mypy-cache"))
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, env=env, cwd=HERE)


def test_package_ships_stub_and_marker() -> None:
    pkg = Path(loudcore.__file__).parent
    assert (pkg / "py.typed").is_file()
    assert (pkg / "_loudcore.pyi").is_file()


def test_stubtest_stub_matches_module() -> None:
    r = mypy("mypy.stubtest", "loudcore._loudcore")
    assert r.returncode == 0, r.stdout + r.stderr


def test_usage_passes_mypy_strict() -> None:
    # typing_usage.py and the tests themselves.
    r = mypy("mypy", "--strict", ".")
    assert r.returncode == 0, r.stdout + r.stderr


def test_package_passes_mypy_strict() -> None:
    r = mypy("mypy", "--strict", "-p", "loudcore")
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_catches_misuse(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import loudcore\n"
        "a = loudcore.analyze(42)\n"
        "x: str = a.integrated_lufs\n"
        "loudcore.normalize('in.wav', 'out.mp3', target_lufs='loud')\n"
        "loudcore.normalize('in.wav', 'out.mp3', targt_lufs=-14.0)\n"
        "loudcore.hls('in.wav', 'ladder', variants=[48000])\n"
        "b: str = loudcore.hls('in.wav', 'ladder').master_playlist\n"
        "loudcore.hls('in.wav', 'ladder', segment_seconds='10', bitrate=128000)\n"
    )
    r = mypy("mypy", "--strict", str(bad))
    assert r.returncode != 0
    for line in (2, 3, 4, 5, 6, 7, 8):
        assert f"bad.py:{line}: error" in r.stdout, r.stdout

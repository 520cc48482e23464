"""The README's Python example runs as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import loudcore

README = Path(__file__).resolve().parents[2] / "README.md"


def python_section_code() -> str:
    text = README.read_text()
    section = text[text.index("## Python") :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "no python example in the README's Python section"
    return match.group(1)


def test_readme_service_worker(signals: Path, out_dir: Path, broken: Path) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(python_section_code(), str(README), "exec"), namespace)
    worker = namespace["normalize_upload"]
    seen: list[tuple[str, str, float]] = []

    def set_progress(job: str, stage: str, fraction: float) -> None:
        seen.append((job, stage, fraction))

    result = worker("j1", (signals / "quiet.wav").read_bytes(), str(out_dir / "o.mp3"), set_progress, loudcore.CancelToken())
    assert result["status"] == "done"
    assert result["lufs"] == pytest.approx(-14.0, abs=0.1)
    assert seen[-1] == ("j1", "done", 1.0)

    rejected = worker("j2", (broken / "notes.mp3").read_bytes(), str(out_dir / "x.mp3"), set_progress, loudcore.CancelToken())
    assert rejected["status"] == "rejected" and "upload j2" in rejected["reason"]

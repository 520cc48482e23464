"""Progress callbacks, cancellation from another thread, exceptions in callbacks, Ctrl-C."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import loudcore

from conftest import listing

STAGES = {"analyze", "render", "verify", "done"}


def test_normalize_progress_is_monotonic_and_reaches_one(signals: Path, out_dir: Path) -> None:
    calls: list[tuple[str, float]] = []
    threads: set[int] = set()

    def on_progress(stage: str, fraction: float) -> None:
        calls.append((stage, fraction))
        threads.add(threading.get_ident())

    loudcore.normalize(signals / "quiet.wav", out_dir / "o.wav", on_progress=on_progress)
    assert len(calls) >= 10
    fractions = [f for _, f in calls]
    assert all(0.0 <= f <= 1.0 for f in fractions)
    assert fractions == sorted(fractions), "progress went backwards"
    assert calls[-1] == ("done", 1.0)
    assert {s for s, _ in calls} <= STAGES
    assert {"analyze", "render", "verify"} <= {s for s, _ in calls}
    # Stages come in order.
    order = [s for i, (s, _) in enumerate(calls) if i == 0 or calls[i - 1][0] != s]
    assert order == sorted(order, key=["analyze", "render", "verify", "done"].index)


def test_exception_in_callback_cancels_and_propagates(signals: Path, out_dir: Path) -> None:
    class Stop(Exception):
        pass

    raised: list[Stop] = []
    seen: list[float] = []

    def on_progress(stage: str, fraction: float) -> None:
        seen.append(fraction)
        if fraction > 0.3:
            raised.append(Stop("enough"))
            raise raised[-1]

    token = loudcore.CancelToken()
    with pytest.raises(Stop) as info:
        loudcore.normalize(signals / "long.wav", out_dir / "o.wav", on_progress=on_progress, cancel=token)
    assert info.value is raised[0]
    assert len(raised) == 1, "the callback was called again after it raised"
    assert token.is_cancelled()
    assert listing(out_dir) == [], "a partial output was left behind"


def test_cancel_from_another_thread(signals: Path, out_dir: Path) -> None:
    token = loudcore.CancelToken()
    assert not token.is_cancelled() and repr(token) == "CancelToken(cancelled=False)"
    timer = threading.Timer(0.2, token.cancel)
    timer.start()
    started = time.perf_counter()
    with pytest.raises(loudcore.CancelledError) as info:
        loudcore.normalize(signals / "long.wav", out_dir / "o.mp3", cancel=token)
    timer.join()
    assert time.perf_counter() - started < 5.0
    assert "long.wav" in str(info.value) and "cancelled" in str(info.value)
    assert token.is_cancelled()
    assert listing(out_dir) == []


def test_cancelled_token_stops_analyze_at_once(signals: Path) -> None:
    token = loudcore.CancelToken()
    token.cancel()
    with pytest.raises(loudcore.CancelledError):
        loudcore.analyze(signals / "long.wav", cancel=token)


def test_one_token_cancels_every_job_using_it(signals: Path, out_dir: Path) -> None:
    token = loudcore.CancelToken()
    errors: list[BaseException] = []

    def job(i: int) -> None:
        try:
            loudcore.normalize(signals / "long.wav", out_dir / f"{i}.wav", cancel=token)
        except BaseException as e:  # noqa: BLE001 - collected for the assertion
            errors.append(e)

    workers = [threading.Thread(target=job, args=(i,)) for i in range(2)]
    for w in workers:
        w.start()
    time.sleep(0.2)
    token.cancel()
    for w in workers:
        w.join()
    assert [type(e) for e in errors] == [loudcore.CancelledError] * 2
    assert listing(out_dir) == []


@pytest.fixture()
def sigint_raises() -> Iterator[None]:
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("with_callback", [False, True])
@pytest.mark.usefixtures("sigint_raises")
def test_ctrl_c_cancels_a_running_call(signals: Path, out_dir: Path, with_callback: bool) -> None:
    # SIGINT arrives while the main thread is inside normalize with the GIL released.
    calls: list[float] = []
    on_progress = (lambda s, f: calls.append(f)) if with_callback else None
    token = loudcore.CancelToken()
    timer = threading.Timer(0.2, signal.raise_signal, args=(signal.SIGINT,))
    timer.start()
    started = time.perf_counter()
    try:
        with pytest.raises(KeyboardInterrupt):
            loudcore.normalize(signals / "long.wav", out_dir / "o.wav", on_progress=on_progress, cancel=token)
    finally:
        timer.join()
    assert time.perf_counter() - started < 5.0
    assert token.is_cancelled()
    assert listing(out_dir) == []

"""loudcore: decode, measure (EBU R128 / ITU-R BS.1770-4) and normalize audio without FFmpeg.

Every function releases the GIL while it works, so other Python threads keep running and
several jobs run in parallel on several threads. ``*_async`` variants run the same job on
a worker thread for asyncio code; cancelling the awaiting task cancels the job.

>>> import loudcore
>>> a = loudcore.analyze("upload.mp3")                              # doctest: +SKIP
>>> r = loudcore.normalize("upload.mp3", "out.mp3", preset="spotify")  # doctest: +SKIP
>>> h = loudcore.hls("upload.mp3", "ladder", container="packed")      # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from ._loudcore import (
    Analysis,
    CancelledError,
    CancelToken,
    CorruptInputError,
    CurvePoint,
    DynamicReport,
    InputLimitError,
    InternalError,
    InvalidOptionsError,
    IoError,
    LoudcoreError,
    NotFoundError,
    OutputReport,
    OutputSpec,
    Report,
    SilentInputError,
    Timings,
    UnsupportedFormatError,
    VariantReport,
    __version__,
    analyze,
    hls,
    normalize,
    normalize_to,
)

__all__ = [
    "Analysis",
    "CancelToken",
    "CancelledError",
    "CorruptInputError",
    "CurvePoint",
    "DynamicReport",
    "InputLimitError",
    "InternalError",
    "InvalidOptionsError",
    "IoError",
    "LoudcoreError",
    "NotFoundError",
    "OutputReport",
    "OutputSpec",
    "Report",
    "SilentInputError",
    "Timings",
    "UnsupportedFormatError",
    "VariantReport",
    "__version__",
    "analyze",
    "analyze_async",
    "hls",
    "hls_async",
    "normalize",
    "normalize_async",
    "normalize_to",
    "normalize_to_async",
]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _off_loop(job: Callable[_P, _R]) -> Callable[_P, Coroutine[Any, Any, _R]]:
    """The asyncio form of a job: it runs on the loop's default executor.

    If the awaiting task is cancelled, the job's token is cancelled and the task waits
    for the job to stop (so no partial output remains) before it re-raises.
    """

    @functools.wraps(job)
    async def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        token = kwargs.get("cancel")
        if token is None:
            token = kwargs["cancel"] = CancelToken()
        assert isinstance(token, CancelToken)
        call = functools.partial(contextvars.copy_context().run, job, *args, **kwargs)
        future = asyncio.get_running_loop().run_in_executor(None, call)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            token.cancel()
            await asyncio.wait([future])
            if not future.cancelled():
                future.exception()  # retrieved: the job's own CancelledError is expected
            raise

    run.__name__ = run.__qualname__ = f"{job.__name__}_async"
    run.__doc__ = f"Async form of :func:`{job.__name__}` (runs on a worker thread).\n\n{job.__doc__ or ''}"
    return run


analyze_async = _off_loop(analyze)
normalize_async = _off_loop(normalize)
normalize_to_async = _off_loop(normalize_to)
hls_async = _off_loop(hls)


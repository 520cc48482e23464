"""Type stubs of the native module `loudcore._loudcore` (checked against it by tests/test_typing.py)."""

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, final

_Input = str | os.PathLike[str] | bytes
_Output = str | os.PathLike[str]
# The stage a progress report belongs to (loudcore::Stage::ALL): "analyze" (pass 1,
# measuring the input), "calibrate" (finding the gain that lands on target once the
# limiter has worked), "render" (decode, gain, limiter, encode), "verify" (measuring the
# written outputs), "done".
_Stage = Literal["analyze", "calibrate", "render", "verify", "done"]
# Called as on_progress(stage, fraction): fraction covers the whole job, never decreases
# and ends at 1.0.
_Progress = Callable[[_Stage, float], object]

__all__ = [
    "analyze",
    "normalize",
    "normalize_to",
    "hls",
    "CancelToken",
    "Analysis",
    "CurvePoint",
    "Report",
    "OutputReport",
    "VariantReport",
    "Timings",
    "DynamicReport",
    "OutputSpec",
    "LoudcoreError",
    "UnsupportedFormatError",
    "CorruptInputError",
    "InputLimitError",
    "SilentInputError",
    "CancelledError",
    "InternalError",
    "NotFoundError",
    "IoError",
    "InvalidOptionsError",
    "__version__",
]

__version__: str

# ---- errors ---------------------------------------------------------------------------

class LoudcoreError(Exception):
    """Base of every error loudcore raises. `file` names the input (None when no file is involved)."""

    file: str | None

class UnsupportedFormatError(LoudcoreError):
    """The input is not audio in a format loudcore reads (judged by its content)."""

class CorruptInputError(LoudcoreError):
    """The input is recognised but damaged, truncated or empty."""

class InputLimitError(LoudcoreError):
    """The input is outside the limits (size, duration, channels, sample rate, format)."""

class SilentInputError(LoudcoreError):
    """The input has no loudness above the -70 LUFS gate, so there is nothing to normalize."""

class CancelledError(LoudcoreError):
    """The job was cancelled through its CancelToken."""

class InternalError(LoudcoreError):
    """A bug in loudcore (for example a caught panic). Please report it."""

class NotFoundError(LoudcoreError, FileNotFoundError):
    """The input file does not exist. Also a FileNotFoundError."""

class IoError(LoudcoreError, OSError):
    """Reading or writing a file failed for a reason other than a missing file. Also an OSError."""

class InvalidOptionsError(LoudcoreError, ValueError):
    """An option is out of range or inconsistent, or the target cannot be met. Also a ValueError."""

# ---- cancellation ---------------------------------------------------------------------

@final
class CancelToken:
    """Pass as `cancel=` and call `.cancel()` from any thread to stop the job(s) using it."""

    def __new__(cls) -> CancelToken: ...
    def cancel(self) -> None:
        """Asks every job using this token to stop; they raise CancelledError."""

    def is_cancelled(self) -> bool:
        """Whether cancel() was called."""

# ---- results --------------------------------------------------------------------------

@final
class CurvePoint:
    """Momentary and short-term loudness at one instant (every 100 ms, with curve=True)."""

    @property
    def t_s(self) -> float: ...
    @property
    def momentary_lufs(self) -> float | None: ...
    @property
    def short_term_lufs(self) -> float | None: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Analysis:
    """Loudness and stream facts of one input, measured on its decoded audio."""

    @property
    def integrated_lufs(self) -> float | None:
        """Integrated loudness, BS.1770-4 gated; None for silence."""

    @property
    def true_peak_dbtp(self) -> float | None:
        """Maximum true peak over all channels; None for digital silence."""

    @property
    def sample_peak_dbfs(self) -> float | None: ...
    @property
    def lra_lu(self) -> float:
        """Loudness range (EBU Tech 3342)."""

    @property
    def threshold_lufs(self) -> float | None: ...
    @property
    def max_momentary_lufs(self) -> float | None: ...
    @property
    def max_short_term_lufs(self) -> float | None: ...
    @property
    def duration_s(self) -> float: ...
    @property
    def sample_rate(self) -> int: ...
    @property
    def channels(self) -> int: ...
    @property
    def codec(self) -> str:
        """Codec short name: "mp3", "aac", "flac", "vorbis", "pcm_s16le", ..."""

    @property
    def format(self) -> str:
        """Container, recognised from the content: "mp3", "adts", "mp4", "flac", "wav", "ogg"."""

    @property
    def bit_rate(self) -> int | None:
        """Average bit rate in bits per second; None where unknown."""

    @property
    def skipped_frames(self) -> int: ...
    @property
    def warnings(self) -> list[str]: ...
    @property
    def curve(self) -> list[CurvePoint] | None: ...
    def to_dict(self) -> dict[str, Any]:
        """The analysis as plain values (the CLI's --json object)."""

@final
class OutputReport:
    """One written output, measured by decoding the file that was written."""

    @property
    def path(self) -> str: ...
    @property
    def format(self) -> str: ...
    @property
    def sample_rate(self) -> int: ...
    @property
    def channels(self) -> int: ...
    @property
    def bit_rate(self) -> int | None: ...
    @property
    def duration_s(self) -> float: ...
    @property
    def integrated_lufs(self) -> float | None: ...
    @property
    def true_peak_dbtp(self) -> float | None: ...
    @property
    def lra_lu(self) -> float: ...
    @property
    def verified(self) -> bool:
        """The decoded output met the loudness target (within 0.1 LU) and the ceiling."""

    @property
    def attempts(self) -> int: ...
    @property
    def gain_db(self) -> float: ...
    @property
    def variant(self) -> VariantReport | None:
        """For an HLS variant (format "hls", path its media playlist): its master entry."""

    def to_dict(self) -> dict[str, Any]: ...

@final
class VariantReport:
    """One variant of an HLS ladder, as its master playlist entry describes it."""

    @property
    def name(self) -> str: ...
    @property
    def container(self) -> str: ...
    @property
    def codec(self) -> str: ...
    @property
    def codecs(self) -> str:
        """The RFC 6381 string of the master playlist, e.g. "mp4a.40.2"."""

    @property
    def nominal_bit_rate(self) -> int: ...
    @property
    def bandwidth(self) -> int:
        """Peak segment bit rate (RFC 8216 section 4.1), as BANDWIDTH declares it."""

    @property
    def average_bandwidth(self) -> int: ...
    @property
    def segments(self) -> int: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Timings:
    """Wall time per stage of a normalize job, in seconds."""

    @property
    def analyze_s(self) -> float: ...
    @property
    def calibrate_s(self) -> float: ...
    @property
    def render_s(self) -> float: ...
    @property
    def verify_s(self) -> float: ...
    @property
    def input_decodes(self) -> int: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class DynamicReport:
    """What dynamic mode planned. Gains are before the true-peak limiter: Report.gain_db plus the curve."""

    @property
    def lra_target_lu(self) -> float: ...
    @property
    def curve_applied(self) -> bool:
        """False where the input's range was already within the target: the result is linear mode's."""

    @property
    def planned_lra_lu(self) -> float: ...
    @property
    def gain_min_db(self) -> float: ...
    @property
    def gain_max_db(self) -> float: ...
    @property
    def max_gain_step_db(self) -> float:
        """Largest gain change between successive 100 ms frames, dB."""

    @property
    def gain_curve_db(self) -> list[float] | None:
        """The gain every 100 ms (frame k centred at (k + 0.5) / 10 s), with gain_curve=True."""

    def to_dict(self) -> dict[str, Any]: ...

@final
class Report:
    """What a normalize job did and measured."""

    @property
    def input(self) -> Analysis:
        """The input, as measured in pass 1."""

    @property
    def target_lufs(self) -> float: ...
    @property
    def true_peak_dbtp(self) -> float: ...
    @property
    def mode(self) -> Literal["linear", "dynamic"]: ...
    @property
    def gain_db(self) -> float: ...
    @property
    def dynamic(self) -> DynamicReport | None:
        """What dynamic mode did; None in linear mode."""

    @property
    def limiter_active(self) -> bool: ...
    @property
    def outputs(self) -> list[OutputReport]: ...
    @property
    def master_playlist(self) -> str | None:
        """The master playlist of an HLS job."""

    @property
    def elapsed_s(self) -> float: ...
    @property
    def timings(self) -> Timings: ...
    def to_dict(self) -> dict[str, Any]:
        """The report as plain values (the CLI's --json object)."""

@final
class OutputSpec:
    """One output of normalize_to: a path (format from its extension) and settings that override the job's."""

    def __new__(
        cls,
        path: _Output,
        *,
        sample_rate: int | None = None,
        bitrate: int | str | None = None,
        quality: int | None = None,
        bits_per_sample: int | None = None,
    ) -> OutputSpec: ...
    @property
    def path(self) -> Path: ...
    @property
    def sample_rate(self) -> int | None: ...
    @property
    def bitrate(self) -> int | None: ...
    @property
    def quality(self) -> int | None: ...
    @property
    def bits_per_sample(self) -> int | None: ...

# ---- jobs -----------------------------------------------------------------------------
#
# Every keyword but `name`, `on_progress` and `cancel` is an option of the core, passed on
# by name (loudcore::OPTIONS); None, like leaving it out, keeps the core's default, given
# in each option's comment. tests/test_options.py checks these signatures against the core.

def analyze(
    input: _Input,
    *,
    name: str | None = None,
    on_progress: _Progress | None = None,
    cancel: CancelToken | None = None,
    # Limits (every job).
    max_bytes: int | None = None,  # largest input in bytes (4 GiB)
    min_duration_s: float | None = None,  # shortest duration, seconds (0)
    max_duration_s: float | None = None,  # longest duration, seconds (24 hours)
    max_channels: int | None = None,  # most channels (8)
    min_sample_rate: int | None = None,  # lowest sample rate, Hz (8000)
    max_sample_rate: int | None = None,  # highest sample rate, Hz (192000)
    allowed_formats: Sequence[str] | None = None,  # mp3, adts, mp4, flac, wav, ogg (all)
    # Decoding (every job).
    strict: bool | None = None,  # fail on the first damaged frame (False)
    allow_truncated: bool | None = None,  # accept a truncated input, with a warning (False)
    threads: int | None = None,  # decoder threads, 1 to 8 (2)
    # Analysis.
    curve: bool | None = None,  # momentary and short-term loudness every 100 ms (False)
) -> Analysis:
    """Measures the loudness of an input (a path or bytes) per EBU R128 / ITU-R BS.1770-4.

    `name` labels bytes in error messages. The GIL is released while the job runs.
    """

def normalize(
    input: _Input,
    output: _Output,
    *,
    name: str | None = None,
    on_progress: _Progress | None = None,
    cancel: CancelToken | None = None,
    # Limits (every job).
    max_bytes: int | None = None,
    min_duration_s: float | None = None,
    max_duration_s: float | None = None,
    max_channels: int | None = None,
    min_sample_rate: int | None = None,
    max_sample_rate: int | None = None,
    allowed_formats: Sequence[str] | None = None,
    # Decoding (every job).
    strict: bool | None = None,
    allow_truncated: bool | None = None,
    threads: int | None = None,
    # Targets (normalize, hls).
    preset: str | None = None,  # spotify, apple-music, youtube, amazon, tidal, deezer, podcast, ebu-r128, atsc-a85
    target_lufs: float | None = None,  # LUFS (-14, or the preset's)
    true_peak_dbtp: float | None = None,  # dBTP (-1, or the preset's)
    lra_lu: float | None = None,  # loudness-range target of dynamic mode, LU (11 there)
    mode: str | None = None,  # "linear" (default) or "dynamic" (also reaches lra_lu)
    max_attempts: int | None = None,  # renders per output before giving up (4)
    gain_curve: bool | None = None,  # report the gain every 100 ms (dynamic mode)
    # Encoder settings of every output (an OutputSpec may override them).
    bitrate: int | str | None = None,  # bits/s or "192k" (MP3 VBR V0, M4A 128k per channel)
    quality: int | None = None,  # MP3 VBR 0 (best) to 9; FLAC level 0-8
    bits_per_sample: int | None = None,  # WAV 16, 24, 32 (float); FLAC 16, 24
    sample_rate: int | None = None,  # Hz (the input's)
) -> Report:
    """Normalizes an input into one output file (format from its extension: .mp3, .m4a, .wav, .flac).

    Targets: an explicit `target_lufs` / `true_peak_dbtp` overrides the `preset`, which
    overrides the defaults (-14 LUFS, -1 dBTP). The output appears only when complete
    and verified.
    """

def normalize_to(
    input: _Input,
    outputs: Sequence[_Output | OutputSpec],
    *,
    name: str | None = None,
    on_progress: _Progress | None = None,
    cancel: CancelToken | None = None,
    # Limits (every job).
    max_bytes: int | None = None,
    min_duration_s: float | None = None,
    max_duration_s: float | None = None,
    max_channels: int | None = None,
    min_sample_rate: int | None = None,
    max_sample_rate: int | None = None,
    allowed_formats: Sequence[str] | None = None,
    # Decoding (every job).
    strict: bool | None = None,
    allow_truncated: bool | None = None,
    threads: int | None = None,
    # Targets (normalize, hls).
    preset: str | None = None,
    target_lufs: float | None = None,
    true_peak_dbtp: float | None = None,
    lra_lu: float | None = None,
    mode: str | None = None,
    max_attempts: int | None = None,
    gain_curve: bool | None = None,
    # Encoder settings of every output (an OutputSpec may override them).
    bitrate: int | str | None = None,
    quality: int | None = None,
    bits_per_sample: int | None = None,
    sample_rate: int | None = None,
) -> Report:
    """Normalizes an input into several outputs from one analysis and one decode per render."""

def hls(
    input: _Input,
    out_dir: _Output,
    *,
    name: str | None = None,
    on_progress: _Progress | None = None,
    cancel: CancelToken | None = None,
    # Limits (every job).
    max_bytes: int | None = None,
    min_duration_s: float | None = None,
    max_duration_s: float | None = None,
    max_channels: int | None = None,
    min_sample_rate: int | None = None,
    max_sample_rate: int | None = None,
    allowed_formats: Sequence[str] | None = None,
    # Decoding (every job).
    strict: bool | None = None,
    allow_truncated: bool | None = None,
    threads: int | None = None,
    # Targets (normalize, hls).
    preset: str | None = None,
    target_lufs: float | None = None,
    true_peak_dbtp: float | None = None,
    lra_lu: float | None = None,
    mode: str | None = None,
    max_attempts: int | None = None,
    gain_curve: bool | None = None,
    # The ladder (bit rate and sample rate are set per variant).
    variants: Sequence[str] | None = None,  # "[name=]bitrate@rate" (48k@24000, 64k@32000, 128k@44100)
    segment_seconds: float | None = None,  # target segment duration, seconds (10)
    container: str | None = None,  # "ts" (default), "packed" or "fmp4"
    codec: str | None = None,  # "aac" (AAC-LC, default) or "mp3"
    layout: str | None = None,  # "nested" (NAME/playlist.m3u8, default) or "flat" (NAME.m3u8)
) -> Report:
    """Normalizes an input once and writes an audio-only HLS ladder into `out_dir`.

    The ladder appears (replacing what was there) only when every variant is written and
    verified.
    """

# ---- private: the core's lists, for the tests -----------------------------------------

def _options() -> list[tuple[str, list[str], str]]:
    """Every option of the core as (name, jobs, kind); kind is bool, int, float, text or list."""

def _stages() -> list[_Stage]:
    """Every progress stage of the core, in order."""

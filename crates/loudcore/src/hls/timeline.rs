//! Where segments are cut and what time each packet gets.
//!
//! Positions are counted in decoded frames from the first packet (priming included), so
//! they are exact integers with no drift. The presentation time of a position is
//! `position − priming`: the encoder delay sits before time 0. Segments are cut on that
//! presentation timeline, not on raw decoded frames, so that boundaries fall at the same
//! moment of the programme in every variant even when variants have different priming
//! (different sample rates or codecs): a player switching variants at a segment boundary
//! then neither repeats nor skips audio. The cost is that the first segment is longer by
//! the priming in TS and packed audio, which cannot signal it (fMP4 trims it with `elst`).

/// 90 kHz ticks of content time 0 in TS and packed audio. FFmpeg starts at 1.4 s as well;
/// a start above 0 leaves room for the priming before it and for PCR below PTS.
const START_TICKS: u64 = 126_000;
/// MPEG timestamps are 33 bits.
const TICKS_WRAP: u64 = 1 << 33;

pub(super) struct Timeline {
    sample_rate: u64,
    priming: u64,
    segment_seconds: f64,
    /// Index of the segment being filled.
    segment: u64,
}

impl Timeline {
    pub(super) fn new(sample_rate: u32, priming: u32, segment_seconds: f64) -> Timeline {
        Timeline {
            sample_rate: u64::from(sample_rate.max(1)),
            priming: u64::from(priming),
            segment_seconds,
            segment: 0,
        }
    }

    /// Whether the packet starting at decoded frame `pos` opens a new segment (the current
    /// one being non-empty): it does when its presentation time reaches the next multiple
    /// of the segment duration.
    pub(super) fn cuts_before(&mut self, pos: u64) -> bool {
        let Some(t) = pos.checked_sub(self.priming) else {
            return false; // still in the priming, before time 0
        };
        let mut cut = false;
        while t >= self.boundary(self.segment + 1) {
            self.segment += 1;
            cut = true;
        }
        cut
    }

    /// First presentation frame of segment `k`.
    fn boundary(&self, k: u64) -> u64 {
        (k as f64 * self.segment_seconds * self.sample_rate as f64).ceil() as u64
    }
}

/// MPEG 90 kHz timestamps of decoded-frame positions (TS PTS/PCR, packed-audio ID3).
#[derive(Clone, Copy, Debug)]
pub(super) struct Clock {
    sample_rate: u64,
    priming: u64,
    /// Ticks at content time 0.
    start_ticks: u64,
}

impl Clock {
    pub(super) fn new(sample_rate: u32, priming: u32) -> Clock {
        let sample_rate = u64::from(sample_rate.max(1));
        let priming = u64::from(priming);
        // Priming beyond 1.4 s does not happen with real encoders; if it did, time 0 moves
        // later so that no timestamp is negative.
        let start_ticks = START_TICKS.max((priming * 90_000).div_ceil(sample_rate));
        Clock {
            sample_rate,
            priming,
            start_ticks,
        }
    }

    /// The 33-bit 90 kHz timestamp of decoded frame `pos`, computed from the frame count
    /// (not by adding rounded durations), so it never drifts.
    pub(super) fn ticks(&self, pos: u64) -> u64 {
        let num = u128::from(pos) * 90_000
            + u128::from(self.start_ticks) * u128::from(self.sample_rate)
            - u128::from(self.priming) * 90_000;
        (num / u128::from(self.sample_rate)) as u64 % TICKS_WRAP
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn cuts_on_presentation_time() {
        // 1024-frame packets at 32 kHz, priming 1024, 1 s segments: presentation time of
        // packet k is (k − 1) · 1024; the first at or after 32000 is k = 33 (32768).
        let mut t = Timeline::new(32_000, 1024, 1.0);
        let cuts: Vec<u64> = (0..100u64).filter(|k| t.cuts_before(k * 1024)).collect();
        assert_eq!(cuts, [33, 64, 95]);
    }

    #[test]
    fn ticks_start_at_the_same_content_time_in_every_variant() {
        let a = Clock::new(44_100, 2112);
        let b = Clock::new(24_000, 1105);
        assert_eq!(a.ticks(2112), START_TICKS);
        assert_eq!(b.ticks(1105), START_TICKS);
        assert!(a.ticks(0) < START_TICKS);
        // No drift after an hour of 1024-frame packets at 44.1 kHz.
        let n = 44_100 * 3600 / 1024;
        assert_eq!(
            a.ticks(n * 1024 + 2112),
            START_TICKS + n * 1024 * 90_000 / 44_100
        );
    }
}

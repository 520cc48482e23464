//! Lays frames out again as one stream, bit reservoir included.
//!
//! Frames cut from different encoders cannot be concatenated as they are: a frame's
//! `main_data_begin` points into reservoir bytes of frames that were dropped. Here every
//! frame's main data (taken out by `frames`) is placed afresh: as early as the
//! reservoir allows, right after the previous frame's main data but no further back than
//! `main_data_begin` can reach (nor LAME's decoder-buffer bound), and the rest of each
//! data area is zeroed (LAME's ancillary bytes go).
//!
//! Placing early never leaves less reservoir than the original encoder had: if a frame
//! starts with at least the reservoir its encoder gave it, it ends with at least as much
//! as its encoder left, and so every later frame of that encoder fits at the bit rate it
//! chose, by induction. So only the first frame after a splice needs checking
//! ([`Cursor::reservoir`]), which `splice` does; a frame that does not fit is a bug.
//!
//! Offsets below are positions in the "data stream": the data areas of the output
//! frames (what follows each header and side information) concatenated.

use std::collections::VecDeque;

use super::frames::{Frame, Header, set_main_data_begin};

struct Slot {
    header: Header,
    side: [u8; 32],
    main: Vec<u8>,
    /// Where this frame's data area starts.
    data_start: u64,
    /// Where its main data starts (at most `main_data_begin` bytes before `data_start`).
    main_start: u64,
}

impl Slot {
    fn main_end(&self) -> u64 {
        self.main_start + self.main.len() as u64
    }

    fn data_end(&self) -> u64 {
        self.data_start + self.header.capacity() as u64
    }
}

/// Where the stream stands after a frame: what the next frame is placed against.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Cursor {
    /// End of the last main data.
    pub main_end: u64,
    /// End of the last data area: where the next one starts.
    pub data_end: u64,
    /// Length of the last frame (it bounds the next `main_data_begin`, see
    /// [`Header::buffer_bytes`]); 0 at the start of the stream.
    pub frame_len: usize,
}

impl Cursor {
    /// The reservoir the next frame (with header `next`) may use: bytes between the last
    /// main data and its data area, within reach of `main_data_begin`.
    pub(super) fn reservoir(&self, next: Header) -> usize {
        let reach = next
            .max_main_data_begin()
            .min(next.buffer_bytes().saturating_sub(self.frame_len));
        (self.data_end.saturating_sub(self.main_end) as usize).min(reach)
    }

    /// Where a frame with header `h` and `main` bytes of main data starts them, and the
    /// cursor after it; the frame fits if the cursor's `main_end` is within `data_end`.
    pub(super) fn place(&self, h: Header, main: usize) -> (u64, Cursor) {
        let start = self.data_end - self.reservoir(h) as u64;
        let next = Cursor {
            main_end: start + main as u64,
            data_end: self.data_end + h.capacity() as u64,
            frame_len: h.frame_len(),
        };
        (start, next)
    }

    pub(super) fn fits(&self) -> bool {
        self.main_end <= self.data_end
    }
}

pub(super) struct Repacker {
    /// Placed, not yet written: frames whose data areas later main data may still use.
    pending: VecDeque<Slot>,
    /// After the last frame pushed.
    cursor: Cursor,
    frame: Vec<u8>,
}

impl Repacker {
    pub(super) fn new() -> Repacker {
        Repacker {
            pending: VecDeque::new(),
            cursor: Cursor::default(),
            frame: Vec::new(),
        }
    }

    /// Where the stream stands after every frame pushed so far.
    pub(super) fn cursor(&self) -> Cursor {
        self.cursor
    }

    /// Appends `frame` (whose main data is `main`) and hands every frame that no later
    /// main data can reach to `emit`.
    pub(super) fn push<E>(
        &mut self,
        frame: &Frame,
        main: &[u8],
        emit: &mut impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), RepackError<E>> {
        let (start, next) = self.cursor.place(frame.header, main.len());
        if !next.fits() {
            return Err(RepackError::NoRoom(format!(
                "{} bytes of main data do not fit a {}-byte frame after {} bytes of reservoir",
                main.len(),
                frame.header.frame_len(),
                self.cursor.reservoir(frame.header)
            )));
        }
        self.pending.push_back(Slot {
            header: frame.header,
            side: frame.side,
            main: main.to_vec(),
            data_start: self.cursor.data_end,
            main_start: start,
        });
        self.cursor = next;
        // Later main data starts after this frame's: what ends before that is final.
        while self.pending.len() > 1 && self.pending.front().is_some_and(|f| f.data_end() <= start)
        {
            self.write_front(emit).map_err(RepackError::Emit)?;
        }
        Ok(())
    }

    /// Writes every frame still held back.
    pub(super) fn finish<E>(
        &mut self,
        emit: &mut impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        while !self.pending.is_empty() {
            self.write_front(emit)?;
        }
        Ok(())
    }

    fn write_front<E>(&mut self, emit: &mut impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        let Some(front) = self.pending.front() else {
            return Ok(());
        };
        let h = front.header;
        let (area_start, area_end) = (front.data_start, front.data_end());
        let mut side = front.side;
        set_main_data_begin(h, &mut side, (front.data_start - front.main_start) as usize);
        self.frame.clear();
        self.frame.extend_from_slice(&h.bytes());
        self.frame.extend_from_slice(&side[..h.side_len()]);
        let area = self.frame.len();
        self.frame.resize(h.frame_len(), 0);
        // Main data of this frame and of the later ones that start inside its data area.
        for s in self.pending.iter().take_while(|s| s.main_start < area_end) {
            let from = s.main_start.max(area_start);
            let to = s.main_end().min(area_end);
            if from < to {
                let src = &s.main[(from - s.main_start) as usize..(to - s.main_start) as usize];
                let dst = area + (from - area_start) as usize;
                self.frame[dst..dst + src.len()].copy_from_slice(src);
            }
        }
        emit(&self.frame)?;
        self.pending.pop_front();
        Ok(())
    }
}

#[derive(Debug)]
pub(super) enum RepackError<E> {
    /// A frame needs more reservoir than there is (a bug in choosing the splice).
    NoRoom(String),
    /// `emit` failed.
    Emit(E),
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use crate::encode::mp3::frames::split;
    use crate::encode::mp3::frames::tests::{config, lame_encode, test_signal};
    use crate::encode::mp3::lame::Mp3Mode;

    fn repack(frames: &[Frame], data: &crate::encode::mp3::frames::Frames) -> Vec<u8> {
        let mut r = Repacker::new();
        let mut out = Vec::new();
        let mut emit = |b: &[u8]| -> Result<(), ()> {
            out.extend_from_slice(b);
            Ok(())
        };
        for f in frames {
            r.push(f, data.main(f), &mut emit).unwrap();
        }
        r.finish(&mut emit).unwrap();
        out
    }

    fn ffmpeg_s16(bytes: &[u8], dir: &std::path::Path, name: &str) -> Option<Vec<u8>> {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-xerror", "-i"])
            .arg(&path)
            .args(["-f", "s16le", "-"])
            .output()
            .ok()?;
        assert!(out.status.success(), "{name}");
        assert!(
            out.stderr.is_empty(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(out.stdout)
    }

    /// Repacking one encoder's stream changes where main data sits (and drops LAME's
    /// ancillary bytes) but not a single decoded sample.
    #[test]
    fn one_stream_repacks_to_the_same_audio() {
        let dir = tempfile::tempdir().unwrap();
        for (rate, ch, mode) in [
            (44_100, 2, Mp3Mode::Vbr { quality: 0 }),
            (44_100, 1, Mp3Mode::Cbr { kbps: 96 }),
            (32_000, 2, Mp3Mode::Cbr { kbps: 320 }),
            (24_000, 2, Mp3Mode::Vbr { quality: 3 }),
            (11_025, 1, Mp3Mode::Cbr { kbps: 24 }),
        ] {
            let cfg = config(rate, ch, mode);
            let pcm = test_signal(rate, usize::from(ch), rate as usize * 4, 11);
            let (stream, _) = lame_encode(&cfg, &pcm, false);
            let frames = split(&stream).unwrap();
            let out = repack(&frames.frames, &frames);
            // Same frames with the same headers and sizes.
            assert_eq!(out.len(), stream.len());
            let again = split(&out).unwrap();
            assert_eq!(again.frames.len(), frames.frames.len());
            for (a, b) in again.frames.iter().zip(&frames.frames) {
                assert_eq!(a.header, b.header);
                assert_eq!(again.main(a), frames.main(b));
                assert!(a.info.main_data_begin >= b.info.main_data_begin);
            }
            let name = format!("{rate}-{ch}-{mode:?}");
            let (Some(want), Some(got)) = (
                ffmpeg_s16(&stream, dir.path(), &format!("{name}-lame.mp3")),
                ffmpeg_s16(&out, dir.path(), &format!("{name}-repacked.mp3")),
            ) else {
                eprintln!("note: no ffmpeg, decoded comparison skipped");
                return;
            };
            assert!(!want.is_empty());
            assert!(want == got, "{name}: decoded audio differs");
        }
    }

    /// A frame that needs more reservoir than there is, here at the start of a stream, is
    /// refused (the splice should not have put it there).
    #[test]
    fn frames_without_their_reservoir_are_refused() {
        let cfg = config(44_100, 2, Mp3Mode::Cbr { kbps: 128 });
        let pcm = test_signal(44_100, 2, 44_100 * 3, 5);
        let (stream, _) = lame_encode(&cfg, &pcm, false);
        let frames = split(&stream).unwrap();
        let needs = frames
            .frames
            .iter()
            .position(|f| f.main.len() > f.header.capacity())
            .expect("a frame using the reservoir");
        let mut r = Repacker::new();
        let mut emit = |_: &[u8]| -> Result<(), ()> { Ok(()) };
        let f = &frames.frames[needs];
        assert!(matches!(
            r.push(f, frames.main(f), &mut emit),
            Err(RepackError::NoRoom(_))
        ));
    }
}

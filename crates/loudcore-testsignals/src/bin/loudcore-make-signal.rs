//! Writes a test signal to a WAV file, for shell scripts and the Python/Node tests.
//!
//! ```text
//! loudcore-make-signal OUT.wav (--case ID | --music SECONDS | --sine FREQ DBFS SECONDS)
//!                      [--rate 48000] [--channels 2] [--format int24] [--seed 1] [--level -20]
//! loudcore-make-signal --list [--case ID] [--rate 48000]
//! ```

use loudcore_testsignals::{
    Case, Expect, MUSIC_LIKE_DEFAULT_LUFS, Signal, WavFormat, case_by_id, case_ids,
    music_like_with_level, sine, wav_bytes,
};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

const USAGE: &str = "\
usage: loudcore-make-signal OUT.wav (--case ID | --music SECONDS | --sine FREQ DBFS SECONDS)
                            [--rate HZ] [--channels N] [--format FORMAT] [--seed N] [--level LUFS]
       loudcore-make-signal --list [--case ID] [--rate HZ]

  OUT.wav             output file, or - for standard output
  --case ID           an EBU reference case: 3341-1..6, 3341-9, 3341-12, 3341-15..23, 3342-1..4
  --music SECONDS     deterministic music-like stereo signal (see --seed, --level)
  --sine F DBFS S     sine of F Hz at DBFS peak level in every channel, S seconds long
  --rate HZ           sample rate (default 48000)
  --channels N        channels of --sine (default 2)
  --format FORMAT     int16, int24, int32 or float32 (default int24)
  --seed N            seed of --music (default 1)
  --level LUFS        rough loudness of --music (default -20)
  --list              print the cases with their expected values as JSON and exit
";

enum Source {
    Case(String),
    Music(f64),
    Sine(f64, f64, f64),
}

struct Args {
    out: Option<String>,
    source: Option<Source>,
    list: bool,
    rate: u32,
    channels: Option<u16>,
    format: WavFormat,
    seed: u64,
    level: f64,
}

fn value<'a>(it: &mut impl Iterator<Item = &'a String>, flag: &str) -> Result<&'a String, String> {
    it.next().ok_or_else(|| format!("{flag} needs a value"))
}

fn number<T: std::str::FromStr>(s: &str, flag: &str) -> Result<T, String> {
    s.parse()
        .map_err(|_| format!("{flag}: {s:?} is not a valid number"))
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut a = Args {
        out: None,
        source: None,
        list: false,
        rate: 48_000,
        channels: None,
        format: WavFormat::Int24,
        seed: 1,
        level: MUSIC_LIKE_DEFAULT_LUFS,
    };
    let mut it = args.iter();
    let set = |a: &mut Args, s: Source| {
        if a.source.is_some() {
            Err("give only one of --case, --music, --sine".to_string())
        } else {
            a.source = Some(s);
            Ok(())
        }
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--case" => {
                let id = value(&mut it, arg)?.clone();
                set(&mut a, Source::Case(id))?;
            }
            "--music" => {
                let secs = number(value(&mut it, arg)?, arg)?;
                set(&mut a, Source::Music(secs))?;
            }
            "--sine" => {
                let f = number(value(&mut it, arg)?, "--sine FREQ")?;
                let db = number(value(&mut it, arg)?, "--sine DBFS")?;
                let s = number(value(&mut it, arg)?, "--sine SECONDS")?;
                set(&mut a, Source::Sine(f, db, s))?;
            }
            "--rate" => a.rate = number(value(&mut it, arg)?, arg)?,
            "--channels" => a.channels = Some(number(value(&mut it, arg)?, arg)?),
            "--format" => a.format = value(&mut it, arg)?.parse()?,
            "--seed" => a.seed = number(value(&mut it, arg)?, arg)?,
            "--level" => a.level = number(value(&mut it, arg)?, arg)?,
            "--list" => a.list = true,
            "-" => a.out = Some(arg.clone()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            s => {
                if a.out.is_some() {
                    return Err(format!("unexpected argument {s:?}"));
                }
                a.out = Some(s.to_string());
            }
        }
    }
    if a.rate < 8_000 || a.rate > 768_000 {
        return Err(format!("--rate {} is out of range (8000..=768000)", a.rate));
    }
    if a.channels == Some(0) {
        return Err("--channels must be at least 1".to_string());
    }
    if a.channels.is_some() && !matches!(a.source, Some(Source::Sine(..))) {
        return Err("--channels only applies to --sine".to_string());
    }
    Ok(a)
}

fn json_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn json_case(c: &Case) -> String {
    let e = &c.expected;
    let fields: [(&str, Option<Expect>); 5] = [
        ("integrated_lufs", e.integrated_lufs),
        ("max_momentary_lufs", e.max_momentary_lufs),
        ("max_short_term_lufs", e.max_short_term_lufs),
        ("lra_lu", e.lra_lu),
        ("true_peak_dbtp", e.true_peak_dbtp),
    ];
    let expected: Vec<String> = fields
        .iter()
        .filter_map(|(k, v)| {
            v.map(|x| {
                format!(
                    "{}: {{\"value\": {:?}, \"plus\": {:?}, \"minus\": {:?}}}",
                    json_str(k),
                    x.value,
                    x.plus,
                    x.minus
                )
            })
        })
        .collect();
    format!(
        "  {{\"id\": {}, \"description\": {}, \"sample_rate\": {}, \"channels\": {}, \"channel_mask\": {}, \"frames\": {}, \"duration_s\": {:?}, \"expected\": {{{}}}}}",
        json_str(c.id),
        json_str(c.description),
        c.signal.sample_rate,
        c.signal.channels,
        c.signal.channel_mask,
        c.signal.frames(),
        c.signal.duration_s(),
        expected.join(", ")
    )
}

fn run(args: &[String]) -> Result<(), (u8, String)> {
    let usage = |m: String| (2u8, format!("{m}\n\n{USAGE}"));
    if args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{USAGE}");
        return Ok(());
    }
    let a = parse(args).map_err(usage)?;

    if a.list {
        let ids: Vec<&str> = match &a.source {
            None => case_ids(),
            Some(Source::Case(id)) => vec![id.as_str()],
            Some(_) => return Err(usage("--list only combines with --case".to_string())),
        };
        let mut items = Vec::new();
        for id in ids {
            let c = case_by_id(id, a.rate).ok_or_else(|| usage(format!("unknown case {id:?}")))?;
            items.push(json_case(&c));
        }
        println!("[\n{}\n]", items.join(",\n"));
        return Ok(());
    }

    let out = a
        .out
        .clone()
        .ok_or_else(|| usage("missing output file".to_string()))?;
    let (signal, what): (Signal, String) = match &a.source {
        None => return Err(usage("give one of --case, --music, --sine".to_string())),
        Some(Source::Case(id)) => {
            let c = case_by_id(id, a.rate).ok_or_else(|| {
                usage(format!(
                    "unknown case {id:?}; known: {}",
                    case_ids().join(", ")
                ))
            })?;
            (c.signal, format!("case {}", c.id))
        }
        Some(Source::Music(secs)) => {
            if !(secs.is_finite() && *secs >= 0.0) {
                return Err(usage(format!("--music {secs}: need a duration >= 0")));
            }
            (
                music_like_with_level(a.rate, *secs, a.seed, a.level),
                format!("music seed {} at about {} LUFS", a.seed, a.level),
            )
        }
        Some(Source::Sine(f, db, secs)) => {
            if !(secs.is_finite() && *secs >= 0.0) {
                return Err(usage(format!("--sine: need a duration >= 0, got {secs}")));
            }
            if !(f.is_finite() && *f >= 0.0) {
                return Err(usage(format!("--sine: bad frequency {f}")));
            }
            (
                sine(a.rate, a.channels.unwrap_or(2), *f, *db, *secs),
                format!("sine {f} Hz at {db} dBFS"),
            )
        }
    };
    let bytes = wav_bytes(&signal, a.format);
    if out == "-" {
        std::io::stdout()
            .lock()
            .write_all(&bytes)
            .map_err(|e| (1, format!("writing to standard output: {e}")))?;
    } else {
        std::fs::write(Path::new(&out), &bytes).map_err(|e| (1, format!("writing {out}: {e}")))?;
    }
    eprintln!(
        "{out}: {what}, {} Hz, {} ch, {:.3} s, {}",
        signal.sample_rate,
        signal.channels,
        signal.duration_s(),
        a.format.name()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, msg)) => {
            eprintln!("loudcore-make-signal: {msg}");
            ExitCode::from(code)
        }
    }
}

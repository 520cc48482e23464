//! The `loudcore` command: the core library at a shell.

mod analyze;
mod args;
mod hls;
mod normalize;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use loudcore::CancelToken;

const EXIT_CODES: &str = "\
Exit codes:
  0    success
  1    internal error (a bug: please report it)
  2    invalid options or usage
  3    input file not found
  4    I/O error (unreadable input, unwritable output, a directory given as input)
  5    unsupported format (not audio, or a codec loudcore does not read)
  6    corrupt input (damaged, truncated or empty)
  7    input outside the limits (size, duration, channels, sample rate, format)
  8    silent input (nothing to normalize)
  130  cancelled

Errors are printed as one line on stderr: `error: <file>: <what is wrong>`.";

#[derive(Parser, Debug)]
#[command(name = "loudcore", version, about = "Measure and normalize audio loudness (EBU R128 / ITU-R BS.1770) and package HLS ladders, without FFmpeg", after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Measure integrated loudness, loudness range, true peak and stream facts.
    #[command(after_help = EXIT_CODES)]
    Analyze(analyze::Args),
    /// Normalize loudness to a target (two passes, true-peak limited, verified on the output).
    #[command(after_help = EXIT_CODES)]
    Normalize(normalize::Args),
    /// Normalize once and write an audio-only HLS ladder (AAC or MP3; TS, packed audio or
    /// fMP4 segments), every variant verified on its decoded segments.
    #[command(after_help = EXIT_CODES)]
    Hls(hls::Args),
}

/// A token that Ctrl-C, SIGTERM and SIGHUP cancel, so that the job stops at its next
/// block and removes its temporary files (a killed process would leave them beside the
/// destination). A second signal exits at once, for a job that does not answer.
fn cancel_on_signal() -> CancelToken {
    let token = CancelToken::new();
    let handler = token.clone();
    let installed = ctrlc::set_handler(move || {
        if handler.is_cancelled() {
            std::process::exit(130);
        }
        handler.cancel();
    });
    if let Err(e) = installed {
        // Still usable without it: a signal then kills the process as it always would.
        eprintln!(
            "warning: cannot catch signals ({e}); an interrupted job may leave temporary files"
        );
    }
    token
}

fn main() -> ExitCode {
    // Panics are turned into errors by the library; keep their default report off the
    // terminal so the user sees one clean `error:` line.
    std::panic::set_hook(Box::new(|_| {}));
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) if !e.use_stderr() => {
            // --help and --version print to stdout and succeed.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // One line, like every other error; `--help` has the rest.
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("invalid usage");
            let msg = first.strip_prefix("error: ").unwrap_or(first);
            eprintln!("error: {msg} (see `loudcore --help`)");
            return ExitCode::from(2);
        }
    };
    let cancel = cancel_on_signal();
    let result = std::panic::catch_unwind(|| match cli.command {
        Command::Analyze(args) => analyze::run(args, cancel),
        Command::Normalize(args) => normalize::run(args, cancel),
        Command::Hls(args) => hls::run(args, cancel),
    });
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(e.class().exit_code().clamp(1, 255) as u8)
        }
        Err(_) => {
            eprintln!("error: internal error (a bug in loudcore: please report it)");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;
    use loudcore::{JobKind, OptionInfo};

    use super::Cli;

    /// Every option of the core reaches the command of each job that takes it, as the
    /// kebab-case form of its name (a flag or an alias of one).
    #[test]
    fn every_core_option_has_a_flag() {
        let cli = Cli::command();
        for job in JobKind::ALL {
            let cmd = cli
                .find_subcommand(job.as_str())
                .unwrap_or_else(|| panic!("no `{}` command", job.as_str()));
            let flags: Vec<String> = cmd
                .get_arguments()
                .flat_map(|a| {
                    let mut names: Vec<String> =
                        a.get_long().map(String::from).into_iter().collect();
                    names.extend(
                        a.get_all_aliases()
                            .unwrap_or_default()
                            .into_iter()
                            .map(String::from),
                    );
                    names
                })
                .collect();
            for o in OptionInfo::for_job(job) {
                let flag = o.name.replace('_', "-");
                assert!(
                    flags.contains(&flag),
                    "`loudcore {}` has no --{flag} for the core option {}",
                    job.as_str(),
                    o.name
                );
            }
        }
    }
}

//! Command line: argument parsing, logging setup and dispatch to one file per command.
//! `anyhow` lives here only; the library returns typed errors.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};

use jixiao::config::{self, Limits, Shard};
use jixiao::store::parquet::Codec;

/// `println!` that doesn't panic when stdout is closed early (`jixiao status out | head`).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod bench;
mod commit;
mod inspect;
mod print;
mod report;
mod run;
mod snapshots;
mod status;
mod validate;

/// Exit statuses, as schedulers read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Every file was ok.
    Success,
    /// The run finished, but some files were partial or rejected (or a report had no data).
    Failure,
    /// Nothing was published: bad arguments, unwritable output, a held lock.
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> ExitCode {
        ExitCode::from(match s {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Error => 2,
        })
    }
}

#[derive(Parser)]
#[command(
    name = "jixiao",
    version,
    about = "Turns scraped budget performance-target disclosures (绩效目标表) into a Parquet dataset",
    after_help = "Examples:\n  jixiao ingest sample_data --out out\n  jixiao run pipelines/sample.toml\n  jixiao report --data out --year 2020 --out out/report\n  jixiao status out\n\nExit status: 0 all files ok, 1 some files partial or rejected, 2 fatal error."
)]
struct Cli {
    /// Log format on stderr [default: human, or the pipeline file's log.format].
    #[arg(long, global = true, value_enum)]
    log_format: Option<LogFormatArg>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormatArg {
    Human,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Ingest a folder tree once into an output directory (incremental when OUT already holds a snapshot).
    #[command(
        after_help = "Example:\n  jixiao ingest sample_data --out out --jobs 2\n\nAnalysts read out/current/{files,projects,indicators,stats}."
    )]
    Ingest {
        /// Folder of scraped disclosure files (any extension, any encoding).
        input_dir: PathBuf,
        /// Output directory (snapshots, `current` link, run summaries); with --delta only
        /// local scratch space and the run summaries [default with --delta: a temp directory].
        #[arg(long, required_unless_present = "delta")]
        out: Option<PathBuf>,
        /// Worker threads (default: all cores).
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
        /// Re-read every file instead of only new and changed ones.
        #[arg(long)]
        full: bool,
        /// Files larger than this many bytes are rejected.
        #[arg(long, default_value_t = config::DEFAULT_MAX_FILE_BYTES)]
        max_file_bytes: u64,
        /// Files whose parse takes longer than this many seconds are rejected.
        #[arg(long, default_value_t = config::DEFAULT_MAX_FILE_SECONDS, value_parser = clap::value_parser!(u64).range(1..))]
        max_file_seconds: u64,
        /// Snapshots kept for time travel.
        #[arg(long, default_value_t = config::DEFAULT_KEEP_SNAPSHOTS as usize)]
        keep_snapshots: usize,
        /// Parquet compression: snappy (fastest to write and read) or zstd (smallest).
        #[arg(long, default_value = config::DEFAULT_COMPRESSION, value_parser = codec_parser())]
        compression: Codec,
        #[command(flatten)]
        scale: ScaleArgs,
    },
    /// Run a pipeline file (pipelines/*.toml).
    Run {
        pipeline: PathBuf,
        /// Re-read every file instead of only new and changed ones.
        #[arg(long)]
        full: bool,
        /// Read only shard i of N (overrides the pipeline's `shard`).
        #[arg(long)]
        shard: Option<Shard>,
        /// The run this shard belongs to (with the pipeline's `output.delta`).
        #[arg(long)]
        run_id: Option<String>,
    },
    /// Commit a sharded run's staged files to the Delta tables (the Job's last step).
    #[command(
        after_help = "Example:\n  jixiao commit --delta s3://bucket/jixiao --run-id nightly-20261201 --shards 8\n\nEvery table gets one transaction tagged with the run; committing again commits nothing."
    )]
    Commit {
        /// Delta root (`s3://bucket/prefix`, `file:///dir` or a directory).
        #[arg(long)]
        delta: String,
        #[arg(long)]
        run_id: String,
        /// How many shards the run had (the N of `--shard i/N`).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        shards: u32,
        /// Parquet compression of the stats tables and of parts the commit rewrites.
        #[arg(long, default_value = config::DEFAULT_COMPRESSION, value_parser = codec_parser())]
        compression: Codec,
    },
    /// Delete data files no Delta version references: replaced files and failed attempts' uploads.
    Vacuum {
        #[arg(long)]
        delta: String,
        /// Only files older than this many hours (keep it longer than a run's shards take).
        #[arg(long, default_value_t = 168)]
        retention_hours: u32,
        /// List what would be deleted.
        #[arg(long)]
        dry_run: bool,
    },
    /// Check a pipeline file and print every problem in it.
    Validate { pipeline: PathBuf },
    /// Write the yearly summary report (HTML + Markdown, and its tables as an .xlsx workbook).
    #[command(
        after_help = "Examples:\n  jixiao report --data out --year 2020 --out out/report\n  jixiao report --delta s3://bucket/jixiao --year 2020 --out report"
    )]
    Report {
        /// Output directory of a run (or a snapshot directory).
        #[arg(long, required_unless_present = "delta", conflicts_with = "delta")]
        data: Option<PathBuf>,
        /// A Delta root instead (`s3://bucket/prefix`, `file:///dir` or a directory): the
        /// tables' current version.
        #[arg(long)]
        delta: Option<String>,
        #[arg(long)]
        year: i32,
        /// Only this region (e.g. 东莞市).
        #[arg(long)]
        region: Option<String>,
        /// Where report.html, report.md and report.xlsx go.
        #[arg(long)]
        out: PathBuf,
    },
    /// Show how one file is read: detected encoding and layout, the grid, the tables found.
    Inspect {
        file: PathBuf,
        /// Also print every row of the grid.
        #[arg(long)]
        grid: bool,
    },
    /// Show the last runs and the current snapshot of an output directory.
    Status { out: PathBuf },
    /// List the snapshots kept in an output directory, with their run summaries.
    Snapshots { out: PathBuf },
    /// Writes a generated corpus (bench, fuzz seeds): files 0..FILES of SEED under DIR.
    #[command(hide = true)]
    BenchCorpus {
        dir: PathBuf,
        #[arg(long)]
        files: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Prints the read and read+decode floors of the files under DIR as JSON.
    #[command(hide = true)]
    BenchFloor {
        dir: PathBuf,
        #[arg(long, short = 'j', default_value_t = 2)]
        jobs: usize,
    },
    /// Recomputes `stats/` of the snapshot at DIR (a copy: the files are replaced) and prints
    /// its seconds and the process's peak RSS as JSON.
    #[command(hide = true)]
    BenchStats {
        dir: PathBuf,
        #[arg(long, short = 'j', default_value_t = 2)]
        jobs: usize,
    },
    /// Encodes every part of the snapshot at DIR again, in memory, with the run's settings and
    /// with the writer's cheapest, and prints the thread-seconds and bytes of each as JSON.
    #[command(hide = true)]
    BenchWrite {
        dir: PathBuf,
        #[arg(long, short = 'j', default_value_t = 2)]
        jobs: usize,
        #[arg(long, value_parser = codec_parser(), default_value = "snappy")]
        compression: Codec,
    },
}

/// `--compression`: one of the names a pipeline file's `output.compression` takes.
fn codec_parser() -> impl clap::builder::TypedValueParser<Value = Codec> {
    use clap::builder::TypedValueParser as _;
    // clap admits only the listed names, so the default never stands in for one.
    clap::builder::PossibleValuesParser::new(Codec::NAMES).map(|name| Codec::from_name(&name).unwrap_or_default())
}

/// Scale-out flags of `jixiao ingest`: a slice of the inputs, and a Delta root instead of snapshots.
#[derive(clap::Args, Clone, Default)]
pub struct ScaleArgs {
    /// Read only the files whose path hashes to shard i of N (e.g. `$JOB_COMPLETION_INDEX/8`).
    #[arg(long)]
    shard: Option<Shard>,
    /// Stage the rows into Delta tables under this root (`s3://bucket/prefix`, `file:///dir`);
    /// unsharded, the run is committed at once; sharded, by `jixiao commit`.
    #[arg(long)]
    delta: Option<String>,
    /// Names the run every shard and `jixiao commit` share (required with --shard and --delta).
    #[arg(long)]
    run_id: Option<String>,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let format = cli.log_format.unwrap_or_else(|| match &cli.command {
        // A pipeline file may ask for JSON logs; a bad file is reported by `run` itself.
        Command::Run { pipeline, .. } => match config::load(pipeline).map(|p| p.log.format) {
            Ok(config::LogFormat::Json) => LogFormatArg::Json,
            _ => LogFormatArg::Human,
        },
        _ => LogFormatArg::Human,
    });
    init_logging(format);
    match dispatch(cli.command) {
        Ok(status) => status.into(),
        Err(e) => {
            // Library errors already print their source after the path; show each cause once.
            let mut msg = String::new();
            for cause in e.chain() {
                let text = cause.to_string();
                if !msg.contains(&text) {
                    if !msg.is_empty() {
                        msg.push_str(": ");
                    }
                    msg.push_str(&text);
                }
            }
            eprintln!("jixiao: error: {msg}");
            ExitStatus::Error.into()
        }
    }
}

fn init_logging(format: LogFormatArg) {
    // delta-rs' kernel logs every snapshot load at info, and a table's first load (no log yet) as
    // an error; its real failures come back to us as errors and are printed once.
    let filter = tracing_subscriber::EnvFilter::try_from_env("JIXIAO_LOG")
        .unwrap_or_else(|_| "info,buoyant_kernel=off,buoyant_kernel_engine=warn,deltalake_core=warn".into());
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormatArg::Human => builder.with_target(false).without_time().init(),
        LogFormatArg::Json => builder.json().init(),
    }
}

fn dispatch(cmd: Command) -> Result<ExitStatus> {
    match cmd {
        Command::Ingest {
            input_dir,
            out,
            jobs,
            full,
            max_file_bytes,
            max_file_seconds,
            keep_snapshots,
            compression,
            scale,
        } => {
            let limits = Limits {
                threads: jobs.unwrap_or(config::DEFAULT_THREADS),
                max_file_bytes,
                max_file_time: Duration::from_secs(max_file_seconds),
                max_html_depth: config::DEFAULT_MAX_HTML_DEPTH,
            };
            let out = out.unwrap_or_else(|| std::env::temp_dir().join("jixiao-delta"));
            run::ingest(input_dir, out, full, limits, keep_snapshots, compression, scale)
        }
        Command::Run { pipeline, full, shard, run_id } => run::run_pipeline(&pipeline, full, shard, run_id),
        Command::Commit { delta, run_id, shards, compression } => commit::commit(&delta, &run_id, shards, compression),
        Command::Vacuum { delta, retention_hours, dry_run } => commit::vacuum(&delta, retention_hours, dry_run),
        Command::Validate { pipeline } => Ok(validate::validate(&pipeline)),
        Command::Report { data, delta, year, region, out } => match (data, delta) {
            (Some(data), _) => report::report(&data, year, region.as_deref(), &out),
            (None, Some(uri)) => commit::report(&uri, Some(year), region.as_deref(), &out),
            (None, None) => anyhow::bail!("jixiao report needs --data DIR or --delta URI"),
        },
        Command::Inspect { file, grid } => inspect::inspect(&file, grid),
        Command::Status { out } => status::status(&out),
        Command::Snapshots { out } => snapshots::snapshots(&out),
        Command::BenchCorpus { dir, files, seed } => bench::corpus(&dir, files, seed),
        Command::BenchFloor { dir, jobs } => bench::floor(&dir, jobs),
        Command::BenchStats { dir, jobs } => bench::stats(&dir, jobs),
        Command::BenchWrite { dir, jobs, compression } => bench::write(&dir, jobs, compression),
    }
}

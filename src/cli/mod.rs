//! Command line: argument parsing, logging setup and the one-screen summaries. `anyhow` lives
//! here only; the library returns typed errors.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use jixiao::config;

/// `println!` that doesn't panic when stdout is closed early (`jixiao status out | head`).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
use jixiao::ingest::process::Limits;
use jixiao::run::{self, InputSpec, Options, Summary};

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
        /// Output directory (snapshots, `current` link, run summaries).
        #[arg(long)]
        out: PathBuf,
        /// Worker threads (default: all cores).
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
        /// Re-read every file instead of only new and changed ones.
        #[arg(long)]
        full: bool,
        /// Files larger than this many bytes are rejected.
        #[arg(long, default_value_t = 64 << 20)]
        max_file_bytes: u64,
        /// Snapshots kept for time travel.
        #[arg(long, default_value_t = 5)]
        keep_snapshots: usize,
    },
    /// Run a pipeline file (pipelines/*.toml).
    Run {
        pipeline: PathBuf,
        /// Re-read every file instead of only new and changed ones.
        #[arg(long)]
        full: bool,
    },
    /// Check a pipeline file and print every problem in it.
    Validate { pipeline: PathBuf },
    /// Write the yearly summary report (HTML + Markdown).
    Report {
        /// Output directory of a run (or a snapshot directory).
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        year: i32,
        /// Only this region (e.g. 东莞市).
        #[arg(long)]
        region: Option<String>,
        /// Where report.html and report.md go.
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
    let filter = tracing_subscriber::EnvFilter::try_from_env("JIXIAO_LOG").unwrap_or_else(|_| "info".into());
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
        Command::Ingest { input_dir, out, jobs, full, max_file_bytes, keep_snapshots } => {
            let opts = Options {
                inputs: vec![InputSpec { root: input_dir, filter: None }],
                out,
                jobs: jobs.unwrap_or(0),
                full,
                limits: Limits { max_file_bytes, ..Limits::default() },
                keep_snapshots,
                progress: true,
            };
            finish_run(opts)
        }
        Command::Run { pipeline, full } => {
            let p = match config::load(&pipeline) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("{e}");
                    return Ok(ExitStatus::Error);
                }
            };
            let mut inputs = Vec::new();
            for i in &p.inputs {
                let m = i.matcher().with_context(|| format!("input {}", i.root.display()))?;
                inputs
                    .push(InputSpec { root: i.root.clone(), filter: Some(Box::new(move |rel: &str| m.is_match(rel))) });
            }
            let opts = Options {
                inputs,
                out: p.output.dir.clone(),
                jobs: p.limits.threads,
                full,
                limits: Limits {
                    max_file_bytes: p.limits.max_file_bytes,
                    max_file_seconds: p.limits.max_file_seconds as f64,
                },
                keep_snapshots: p.output.keep_snapshots as usize,
                progress: true,
            };
            let status = finish_run(opts)?;
            if p.report.enabled && status != ExitStatus::Error {
                let data =
                    jixiao::store::snapshot::current_of(&p.output.dir).context("no current snapshot after the run")?;
                let year = match p.report.year {
                    Some(y) => i32::from(y),
                    None => latest_year(&data).context("no year in the dataset to report on")?,
                };
                write_report(&data, year, p.report.region.as_deref(), &p.report.dir)?;
            }
            Ok(status)
        }
        Command::Validate { pipeline } => {
            let problems = config::validate(&pipeline);
            if problems.is_empty() {
                outln!("{}: ok", pipeline.display());
                Ok(ExitStatus::Success)
            } else {
                for p in &problems {
                    outln!("{p}");
                }
                eprintln!("{}: {} problem(s)", pipeline.display(), problems.len());
                Ok(ExitStatus::Error)
            }
        }
        Command::Report { data, year, region, out } => {
            let root = jixiao::store::snapshot::current_of(&data).unwrap_or(data);
            write_report(&root, year, region.as_deref(), &out)
        }
        Command::Inspect { file, grid } => inspect(&file, grid),
        Command::Status { out } => status(&out),
        Command::Snapshots { out } => snapshots(&out),
    }
}

fn finish_run(opts: Options) -> Result<ExitStatus> {
    let out = opts.out.clone();
    let summary = run::run(opts).with_context(|| format!("run into {}", out.display()))?;
    print_summary(&out, &summary);
    Ok(if summary.exit_status == 0 { ExitStatus::Success } else { ExitStatus::Failure })
}

fn print_summary(out: &Path, s: &Summary) {
    outln!("jixiao run {} → {}", s.run_id, out.join("current").display());
    outln!("  files      {:>7}  ok {}  partial {}  rejected {}", s.files, s.ok, s.partial, s.rejected);
    outln!("  changes    new {}  changed {}  unchanged {}  deleted {}", s.new, s.changed, s.unchanged, s.deleted);
    outln!("  tables     {:>7}", s.tables);
    outln!(
        "  rows       {:>7} new  {} kept  ({} parts written, {} shared with the previous snapshot)",
        s.rows_written,
        s.rows_carried,
        s.parts_written,
        s.parts_linked
    );
    outln!("  indicators {:>7}", s.indicators);
    outln!(
        "  read       {:>7.2} MB in {:.2} s ({:.1} MB/s)",
        s.bytes_read as f64 / 1e6,
        s.elapsed_seconds,
        s.throughput_mb_s
    );
    let stages: Vec<String> = s.stage_seconds.iter().map(|(k, v)| format!("{k} {v:.2}s")).collect();
    outln!("  stages     {}", stages.join("  "));
    for p in s.problems.iter().take(10) {
        outln!("  ! {p}");
    }
    if s.problems.len() > 10 {
        outln!(
            "  ! … {} more in {}",
            s.problems.len() - 10,
            out.join("runs").join(format!("{}.json", s.run_id)).display()
        );
    }
}

fn latest_year(root: &Path) -> Option<i32> {
    std::fs::read_dir(root.join("projects"))
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.strip_prefix("year=")?.parse().ok())
        .max()
}

fn write_report(root: &Path, year: i32, region: Option<&str>, out: &Path) -> Result<ExitStatus> {
    let Some(data) = jixiao::analytics::report_data(root, year, region).context("computing the report figures")? else {
        eprintln!(
            "jixiao: no projects for {year}{} in {}; no report written",
            region.map(|r| format!(" in {r}")).unwrap_or_default(),
            root.display()
        );
        return Ok(ExitStatus::Failure);
    };
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let html = out.join("report.html");
    let md = out.join("report.md");
    std::fs::write(&html, jixiao::report::render_html(&data)).with_context(|| format!("writing {}", html.display()))?;
    std::fs::write(&md, jixiao::report::render_markdown(&data)).with_context(|| format!("writing {}", md.display()))?;
    outln!("report for {year}: {} and {}", html.display(), md.display());
    Ok(ExitStatus::Success)
}

fn read_summaries(out: &Path) -> Vec<Summary> {
    let mut v: Vec<Summary> = std::fs::read_dir(out.join("runs"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| serde_json::from_str(&std::fs::read_to_string(e.path()).ok()?).ok())
        .collect();
    v.sort_by(|a, b| a.run_id.cmp(&b.run_id));
    v
}

fn status(out: &Path) -> Result<ExitStatus> {
    let current = jixiao::store::snapshot::current_of(out);
    match &current {
        Some(c) => {
            outln!("current snapshot: {}", c.display());
            let years = jixiao::analytics::years_overview(c).context("reading the current snapshot")?;
            outln!("{:>6} {:>9} {:>6} {:>22} {:>8}", "year", "projects", "units", "annual budget (yuan)", "quality");
            for y in years {
                outln!(
                    "{:>6} {:>9} {:>6} {:>22} {:>8}",
                    y.year,
                    y.projects,
                    y.budget_units,
                    jixiao::report::format_yuan(y.annual_budget_yuan),
                    y.mean_quality.map_or("—".to_string(), |q| format!("{q:.1}"))
                );
            }
            outln!();
        }
        None => outln!("no snapshot published in {}", out.display()),
    }
    let runs = read_summaries(out);
    outln!(
        "{:<22} {:>6} {:>5} {:>5} {:>5} {:>5} {:>4} {:>4} {:>4} {:>8} {:>4}",
        "run",
        "files",
        "new",
        "chg",
        "same",
        "del",
        "ok",
        "part",
        "rej",
        "seconds",
        "exit"
    );
    for s in runs.iter().rev().take(10) {
        outln!(
            "{:<22} {:>6} {:>5} {:>5} {:>5} {:>5} {:>4} {:>4} {:>4} {:>8.2} {:>4}",
            s.run_id,
            s.files,
            s.new,
            s.changed,
            s.unchanged,
            s.deleted,
            s.ok,
            s.partial,
            s.rejected,
            s.elapsed_seconds,
            s.exit_status
        );
    }
    Ok(if current.is_some() { ExitStatus::Success } else { ExitStatus::Failure })
}

fn snapshots(out: &Path) -> Result<ExitStatus> {
    let current =
        jixiao::store::snapshot::current_of(out).and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
    let ids = jixiao::store::snapshot::list_snapshots(out);
    if ids.is_empty() {
        outln!("no snapshots in {}", out.display());
        return Ok(ExitStatus::Failure);
    }
    for id in ids {
        let manifest = out.join("snapshots").join(&id).join("manifest.json");
        let s: Option<Summary> = std::fs::read_to_string(&manifest).ok().and_then(|t| serde_json::from_str(&t).ok());
        let mark = if Some(&id) == current.as_ref() { "*" } else { " " };
        match s {
            Some(s) => outln!(
                "{mark} {id}  files {}  ok {}  partial {}  rejected {}  tables {}  indicators {}  new {} changed {} deleted {}",
                s.files,
                s.ok,
                s.partial,
                s.rejected,
                s.tables,
                s.indicators,
                s.new,
                s.changed,
                s.deleted
            ),
            None => outln!("{mark} {id}  (no manifest)"),
        }
    }
    outln!("read an older snapshot with read_parquet('{}/snapshots/<id>/projects/**/*.parquet')", out.display());
    Ok(ExitStatus::Success)
}

fn inspect(file: &Path, show_grid: bool) -> Result<ExitStatus> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let decoded = match jixiao::ingest::decode::decode(&bytes) {
        Ok(d) => d,
        Err(e) => {
            outln!("{}: {e}", file.display());
            return Ok(ExitStatus::Failure);
        }
    };
    let kind = jixiao::ingest::layout::sniff::sniff(&decoded.text);
    outln!(
        "encoding {} (bom {}, decode errors {}), layout {}",
        decoded.encoding,
        decoded.had_bom,
        decoded.decode_errors,
        kind.name()
    );
    // The grid the form stage reads: a text-run stream comes back regridded by the form's words.
    let grid = jixiao::ingest::layout::read(kind, &decoded.text, &jixiao::ingest::form::FormLabels).grid;
    if show_grid {
        for (i, row) in grid.rows.iter().enumerate() {
            let cells: Vec<String> =
                row.iter().map(|c| if c.merged { "⟂".to_string() } else { c.text.replace('\n', "⏎") }).collect();
            outln!("{i:>4} | {}", cells.join(" | "));
        }
    }
    let reading = jixiao::ingest::form::read(&grid);
    for (i, t) in reading.tables.iter().enumerate() {
        outln!(
            "table {i}: {} {:?} year {:?} unit {:?} dept {:?} project {:?} midterm {:?} annual {:?} period {:?}-{:?} confidence {:.2} {:?} problem {:?}",
            t.form,
            t.title,
            t.year,
            t.budget_unit,
            t.department,
            t.project_name,
            t.midterm_budget_yuan,
            t.annual_budget_yuan,
            t.midterm_start_year,
            t.midterm_end_year,
            t.parse_confidence,
            t.parse_notes,
            t.problem
        );
        outln!(
            "  midterm goal: {:?}\n  annual goal: {:?}\n  opinion: {:?}",
            t.midterm_goal,
            t.annual_goal,
            t.approval_opinion
        );
        for ind in &t.indicators {
            outln!(
                "  [{}] {} {} | {} | {} | {} = {:?}",
                ind.row_index,
                ind.horizon,
                ind.level1_code,
                ind.level1,
                ind.level2,
                ind.level3,
                ind.value
            );
        }
    }
    Ok(if reading.tables.is_empty() { ExitStatus::Failure } else { ExitStatus::Success })
}

//! Command line, `jixiao ingest` and `jixiao run`: one folder with flags, or a pipeline file.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::print::print_summary;
use super::report::{latest_year, write_report};
use super::{ExitStatus, ScaleArgs};
use jixiao::config::{self, Limits, Shard};
use jixiao::run::{self, InputSpec, Options};
use jixiao::store::parquet::Codec;

/// `jixiao ingest`: the flags' limits; every other setting at its default.
pub(super) fn ingest(
    input_dir: PathBuf,
    out: PathBuf,
    full: bool,
    limits: Limits,
    keep: usize,
    compression: Codec,
    scale: ScaleArgs,
) -> Result<ExitStatus> {
    let opts = Options {
        inputs: vec![InputSpec { root: input_dir, filter: None }],
        out,
        full,
        limits,
        keep_snapshots: keep,
        progress: true,
        shard: scale.shard.unwrap_or(Shard::ALL),
        compression,
    };
    finish_run(opts, scale.delta.as_deref(), scale.run_id)
}

/// `jixiao run`: a checked pipeline file, then its report if it asks for one.
pub(super) fn run_pipeline(
    pipeline: &Path,
    full: bool,
    shard: Option<Shard>,
    run_id: Option<String>,
) -> Result<ExitStatus> {
    let p = match config::load(pipeline) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitStatus::Error);
        }
    };
    let mut inputs = Vec::new();
    for i in &p.inputs {
        let m = i.matcher().with_context(|| format!("input {}", i.root.display()))?;
        inputs.push(InputSpec { root: i.root.clone(), filter: Some(Box::new(move |rel: &str| m.is_match(rel))) });
    }
    let opts = Options {
        inputs,
        out: p.output.dir.clone(),
        full,
        limits: p.limits,
        keep_snapshots: p.output.keep_snapshots as usize,
        progress: true,
        shard: shard.or(p.shard).unwrap_or(Shard::ALL),
        compression: p.output.compression,
    };
    let sharded = !opts.shard.is_all();
    let status = finish_run(opts, p.output.delta.as_deref(), run_id)?;
    if !p.report.enabled || status == ExitStatus::Error {
        return Ok(status);
    }
    let region = p.report.region.as_deref();
    match p.output.delta.as_deref() {
        None => {
            let data =
                jixiao::store::snapshot::current_of(&p.output.dir).context("no current snapshot after the run")?;
            let year = match p.report.year {
                Some(y) => i32::from(y),
                None => latest_year(&data).context("no year in the dataset to report on")?,
            };
            write_report(&data, year, region, &p.report.dir)?;
        }
        // A shard holds only its slice: the report of a sharded run is `jixiao report --delta`
        // after `jixiao commit` (docs/scale-out.md).
        Some(_) if sharded => {}
        Some(uri) => {
            super::commit::report(uri, p.report.year.map(i32::from), region, &p.report.dir)?;
        }
    }
    Ok(status)
}

fn finish_run(opts: Options, delta: Option<&str>, run_id: Option<String>) -> Result<ExitStatus> {
    if let Some(uri) = delta {
        return super::commit::staged_run(opts, uri, run_id);
    }
    let out = opts.out.clone();
    let summary = run::run(opts).with_context(|| format!("run into {}", out.display()))?;
    print_summary(&out, &summary);
    Ok(if summary.exit_status == 0 { ExitStatus::Success } else { ExitStatus::Failure })
}

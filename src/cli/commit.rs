//! Command line, scale-out: a shard staging into a Delta root, `jixiao commit` and `jixiao vacuum`.

use anyhow::{Context, Result, bail};

use super::ExitStatus;
use super::print::print_summary_to;
use jixiao::run::{self, Options, Staged};
use jixiao::store::delta::{self, Lake};
use jixiao::store::parquet::Codec;

/// `jixiao ingest|run --delta`: stages this process's shard; an unsharded run commits at once.
pub(super) fn staged_run(opts: Options, uri: &str, run_id: Option<String>) -> Result<ExitStatus> {
    let sharded = !opts.shard.is_all();
    let run_id = match run_id {
        Some(r) => r,
        None if sharded => {
            bail!("--run-id is required with --shard: every shard of a run and `jixiao commit` name the same run")
        }
        None => jixiao::store::snapshot::new_run_id(),
    };
    let lake = Lake::open(uri).with_context(|| format!("open Delta root {uri}"))?.with_codec(opts.compression);
    let shard = opts.shard;
    let staged = run::stage(&opts, &lake, &run_id).with_context(|| format!("stage shard {shard} of run {run_id}"))?;
    let summary = match staged {
        Staged::Already { holder } => {
            outln!("shard {shard} of run {run_id} was already staged ({holder}); nothing to do");
            return Ok(ExitStatus::Success);
        }
        Staged::Done { summary, files } => {
            let dest = format!("{}/{}", uri.trim_end_matches('/'), summary.snapshot);
            print_summary_to(&dest, &opts.out, &summary);
            outln!("  staged     {:>7} data files", files.len());
            summary
        }
    };
    if sharded {
        outln!(
            "  next       jixiao commit --delta {uri} --run-id {run_id} --shards {} (once every shard has finished)",
            shard.count
        );
    } else {
        for c in delta::commit_run(&lake, &run_id, 1).with_context(|| format!("commit run {run_id}"))? {
            outln!("  {c}");
        }
        print_stats(&lake, &run_id)?;
    }
    Ok(if summary.exit_status == 0 { ExitStatus::Success } else { ExitStatus::Failure })
}

/// `jixiao commit`: one transaction per table for the run, or nothing if it is already in.
pub(super) fn commit(uri: &str, run_id: &str, shards: u32, codec: Codec) -> Result<ExitStatus> {
    let lake = Lake::open(uri).with_context(|| format!("open Delta root {uri}"))?.with_codec(codec);
    let done = delta::commit_run(&lake, run_id, shards).with_context(|| format!("commit run {run_id}"))?;
    outln!("jixiao commit {run_id} ({shards} shards) → {uri}");
    for c in done {
        outln!("  {c}");
    }
    print_stats(&lake, run_id)?;
    Ok(ExitStatus::Success)
}

/// The stats tables follow the committed data (computed once per `files` version).
fn print_stats(lake: &Lake, run_id: &str) -> Result<()> {
    for c in run::commit_stats(lake, run_id).with_context(|| format!("stats of run {run_id}"))? {
        outln!("  {c}");
    }
    Ok(())
}

/// `jixiao report --delta`: the report of the tables' current version (of their latest year
/// when `year` is not given).
pub(super) fn report(uri: &str, year: Option<i32>, region: Option<&str>, out: &std::path::Path) -> Result<ExitStatus> {
    let lake = Lake::open(uri).with_context(|| format!("open Delta root {uri}"))?;
    let local = run::mirror_for_report(&lake, year).with_context(|| format!("read the tables of {uri}"))?;
    let year = match year {
        Some(y) => y,
        None => super::report::latest_year(local.path()).context("no year in the tables to report on")?,
    };
    super::report::write_report(local.path(), year, region, out)
}

/// `jixiao vacuum`: delta-rs' vacuum (full mode) on each table.
pub(super) fn vacuum(uri: &str, retention_hours: u32, dry_run: bool) -> Result<ExitStatus> {
    let lake = Lake::open(uri).with_context(|| format!("open Delta root {uri}"))?;
    let files = lake
        .vacuum(chrono::Duration::hours(i64::from(retention_hours)), dry_run)
        .with_context(|| format!("vacuum {uri}"))?;
    let verb = if dry_run { "would delete" } else { "deleted" };
    outln!("jixiao vacuum {uri}: {verb} {} files older than {retention_hours} h", files.len());
    for f in files.iter().take(20) {
        outln!("  {f}");
    }
    Ok(ExitStatus::Success)
}

//! Command line, `jixiao status`: the current snapshot by year and the last runs.

use std::path::Path;

use anyhow::{Context, Result};

use super::ExitStatus;
use jixiao::run::Summary;

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

pub(super) fn status(out: &Path) -> Result<ExitStatus> {
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

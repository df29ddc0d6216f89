//! Command line, `jixiao report`: the yearly report from a snapshot, also written after `jixiao run`
//! when the pipeline asks for it.

use std::path::Path;

use anyhow::{Context, Result};

use super::ExitStatus;

/// `jixiao report`: `data` is an output directory (its current snapshot is read) or a snapshot.
pub(super) fn report(data: &Path, year: i32, region: Option<&str>, out: &Path) -> Result<ExitStatus> {
    let root = jixiao::store::snapshot::current_of(data).unwrap_or_else(|| data.to_path_buf());
    write_report(&root, year, region, out)
}

pub(super) fn latest_year(root: &Path) -> Option<i32> {
    std::fs::read_dir(root.join("projects"))
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.strip_prefix("year=")?.parse().ok())
        .max()
}

pub(super) fn write_report(root: &Path, year: i32, region: Option<&str>, out: &Path) -> Result<ExitStatus> {
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
    let xlsx = out.join("report.xlsx");
    jixiao::report::write_xlsx(&data, &xlsx)?;
    outln!("report for {year}: {}, {} and {}", html.display(), md.display(), xlsx.display());
    super::print::print_units(&data);
    Ok(ExitStatus::Success)
}

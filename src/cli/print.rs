//! Command line: the one-screen summary of a run.

use std::path::Path;

use jixiao::run::Summary;

pub(super) fn print_summary(out: &Path, s: &Summary) {
    print_summary_to(&out.join("current").display().to_string(), out, s);
}

/// The summary of a run whose rows went to `dest` (a snapshot link, or a Delta manifest).
pub(super) fn print_summary_to(dest: &str, out: &Path, s: &Summary) {
    outln!("jixiao run {} → {dest}", s.run_id);
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
    let stages: Vec<String> = s
        .stage_seconds
        .iter()
        .map(|(k, v)| match s.stage_cpu_seconds.get(k) {
            Some(cpu) => format!("{k} {v:.2}s ({cpu:.2} CPU-s)"),
            None => format!("{k} {v:.2}s"),
        })
        .collect();
    outln!("  stages     {}", stages.join("  "));
    if s.peak_rss_bytes > 0 {
        let mb = |b: &u64| format!("{:.0} MB", *b as f64 / 1e6);
        let per: Vec<String> = s.stage_peak_rss_bytes.iter().map(|(k, v)| format!("{k} {}", mb(v))).collect();
        outln!("  memory     peak {}  ({})", mb(&s.peak_rss_bytes), per.join("  "));
    }
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

/// The report year's budget by unit on the terminal, as the report has it: each distinct table
/// once, with the copies left out named.
pub(super) fn print_units(d: &jixiao::analytics::ReportData) {
    const SHOWN: usize = 10;
    let t = &d.totals;
    outln!(
        "  {} budget by unit: {} units, {} projects, {} yuan ({} copies of the same tables not counted again)",
        d.year,
        t.budget_units,
        t.projects,
        jixiao::report::format_yuan(t.annual_budget_yuan),
        t.copies_collapsed
    );
    for u in d.units.iter().take(SHOWN) {
        let copies =
            if u.copies_collapsed > 0 { format!(", {} copies collapsed", u.copies_collapsed) } else { String::new() };
        let projects = if u.projects == 1 { "1 project".to_string() } else { format!("{} projects", u.projects) };
        outln!("  {:>18}  {} ({projects}{copies})", jixiao::report::format_yuan(u.annual_budget_yuan), u.budget_unit);
    }
    if d.units.len() > SHOWN {
        outln!("  {:>18}  … {} more units in the report", "", d.units.len() - SHOWN);
    }
}

//! Command line, `jixiao validate`: every problem of a pipeline file, one per line.

use std::path::Path;

use super::ExitStatus;
use jixiao::config;

pub(super) fn validate(pipeline: &Path) -> ExitStatus {
    let problems = config::validate(pipeline);
    if problems.is_empty() {
        outln!("{}: ok", pipeline.display());
        ExitStatus::Success
    } else {
        for p in &problems {
            outln!("{p}");
        }
        eprintln!("{}: {} problem(s)", pipeline.display(), problems.len());
        ExitStatus::Error
    }
}

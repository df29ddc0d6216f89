//! Stage ingest: one input file from bytes to rows — walk → decode → layout → form → value/score.

pub mod deadline;
pub mod decode;
pub mod form;
pub mod layout;
pub mod process;
#[cfg(test)]
pub(crate) mod samples;
pub mod score;
pub mod text;
pub mod value;
pub mod walk;

//! Stage ingest: one input file from bytes to rows — walk → decode → layout → form → value/score.

pub mod decode;
pub mod form;
pub mod layout;
pub mod process;
pub mod score;
pub mod text;
pub mod value;
pub mod walk;

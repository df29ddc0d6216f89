//! jixiao: scraped Chinese budget performance-target disclosures (绩效目标表) → Parquet.
//!
//! Data flows one way: [`walk`] → [`decode`] → [`layout`] → [`form`] → [`records`] →
//! [`sink`] (into a [`snapshot`]), then [`stats`] → [`report`]. [`run`] drives a run,
//! [`process`] runs the per-file stages, [`config`] reads pipeline files.

pub mod config;
pub mod convert;
pub mod decode;
pub mod form;
pub mod layout;
pub mod process;
pub mod quality;
pub mod records;
pub mod report;
pub mod run;
pub mod sink;
pub mod snapshot;
pub mod stats;
pub mod text;
pub mod walk;

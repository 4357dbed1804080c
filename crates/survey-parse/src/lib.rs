//! Reading returned questionnaires into one checked dataset, with nothing lost.
//!
//! Returns arrive as workbooks made from the template, wide workbooks exported from
//! online survey tools, JSON and JSON Lines. Each input is identified by its content,
//! vetted against hostile files ([`guard`]) before any parser sees it, read into
//! [`raw::RawReturn`]s that keep the place of every value, and checked against the
//! [`survey_def::Definition`] ([`validate`]). Every problem becomes a
//! [`Rejection`] naming file, sheet and cell (or JSON path and line), question, value
//! and rule; a run accounts for every return: received = accepted + rejected +
//! superseded.
//!
//! Called by the CLI's `ingest` command; the analysis reads the Parquet files it writes
//! (column names in [`dataset`]).
//!
//! ```no_run
//! use std::path::{Path, PathBuf};
//! use survey_parse::{collect_inputs, ingest, write_outputs, Options};
//! let def = survey_def::load(Path::new("survey-defs/spring-2024.toml")).unwrap();
//! let inputs = collect_inputs(&[PathBuf::from("sample-data/returns")]).unwrap();
//! let run = ingest(&def, &inputs, &Options::default(), &|| {}).unwrap();
//! assert_eq!(run.summary.received, run.summary.accepted + run.summary.rejected + run.summary.superseded);
//! write_outputs(&def, &run, Path::new("out/dataset")).unwrap();
//! ```

#![warn(missing_docs)]

pub mod cache;
pub mod dataset;
pub mod delimited;
pub mod guard;
mod ingest;
pub mod isolated;
pub mod json;
pub mod limits;
pub mod memory;
pub mod normalize;
pub mod output;
pub mod raw;
pub mod read;
pub mod rejection;
pub mod report;
pub mod sniff;
pub mod validate;
pub mod xlsx;

pub use cache::{Cache, FileChanges};
pub use ingest::{IngestError, Ingested, Input, Options, collect_inputs, ingest, ingest_cached, write_outputs};
pub use limits::Limits;
pub use rejection::{Location, Rejection, Rule, Severity};

//! The files labor-survey reads and writes, and the rules every writer keeps.
//!
//! - [`dataset`]: the contract between the parser that writes the checked dataset and the
//!   analysis that reads it — file names, column names (answers and provenance), and the
//!   accounting in `ingest.json`. Neither side reaches into the other; both read this.
//! - [`write`]: a file under its final name is always complete (written beside it and
//!   renamed), and is readable by whom its audience allows (published or restricted).
//! - [`read`]: a small input file read whole within a size limit, and only if it is a
//!   regular file.
//! - [`excel`]: what Excel accepts — cell text and sheet-name limits, the sheet-name rule,
//!   and how wide a text shows — for every workbook the tool writes.
//!
//! Depends on no other crate of the workspace, so the definition, parser, forms and
//! analysis crates can all use it.

#![warn(missing_docs)]

pub mod dataset;
pub mod excel;
pub mod read;
pub mod write;

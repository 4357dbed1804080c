//! Estimates and report workbooks.

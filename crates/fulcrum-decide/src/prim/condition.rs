//! Conditions over outcome columns.

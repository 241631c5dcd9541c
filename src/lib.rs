//! anskaff: a rules engine for public procurement strategy compliance.
#![allow(
    clippy::result_large_err,
    reason = "a diagnostic carries its whole explanation; errors are rare and boxing them buys nothing"
)]
pub mod api;
pub mod authoring;
pub mod check;
pub mod cli;
pub mod coverage;
pub mod cross;
pub mod diag;
pub mod engine;
pub mod eval;
pub mod explain;
pub mod finding;
pub mod generate;
pub mod input;
pub mod load;
pub mod plan;
pub mod record;
pub mod register;
pub mod report;
pub mod run;
pub mod schema;
pub mod scope;
pub mod serve;
pub(crate) mod stack;
pub mod syntax;
pub mod value;

pub use api::{Checked, LoadError, Policies};

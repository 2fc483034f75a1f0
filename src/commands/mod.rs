//! One module per subcommand. Each resolves its settings from flags and
//! config (failing before any side effect), does its work through the probes
//! and storage modules, and returns a [`crate::report::Report`]; none prints.

pub mod health;

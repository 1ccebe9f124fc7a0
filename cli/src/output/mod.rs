//! What the plugin prints: tables and values for stdout, progress for stderr.

pub mod color;
pub mod format;
pub mod plan;
pub mod progress;
pub mod structured;
pub mod table;

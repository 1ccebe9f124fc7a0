//! One module per plugin command.

pub mod create;
pub mod delete;
pub mod list;
pub mod pause;
pub mod resume;
pub mod scale;
pub mod status;
pub mod validate;

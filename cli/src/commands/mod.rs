//! One module per plugin command.

pub mod validate;

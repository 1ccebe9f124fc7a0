//! One module per plugin command.

pub mod backup;
pub mod backups;
pub mod create;
pub mod credentials;
pub mod delete;
pub mod list;
pub mod paused;
pub mod restore;
pub mod scale;
pub mod status;
pub mod store_flags;
pub mod upgrade;
pub mod validate;
pub mod version;

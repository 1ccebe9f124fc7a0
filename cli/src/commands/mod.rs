//! One module per plugin command.

pub mod alarm;
pub mod backup;
pub mod backups;
pub mod create;
pub mod credentials;
pub mod defrag;
pub mod delete;
pub mod etcdctl;
pub mod list;
pub mod logs;
pub mod move_leader;
pub mod paused;
pub mod report;
pub mod restore;
pub mod rotate_certificates;
pub mod scale;
pub mod status;
pub mod store_flags;
pub mod upgrade;
pub mod validate;
pub mod version;

//! `spec.maintenance` (defragmentation on a schedule, the recovery from a full backend) and
//! what the operator reports of it in `status.defrag` and `status.alarms`.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Annotation on an EtcdCluster asking for a defragmentation: its value is a request ID
/// (`kubectl etcd defrag` writes a timestamp). The operator carries out a request whose ID
/// differs from `status.defrag.lastRequest`.
pub const DEFRAG_REQUEST_ANNOTATION: &str = "etcd.kubectl-etcd.dev/defrag-request";
/// Annotation naming the one member a defragmentation request is for; absent: every member.
pub const DEFRAG_MEMBER_ANNOTATION: &str = "etcd.kubectl-etcd.dev/defrag-member";

/// Maintenance the operator carries out on its own: defragmentation on a schedule, and the
/// recovery from a NOSPACE alarm.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MaintenanceSpec {
    /// Defragment the members on this cron schedule (five fields, e.g. `0 3 * * *`, or
    /// `@daily`; a sixth, leading field gives seconds; times in UTC): one member at a time,
    /// followers first and the leader last, only while every member is healthy. Without
    /// it, members are defragmented only on request (`kubectl etcd defrag`) and on NOSPACE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(
        pattern = r"^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(\S+\s+){4,5}\S+)$"
    ))]
    pub defrag_schedule: Option<String>,

    /// A scheduled defragmentation skips a member whose free share of its database file
    /// (`dbSize - dbSizeInUse` over `dbSize`) is below this percentage (0 to 100, default
    /// 10): defragmenting a member blocks its reads and writes, so only do it for space.
    #[serde(default = "default_min_free_percent")]
    #[schemars(range(min = 0, max = 100))]
    pub defrag_min_free_percent: i32,

    /// When etcd raises a NOSPACE alarm, compact the history to the current revision,
    /// defragment every member (the leader last) and disarm the alarm once there is room
    /// (default true). A CORRUPT alarm is never disarmed by the operator.
    #[serde(default = "default_true")]
    pub recover_no_space: bool,
}

impl Default for MaintenanceSpec {
    fn default() -> Self {
        MaintenanceSpec {
            defrag_schedule: None,
            defrag_min_free_percent: default_min_free_percent(),
            recover_no_space: true,
        }
    }
}

fn default_min_free_percent() -> i32 {
    10
}

fn default_true() -> bool {
    true
}

/// What set a defragmentation off.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefragTrigger {
    /// A request (`kubectl etcd defrag`, the defrag-request annotation).
    Request,
    /// `spec.maintenance.defragSchedule`.
    Schedule,
    /// A NOSPACE alarm: the history is compacted first, and the alarm disarmed after.
    NoSpace,
}

/// The defragmentations of the cluster: the one under way and the last one finished.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DefragStatus {
    /// The defragmentation under way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running: Option<DefragRun>,

    /// The last defragmentation that finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<DefragRun>,

    /// When the last scheduled defragmentation started (the schedule runs next after it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_scheduled: Option<Time>,

    /// The ID of the last request (defrag-request annotation) the operator started; another
    /// ID is a new request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_request: Option<String>,
}

/// One defragmentation of the cluster's members, one member at a time.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DefragRun {
    /// The request ID (the defrag-request annotation), or a name made of the trigger and
    /// start time.
    pub id: String,

    /// What set it off.
    pub trigger: DefragTrigger,

    /// The one member to defragment; absent: every member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,

    /// When it started.
    pub started_at: Time,

    /// When it finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Time>,

    /// The revision the history was compacted to first (NOSPACE recovery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compacted_revision: Option<i64>,

    /// Members defragmented so far, in the order they were.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<MemberDefrag>,

    /// How it ended, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// One member's defragmentation.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MemberDefrag {
    /// The member.
    pub name: String,

    /// Its database file before, in bytes.
    pub before_bytes: i64,

    /// Its database file after, in bytes.
    pub after_bytes: i64,

    /// Bytes given back (`beforeBytes - afterBytes`, at least 0).
    pub reclaimed_bytes: i64,

    /// How long the member was defragmenting (its reads and writes blocked), in
    /// milliseconds.
    pub duration_ms: i64,
}

/// An etcd alarm that is raised.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AlarmStatus {
    /// The member it names.
    pub member: String,

    /// `NOSPACE` (the backend reached its quota: only reads and deletes are served) or
    /// `CORRUPT` (members' data differ: never disarmed by the operator; restore a backup).
    pub alarm: String,
}

//! Planners: pure functions from the observed state of a cluster to the safe steps that
//! bring it to the desired state. The plugin prints their plans; the operator recomputes
//! them from what it observes before each step and carries out the first one.

pub mod certificates;
pub mod defrag;
pub mod meaning;
pub mod membership;
pub mod preview;
pub mod rollout;
pub mod transport;
pub mod upgrade;

//! `kubectl-etcd`: the kubectl plugin for etcd clusters.

fn main() {}

//! Compile options shared by `compile` and `diff`.

use clap::{Args, ValueEnum};
use raycc::normalize::{Options, WorkerKind};

/// The worker workload kind flag.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum WorkerKindArg {
    /// StatefulSets (stable Pod names).
    Statefulset,
    /// Deployments.
    Deployment,
}

/// Flags that change what a RayCluster compiles to.
#[derive(Debug, Args)]
pub struct OptionsArgs {
    /// Workload kind for worker groups that do not choose one with the
    /// `raycc.io/worker-kind` annotation.
    #[arg(long, value_enum, default_value = "statefulset")]
    worker_kind: WorkerKindArg,
    /// Cluster DNS domain used in the head address of namespaced clusters.
    #[arg(long, default_value = "cluster.local", value_name = "DOMAIN")]
    cluster_domain: String,
    /// Namespace for RayClusters that set none.
    #[arg(long, value_name = "NS")]
    namespace: Option<String>,
}

impl OptionsArgs {
    /// The library options.
    pub fn to_options(&self) -> Options {
        Options {
            worker_kind: match self.worker_kind {
                WorkerKindArg::Statefulset => WorkerKind::StatefulSet,
                WorkerKindArg::Deployment => WorkerKind::Deployment,
            },
            cluster_domain: self.cluster_domain.clone(),
            default_namespace: self.namespace.clone(),
        }
    }
}

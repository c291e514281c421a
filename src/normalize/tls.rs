//! `spec.tlsOptions.enabled`: mutual TLS between the cluster's Ray processes, with a CA that
//! cert-manager makes and keeps.
//!
//! The operator (`RayClusterMTLSController`,
//! `ray-operator/controllers/ray/raycluster_mtls_controller.go`, KubeRay v1.7.0) creates a self-signed Issuer, a CA Certificate
//! signed by it, a CA Issuer, and one head and one worker Certificate whose IP SANs it keeps
//! equal to the live Pods' IPs; each Pod's `wait-for-tls-ip-san` init container waits until its
//! IP is in the certificate. Without the operator nothing would ever add a Pod's IP, so raycc
//! keeps the CA (the self-signed Issuer and the CA Certificate, named and shaped as the
//! operator's) and gives each Pod an init container that issues the Pod's own certificate from
//! that CA before anything else starts: the same SANs as the operator's certificates (`localhost`,
//! the head's address on the head, `127.0.0.1` and the Pod's IP), the same key usages and
//! lifetime. The env variables and the `ray-tls` mount at `/etc/ray/tls` are the operator's
//! (`configureTLS`, `SetContainerTLSConfig` in common/pod.go).

/// Where Ray reads its certificate, key and CA (`RayTLSCertMountPath`).
pub const TLS_MOUNT_PATH: &str = "/etc/ray/tls";
/// The volume holding the Pod's certificate (`RayTLSVolumeName`).
pub const TLS_VOLUME: &str = "ray-tls";
/// The volume holding the CA's Secret, mounted into the init container only.
pub const CA_VOLUME: &str = "ray-tls-ca";
/// Where the init container reads the CA.
pub const CA_MOUNT_PATH: &str = "/etc/ray/tls-ca";
/// The init container that issues the Pod's certificate.
pub const INIT_CONTAINER: &str = "issue-tls-cert";
/// The lifetime of a Pod's certificate, in days: the operator's leaf certificates last 2160h.
pub const LEAF_DAYS: u32 = 90;

/// The cluster's CA and what each Pod's certificate names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsPlan {
    /// The self-signed Issuer that signs the CA (`GetSelfSignedIssuerName`).
    pub self_signed_issuer: String,
    /// The CA Certificate (`GetCACertName`).
    pub ca_certificate: String,
    /// The CA's Secret, which cert-manager writes and the init containers read.
    pub ca_secret: String,
    /// The CA's common name, `ray-ca-<cluster>`.
    pub ca_common_name: String,
    /// DNS names of the head's certificates: `localhost` and the head's address, sorted.
    pub head_dns_names: Vec<String>,
    /// DNS names of the workers' certificates: `localhost`.
    pub worker_dns_names: Vec<String>,
}

/// The plan when `tlsOptions.enabled` is true. Mirrors the names and SANs of
/// `reconcileSelfSignedIssuer`, `reconcileCACertificate`, `reconcileHeadCertificate` and
/// `reconcileWorkerCertificate`. The operator suffixes the CA Secret with the RayCluster's UID,
/// which does not exist offline.
pub(super) fn plan(cluster: &str, enabled: bool, head_host: &str) -> Option<TlsPlan> {
    if !enabled {
        return None;
    }
    let mut head_dns_names = vec!["localhost".to_string(), head_host.to_string()];
    head_dns_names.sort();
    head_dns_names.dedup();
    Some(TlsPlan {
        self_signed_issuer: format!("ray-selfsigned-issuer-{cluster}"),
        ca_certificate: format!("ray-ca-certificate-{cluster}"),
        ca_secret: format!("{cluster}-ca-secret"),
        ca_common_name: format!("ray-ca-{cluster}"),
        head_dns_names,
        worker_dns_names: vec!["localhost".to_string()],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_ca_as_the_operator_does_and_the_head_by_its_address() {
        assert_eq!(plan("demo", false, "demo-head-svc"), None);
        let p = plan("demo", true, "demo-head-svc.ml.svc.cluster.local").unwrap();
        assert_eq!(p.self_signed_issuer, "ray-selfsigned-issuer-demo");
        assert_eq!(p.ca_certificate, "ray-ca-certificate-demo");
        assert_eq!(p.ca_secret, "demo-ca-secret");
        assert_eq!(p.ca_common_name, "ray-ca-demo");
        assert_eq!(
            p.head_dns_names,
            ["demo-head-svc.ml.svc.cluster.local", "localhost"]
        );
        assert_eq!(p.worker_dns_names, ["localhost"]);
    }
}

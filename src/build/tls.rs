//! Mutual TLS: the cluster's CA as cert-manager objects (a self-signed `Issuer` and the CA
//! `Certificate`), and in every Ray Pod the `issue-tls-cert` init container that issues the
//! Pod's own certificate from it, the `ray-tls` volume that holds it, and Ray's TLS variables
//! on the Ray container, the `wait-gcs-ready` init container and the autoscaler sidecar.
//!
//! The objects, variables and mounts mirror `reconcileSelfSignedIssuer`,
//! `reconcileCACertificate` (ray-operator/controllers/ray/raycluster_mtls_controller.go) and
//! `configureTLS` and `SetContainerTLSConfig` (common/pod.go, KubeRay v1.7.0). The init
//! container takes the place of the operator's `wait-for-tls-ip-san`, which waits for the
//! operator to put the Pod's IP into a shared certificate: it runs first, with the same image,
//! pull policy, security context and resources, and gives the Pod a certificate with the SANs
//! the operator's would have (see [`crate::normalize::tls`]).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Container, EmptyDirVolumeSource, PodSpec, ResourceRequirements, SecretVolumeSource, Volume,
    VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

use super::pod::{env, field_env};
use super::{CREATED_BY, LABEL_APP_NAME, LABEL_CLUSTER, LABEL_CREATED_BY};
use crate::normalize::tls::{
    CA_MOUNT_PATH, CA_VOLUME, INIT_CONTAINER, LEAF_DAYS, TLS_MOUNT_PATH, TLS_VOLUME, TlsPlan,
};
use crate::normalize::{ResolvedCluster, ResolvedGroup};
use crate::raystart::NodeType;

/// cert-manager's API version.
pub const CERT_MANAGER_API: &str = "cert-manager.io/v1";

/// A cert-manager `Issuer` (the fields raycc writes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Issuer {
    /// `cert-manager.io/v1`.
    pub api_version: String,
    /// `Issuer`.
    pub kind: String,
    /// Name, namespace, labels.
    pub metadata: ObjectMeta,
    /// A self-signed issuer.
    pub spec: IssuerSpec,
}

/// `Issuer.spec`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuerSpec {
    /// `selfSigned: {}`: certificates signed by their own key.
    pub self_signed: SelfSigned,
}

/// `selfSigned`, which takes no settings here.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SelfSigned {}

/// A cert-manager `Certificate` (the fields raycc writes).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Certificate {
    /// `cert-manager.io/v1`.
    pub api_version: String,
    /// `Certificate`.
    pub kind: String,
    /// Name, namespace, labels.
    pub metadata: ObjectMeta,
    /// The CA certificate.
    pub spec: CertificateSpec,
}

/// `Certificate.spec`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateSpec {
    /// The Secret cert-manager writes (`tls.crt`, `tls.key`, `ca.crt`).
    pub secret_name: String,
    /// A CA certificate.
    #[serde(rename = "isCA")]
    pub is_ca: bool,
    /// Subject common name.
    pub common_name: String,
    /// Key algorithm and size.
    pub private_key: PrivateKey,
    /// Lifetime, a Go duration.
    pub duration: String,
    /// How long before expiry cert-manager renews it.
    pub renew_before: String,
    /// Key usages, in cert-manager's spelling.
    pub usages: Vec<String>,
    /// The issuer that signs it.
    pub issuer_ref: IssuerRef,
}

/// `Certificate.spec.privateKey`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrivateKey {
    /// `RSA`.
    pub algorithm: String,
    /// Bits.
    pub size: u32,
}

/// `Certificate.spec.issuerRef`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IssuerRef {
    /// The Issuer's name.
    pub name: String,
    /// `Issuer`.
    pub kind: String,
    /// `cert-manager.io`.
    pub group: String,
}

/// Labels of the cert-manager objects. Mirrors `tlsResourceLabels`.
fn labels(r: &ResolvedCluster, component: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LABEL_APP_NAME.to_string(), "kuberay".to_string()),
        (LABEL_CREATED_BY.to_string(), CREATED_BY.to_string()),
        (
            "app.kubernetes.io/component".to_string(),
            component.to_string(),
        ),
        (LABEL_CLUSTER.to_string(), r.name.clone()),
    ])
}

fn metadata(r: &ResolvedCluster, name: &str, component: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: r.namespace.clone(),
        labels: Some(labels(r, component)),
        ..ObjectMeta::default()
    }
}

/// The self-signed Issuer. Mirrors `reconcileSelfSignedIssuer`.
pub(super) fn self_signed_issuer(r: &ResolvedCluster, plan: &TlsPlan) -> Issuer {
    Issuer {
        api_version: CERT_MANAGER_API.into(),
        kind: "Issuer".into(),
        metadata: metadata(r, &plan.self_signed_issuer, "selfsigned-issuer"),
        spec: IssuerSpec {
            self_signed: SelfSigned {},
        },
    }
}

/// The CA Certificate: RSA 4096, ten years, renewed 30 days before it expires. Mirrors
/// `reconcileCACertificate`.
pub(super) fn ca_certificate(r: &ResolvedCluster, plan: &TlsPlan) -> Certificate {
    Certificate {
        api_version: CERT_MANAGER_API.into(),
        kind: "Certificate".into(),
        metadata: metadata(r, &plan.ca_certificate, "ca-certificate"),
        spec: CertificateSpec {
            secret_name: plan.ca_secret.clone(),
            is_ca: true,
            common_name: plan.ca_common_name.clone(),
            private_key: PrivateKey {
                algorithm: "RSA".into(),
                size: 4096,
            },
            duration: "87600h0m0s".into(),
            renew_before: "720h0m0s".into(),
            usages: vec!["cert sign".into(), "crl sign".into()],
            issuer_ref: IssuerRef {
                name: plan.self_signed_issuer.clone(),
                kind: "Issuer".into(),
                group: "cert-manager.io".into(),
            },
        },
    }
}

/// Ray's TLS variables and the `ray-tls` mount, each unless already there. Mirrors
/// `SetContainerTLSConfig`.
pub(super) fn set_container(c: &mut Container) {
    let envs = c.env.get_or_insert_with(Vec::new);
    for (name, value) in [
        ("RAY_USE_TLS", "1".to_string()),
        ("RAY_TLS_SERVER_CERT", format!("{TLS_MOUNT_PATH}/tls.crt")),
        ("RAY_TLS_SERVER_KEY", format!("{TLS_MOUNT_PATH}/tls.key")),
        ("RAY_TLS_CA_CERT", format!("{TLS_MOUNT_PATH}/ca.crt")),
    ] {
        if !envs.iter().any(|e| e.name == name) {
            envs.push(env(name, value));
        }
    }
    let mounts = c.volume_mounts.get_or_insert_with(Vec::new);
    if !mounts
        .iter()
        .any(|m| m.name == TLS_VOLUME || m.mount_path == TLS_MOUNT_PATH)
    {
        mounts.push(VolumeMount {
            name: TLS_VOLUME.into(),
            mount_path: TLS_MOUNT_PATH.into(),
            read_only: Some(true),
            ..VolumeMount::default()
        });
    }
}

/// The Pod's part: the volumes, the `wait-gcs-ready` init container's variables and mount,
/// and the `issue-tls-cert` init container, first. Mirrors the Pod part of `configureTLS`; the
/// Ray container has its variables already (`set_container`).
pub(super) fn configure_pod(g: &ResolvedGroup, plan: &TlsPlan, spec: &mut PodSpec) {
    let volumes = spec.volumes.get_or_insert_with(Vec::new);
    volumes.push(Volume {
        name: TLS_VOLUME.into(),
        // The Pod's key never touches the node's disk.
        empty_dir: Some(EmptyDirVolumeSource {
            medium: Some("Memory".into()),
            size_limit: Some(Quantity("1Mi".into())),
        }),
        ..Volume::default()
    });
    volumes.push(Volume {
        name: CA_VOLUME.into(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(plan.ca_secret.clone()),
            ..SecretVolumeSource::default()
        }),
        ..Volume::default()
    });
    for init in spec.init_containers.iter_mut().flatten() {
        if init.name == "wait-gcs-ready" {
            set_container(init);
        }
    }
    let Some(ray) = spec.containers.first() else {
        return;
    };
    let (common_name, dns) = match g.node {
        NodeType::Head => ("ray-head", &plan.head_dns_names),
        NodeType::Worker => ("ray-worker", &plan.worker_dns_names),
    };
    let fixed = BTreeMap::from([
        ("cpu".to_string(), Quantity("50m".into())),
        ("memory".to_string(), Quantity("64Mi".into())),
    ]);
    let issue = Container {
        name: INIT_CONTAINER.into(),
        image: ray.image.clone(),
        image_pull_policy: ray.image_pull_policy.clone(),
        command: Some(vec!["sh".into(), "-c".into()]),
        args: Some(vec![issue_script(common_name, dns)]),
        security_context: ray.security_context.clone(),
        env: Some(vec![field_env("POD_IP", "status.podIP")]),
        volume_mounts: Some(vec![
            VolumeMount {
                name: TLS_VOLUME.into(),
                mount_path: TLS_MOUNT_PATH.into(),
                ..VolumeMount::default()
            },
            VolumeMount {
                name: CA_VOLUME.into(),
                mount_path: CA_MOUNT_PATH.into(),
                read_only: Some(true),
                ..VolumeMount::default()
            },
        ]),
        resources: Some(ResourceRequirements {
            limits: Some(fixed.clone()),
            requests: Some(fixed),
            ..ResourceRequirements::default()
        }),
        ..Container::default()
    };
    spec.init_containers
        .get_or_insert_with(Vec::new)
        .insert(0, issue);
}

/// The init container's script: a new RSA 2048 key and a certificate for it, signed by the
/// cluster's CA, for the Pod's IP, `127.0.0.1` and `dns`, with the operator's leaf key usages
/// (digital signature, key encipherment, server and client auth) and lifetime.
#[must_use]
pub fn issue_script(common_name: &str, dns: &[String]) -> String {
    let mut sans: Vec<String> = dns.iter().map(|d| format!("DNS:{d}")).collect();
    sans.push("IP:127.0.0.1".into());
    sans.push("IP:${POD_IP}".into());
    let sans = sans.join(", ");
    format!(
        r#"set -eu
if [ -z "${{POD_IP:-}}" ]; then
  POD_IP=$(hostname -i 2>/dev/null | awk '{{print $1}}')
fi
if ! command -v openssl >/dev/null 2>&1; then
  echo "openssl not found; cannot issue this Pod's TLS certificate" >&2
  exit 1
fi
cd {TLS_MOUNT_PATH}
cat > openssl.cnf <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = {common_name}
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = {sans}
EOF
openssl req -new -newkey rsa:2048 -nodes -keyout tls.key -config openssl.cnf -out tls.csr
openssl x509 -req -in tls.csr -CA {CA_MOUNT_PATH}/tls.crt -CAkey {CA_MOUNT_PATH}/tls.key \
  -set_serial "0x$(openssl rand -hex 16)" -days {LEAF_DAYS} -sha256 \
  -extfile openssl.cnf -extensions leaf -out tls.crt
cp {CA_MOUNT_PATH}/tls.crt ca.crt
rm -f tls.csr openssl.cnf
echo "Issued this Pod's TLS certificate for ${{POD_IP}}"
"#
    )
}

/// The cluster's objects for `r.gated.tls`: the Issuer, then the CA Certificate.
#[cfg(test)]
pub(super) fn objects(r: &ResolvedCluster) -> Option<(Issuer, Certificate)> {
    let plan = r.gated.tls.as_ref()?;
    Some((self_signed_issuer(r, plan), ca_certificate(r, plan)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(envs: &[k8s_openapi::api::core::v1::EnvVar]) -> Vec<&str> {
        envs.iter().map(|e| e.name.as_str()).collect()
    }

    #[test]
    fn sets_ray_s_tls_variables_and_mount_once() {
        let mut c = Container {
            env: Some(vec![env("RAY_USE_TLS", "0")]),
            ..Container::default()
        };
        set_container(&mut c);
        set_container(&mut c);
        assert_eq!(
            names(c.env.as_ref().unwrap()),
            [
                "RAY_USE_TLS",
                "RAY_TLS_SERVER_CERT",
                "RAY_TLS_SERVER_KEY",
                "RAY_TLS_CA_CERT"
            ]
        );
        assert_eq!(c.volume_mounts.as_ref().unwrap().len(), 1);
    }

    /// The fields of cert-manager's `cert-manager.io/v1` Issuer and Certificate that raycc
    /// writes, with their types, enums and required fields as cert-manager's CRDs
    /// (`deploy/crds/cert-manager.io_{issuers,certificates}.yaml`) define them; every other
    /// field is refused, so a field cert-manager does not know fails here.
    fn cert_manager_schema(kind: &str) -> serde_json::Value {
        let duration = serde_json::json!({"type": "string",
            "pattern": "^([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))+$"});
        let metadata = serde_json::json!({"type": "object", "additionalProperties": false,
            "required": ["name"],
            "properties": {"name": {"type": "string"}, "namespace": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}}}});
        let spec = if kind == "Issuer" {
            serde_json::json!({"type": "object", "additionalProperties": false,
                "properties": {"selfSigned": {"type": "object", "additionalProperties": false,
                    "properties": {"crlDistributionPoints": {"type": "array",
                        "items": {"type": "string"}}}}}})
        } else {
            serde_json::json!({"type": "object", "additionalProperties": false,
                "required": ["issuerRef", "secretName"],
                "properties": {
                    "secretName": {"type": "string"},
                    "isCA": {"type": "boolean"},
                    "commonName": {"type": "string", "maxLength": 64},
                    "duration": duration,
                    "renewBefore": duration,
                    "usages": {"type": "array", "items": {"type": "string", "enum": [
                        "signing", "digital signature", "content commitment", "key encipherment",
                        "key agreement", "data encipherment", "cert sign", "crl sign",
                        "encipher only", "decipher only", "any", "server auth", "client auth",
                        "code signing", "email protection", "s/mime", "ipsec end system",
                        "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing",
                        "microsoft sgc", "netscape sgc"]}},
                    "privateKey": {"type": "object", "additionalProperties": false,
                        "properties": {
                            "algorithm": {"type": "string", "enum": ["RSA", "ECDSA", "Ed25519"]},
                            "encoding": {"type": "string", "enum": ["PKCS1", "PKCS8"]},
                            "rotationPolicy": {"type": "string", "enum": ["Never", "Always"]},
                            "size": {"type": "integer"}}},
                    "issuerRef": {"type": "object", "additionalProperties": false,
                        "required": ["name"],
                        "properties": {"name": {"type": "string"}, "kind": {"type": "string"},
                            "group": {"type": "string"}}},
                    "dnsNames": {"type": "array", "items": {"type": "string"}},
                    "ipAddresses": {"type": "array", "items": {"type": "string"}}}})
        };
        serde_json::json!({"type": "object", "additionalProperties": false,
            "required": ["apiVersion", "kind", "metadata", "spec"],
            "properties": {"apiVersion": {"const": "cert-manager.io/v1"}, "kind": {"const": kind},
                "metadata": metadata, "spec": spec}})
    }

    #[test]
    fn writes_only_fields_cert_manager_knows() {
        let c = serde_json::json!({"apiVersion": "ray.io/v1", "kind": "RayCluster",
            "metadata": {"name": "demo", "namespace": "ml"},
            "spec": {"rayVersion": "2.52.0", "tlsOptions": {"enabled": true}}});
        let (r, _) = crate::normalize::normalize(
            serde_json::from_value(c).unwrap(),
            &crate::normalize::Options::default(),
        );
        let (issuer, ca) = objects(&r).unwrap();
        for (kind, value) in [
            ("Issuer", serde_json::to_value(&issuer).unwrap()),
            ("Certificate", serde_json::to_value(&ca).unwrap()),
        ] {
            let schema = cert_manager_schema(kind);
            let validator = jsonschema::validator_for(&schema).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&value)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{kind}: {errors:?}");
        }
        // cert-manager's webhook wants renewBefore shorter than the duration.
        assert_eq!(
            (ca.spec.duration.as_str(), ca.spec.renew_before.as_str()),
            ("87600h0m0s", "720h0m0s")
        );
        assert_eq!(ca.spec.issuer_ref.name, issuer.metadata.name.unwrap());
        // The schema does refuse what cert-manager does not know.
        let mut wrong = serde_json::to_value(&ca).unwrap();
        wrong["spec"]["privateKey"]["algorithm"] = "DSA".into();
        wrong["spec"]["keySize"] = 1.into();
        let schema = cert_manager_schema("Certificate");
        let validator = jsonschema::validator_for(&schema).unwrap();
        assert_eq!(validator.iter_errors(&wrong).count(), 2);
    }

    #[test]
    fn names_every_san_in_the_script() {
        let s = issue_script(
            "ray-head",
            &[
                "demo-head-svc.ml.svc.cluster.local".into(),
                "localhost".into(),
            ],
        );
        assert!(s.contains(
            "subjectAltName = DNS:demo-head-svc.ml.svc.cluster.local, DNS:localhost, IP:127.0.0.1, IP:${POD_IP}\n"
        ));
        assert!(s.contains("-days 90 "));
        assert!(s.contains("CN = ray-head\n"));
        // Kubernetes expands `$(NAME)` in args and turns `$$` into `$`: every command
        // substitution in the script has a space, so none reads as a variable reference.
        assert!(!s.contains("$$"));
        for (i, _) in s.match_indices("$(") {
            let inner = &s[i + 2..i + 2 + s[i + 2..].find(')').unwrap()];
            assert!(inner.contains(' '), "$({inner})");
        }
    }
}

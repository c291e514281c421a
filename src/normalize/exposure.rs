//! What exposes the head beyond the head Service: the dashboard Ingress
//! (`headGroupSpec.enableIngress`) and the serve Service (the `ray.io/enable-serve-service:
//! "true"` annotation).
//!
//! Both read the head's ports as the operator does (`getServicePorts`, common/service.go,
//! KubeRay v1.7.0): the Ray container's named ports (an unnamed one is `<port>-port`, and a
//! later port of the same name wins), the defaults when it has none, and `metrics: 8080` added.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::api::networking::v1::IngressTLS;

use crate::model::{PathType, RayClusterSpec};
use crate::names;
use crate::raystart;

/// The RayCluster annotation that asks for the serve Service.
pub const SERVE_SERVICE_ANNOTATION: &str = "ray.io/enable-serve-service";
/// The annotation the operator turns into the Ingress class.
pub const INGRESS_CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";

/// Annotations that say where a RayCluster came from to a tool (kustomize, kpt, Helm,
/// kubectl), not how to expose it: never copied onto the Ingress.
const TOOL_ANNOTATION_PREFIXES: [&str; 5] = [
    "config.kubernetes.io/",
    "internal.config.kubernetes.io/",
    "config.k8s.io/",
    "kustomize.config.k8s.io/",
    "postrenderer.helm.sh/",
];
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The dashboard Ingress.
#[derive(Clone, Debug, PartialEq)]
pub struct IngressPlan {
    /// `CheckName(<cluster>-head-ingress)`.
    pub name: String,
    /// The RayCluster's annotations but the class and tools' annotations.
    pub annotations: BTreeMap<String, String>,
    /// `ingressClassName`, from the `kubernetes.io/ingress.class` annotation.
    pub class_name: Option<String>,
    /// `ingressOptions.host`.
    pub host: Option<String>,
    /// `ingressOptions.path`, default `/`.
    pub path: String,
    /// `ingressOptions.pathType`, default `Prefix`.
    pub path_type: &'static str,
    /// `ingressOptions.tls`.
    pub tls: Option<Vec<IngressTLS>>,
    /// The head Service.
    pub service: String,
    /// The head's `dashboard` port, default 8265.
    pub port: i32,
}

/// The serve Service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServeServicePlan {
    /// `<cluster>-serve-svc`.
    pub name: String,
    /// The head's ports named `serve` or `serve-*`, sorted by name.
    pub ports: Vec<(String, i32)>,
    /// `headGroupSpec.serviceType`.
    pub type_: Option<String>,
}

/// The head's service ports by name. Mirrors `getServicePorts` (common/service.go).
#[must_use]
pub fn service_ports(head_template: Option<&PodTemplateSpec>) -> BTreeMap<String, i32> {
    let mut ports: BTreeMap<String, i32> = head_template
        .and_then(|t| t.spec.as_ref())
        .and_then(|s| s.containers.first())
        .and_then(|c| c.ports.as_ref())
        .into_iter()
        .flatten()
        .map(|p| {
            let name = p
                .name
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| format!("{}-port", p.container_port));
            (name, p.container_port)
        })
        .collect();
    if ports.is_empty() {
        ports = BTreeMap::from([
            ("client".to_string(), 10001),
            ("gcs-server".to_string(), 6379),
            ("dashboard".to_string(), raystart::DEFAULT_DASHBOARD_PORT),
            ("metrics".to_string(), raystart::DEFAULT_METRICS_PORT),
            ("serve".to_string(), 8000),
        ]);
    }
    ports
        .entry("metrics".to_string())
        .or_insert(raystart::DEFAULT_METRICS_PORT);
    ports
}

/// A port the serve Service exposes: `serve` or `serve-*`. Mirrors `isServingPort`.
#[must_use]
pub fn is_serving_port(name: &str) -> bool {
    name == "serve" || name.starts_with("serve-")
}

/// The RayCluster asks for the serve Service (the value is compared exactly, as the operator's
/// `reconcileServeService` does).
#[must_use]
pub fn wants_serve_service(annotations: &BTreeMap<String, String>) -> bool {
    annotations
        .get(SERVE_SERVICE_ANNOTATION)
        .is_some_and(|v| v == "true")
}

/// The Ingress when `enableIngress` is true. Mirrors `BuildIngressForHeadService`
/// (common/ingress.go, KubeRay v1.7.0).
pub(super) fn ingress(
    cluster: &str,
    spec: &RayClusterSpec,
    annotations: &BTreeMap<String, String>,
    head_service: &str,
) -> Option<IngressPlan> {
    let head = spec.head_group_spec.as_ref()?;
    if head.enable_ingress != Some(true) {
        return None;
    }
    let options = head.ingress_options.as_ref();
    let ports = service_ports(head.template.as_ref());
    Some(IngressPlan {
        name: names::check_name(&format!("{cluster}-head-ingress")),
        annotations: annotations
            .iter()
            .filter(|(k, _)| {
                k.as_str() != INGRESS_CLASS_ANNOTATION
                    && k.as_str() != LAST_APPLIED
                    && !TOOL_ANNOTATION_PREFIXES.iter().any(|p| k.starts_with(p))
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        class_name: annotations.get(INGRESS_CLASS_ANNOTATION).cloned(),
        host: options.and_then(|o| o.host.clone()),
        path: options
            .and_then(|o| o.path.clone())
            .unwrap_or_else(|| "/".to_string()),
        path_type: match options.and_then(|o| o.path_type) {
            None | Some(PathType::Prefix) => "Prefix",
            Some(PathType::Exact) => "Exact",
            Some(PathType::ImplementationSpecific) => "ImplementationSpecific",
        },
        tls: options
            .and_then(|o| o.tls.clone())
            .filter(|t| !t.is_empty()),
        service: head_service.to_string(),
        port: ports
            .get("dashboard")
            .copied()
            .unwrap_or(raystart::DEFAULT_DASHBOARD_PORT),
    })
}

/// The serve Service when the annotation asks for it. Mirrors `BuildServeServiceForRayCluster`
/// (common/service.go, KubeRay v1.7.0); the operator lists the ports in Go's map order, which
/// is unspecified, raycc by name. A cluster without a serving port never gets here: validation
/// refuses it, as the operator's reconcile fails on it.
pub(super) fn serve_service(
    cluster: &str,
    spec: &RayClusterSpec,
    annotations: &BTreeMap<String, String>,
) -> Option<ServeServicePlan> {
    if !wants_serve_service(annotations) {
        return None;
    }
    let head = spec.head_group_spec.as_ref();
    let ports: Vec<(String, i32)> = service_ports(head.and_then(|h| h.template.as_ref()))
        .into_iter()
        .filter(|(name, _)| is_serving_port(name))
        .collect();
    Some(ServeServicePlan {
        name: format!("{cluster}-serve-svc"),
        ports,
        type_: head
            .and_then(|h| h.service_type)
            .or_else(|| spec.head_service.as_ref().and_then(|s| s.type_))
            .map(|t| t.as_str().to_string()),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn spec(v: serde_json::Value) -> RayClusterSpec {
        serde_json::from_value(v).unwrap()
    }

    fn head_ports(ports: &serde_json::Value) -> RayClusterSpec {
        spec(
            json!({"headGroupSpec": {"template": {"spec": {"containers": [
            {"name": "ray-head", "ports": ports}]}}}}),
        )
    }

    #[test]
    fn reads_the_head_s_ports_as_the_operator_does() {
        let s = head_ports(
            &json!([{"containerPort": 9000}, {"containerPort": 1, "name": "serve"},
            {"containerPort": 2, "name": "serve"}]),
        );
        let ports = service_ports(s.head_group_spec.unwrap().template.as_ref());
        assert_eq!(
            ports,
            BTreeMap::from([
                ("9000-port".to_string(), 9000),
                ("metrics".to_string(), 8080),
                ("serve".to_string(), 2)
            ])
        );
        assert_eq!(service_ports(None).len(), 5);
    }

    #[test]
    fn tells_serving_ports_from_others() {
        for (name, serving) in [
            ("serve", true),
            ("serve-grpc", true),
            ("serve-http", true),
            ("server", false),
            ("dashboard", false),
            ("", false),
        ] {
            assert_eq!(is_serving_port(name), serving, "{name}");
        }
    }

    #[test]
    fn serves_the_serving_ports_sorted_with_the_head_service_type() {
        let mut s = head_ports(&json!([{"containerPort": 9000, "name": "serve-grpc"},
            {"containerPort": 8000, "name": "serve"}, {"containerPort": 8265, "name": "dashboard"}]));
        s.head_group_spec.as_mut().unwrap().service_type =
            Some(crate::model::ServiceType::NodePort);
        let on = BTreeMap::from([(SERVE_SERVICE_ANNOTATION.to_string(), "true".to_string())]);
        assert_eq!(serve_service("demo", &s, &BTreeMap::new()), None);
        let off = BTreeMap::from([(SERVE_SERVICE_ANNOTATION.to_string(), "True".to_string())]);
        assert_eq!(serve_service("demo", &s, &off), None);
        assert_eq!(
            serve_service("demo", &s, &on),
            Some(ServeServicePlan {
                name: "demo-serve-svc".into(),
                ports: vec![("serve".into(), 8000), ("serve-grpc".into(), 9000)],
                type_: Some("NodePort".into()),
            })
        );
    }

    #[test]
    fn routes_the_dashboard_with_the_options_and_the_class_annotation() {
        let s = spec(json!({"headGroupSpec": {"enableIngress": true,
            "ingressOptions": {"host": "ray.example.com", "path": "/ray", "pathType": "Exact",
                "tls": [{"hosts": ["ray.example.com"], "secretName": "ray-tls"}]},
            "template": {"spec": {"containers": [{"name": "ray-head",
                "ports": [{"containerPort": 8266, "name": "dashboard"}]}]}}}}));
        let annotations = BTreeMap::from([
            (INGRESS_CLASS_ANNOTATION.to_string(), "nginx".to_string()),
            (
                "nginx.ingress.kubernetes.io/rewrite-target".to_string(),
                "/".to_string(),
            ),
            (
                "config.kubernetes.io/path".to_string(),
                "c.yaml".to_string(),
            ),
            (LAST_APPLIED.to_string(), "{}".to_string()),
        ]);
        let i = ingress("demo", &s, &annotations, "demo-head-svc").unwrap();
        assert_eq!(i.name, "demo-head-ingress");
        assert_eq!(i.class_name.as_deref(), Some("nginx"));
        assert_eq!(
            i.annotations.keys().collect::<Vec<_>>(),
            ["nginx.ingress.kubernetes.io/rewrite-target"]
        );
        assert_eq!(
            (i.host.as_deref(), i.path.as_str(), i.path_type, i.port),
            (Some("ray.example.com"), "/ray", "Exact", 8266)
        );
        assert_eq!(i.tls.unwrap()[0].secret_name.as_deref(), Some("ray-tls"));
        // Defaults, and a name clipped as CheckName clips it.
        let s = spec(json!({"headGroupSpec": {"enableIngress": true}}));
        let long = "c".repeat(53);
        let i = ingress(&long, &s, &BTreeMap::new(), "x").unwrap();
        assert_eq!(
            (i.path.as_str(), i.path_type, i.port),
            ("/", "Prefix", 8265)
        );
        assert_eq!(i.name.len(), 50);
        assert!(i.name.ends_with("-head-ingress"));
        assert!(
            ingress(
                "demo",
                &spec(json!({"headGroupSpec": {}})),
                &BTreeMap::new(),
                "x"
            )
            .is_none()
        );
    }
}

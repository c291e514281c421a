//! The dashboard Ingress and the serve Service, from their plans. Mirrors
//! `BuildIngressForHeadService` (ray-operator/controllers/ray/common/ingress.go) and
//! `BuildServeServiceForRayCluster` (common/service.go, KubeRay v1.7.0).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, ServiceBackendPort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{CREATED_BY, LABEL_APP_NAME, LABEL_CLUSTER, LABEL_CREATED_BY, LABEL_IDENTIFIER, meta};
use crate::names;
use crate::normalize::{IngressPlan, ResolvedCluster, ServeServicePlan};

/// The Ingress to the head Service's dashboard port.
pub(super) fn ingress(r: &ResolvedCluster, plan: &IngressPlan) -> Ingress {
    let labels = BTreeMap::from([
        (LABEL_CLUSTER.to_string(), r.name.clone()),
        (
            LABEL_IDENTIFIER.to_string(),
            names::check_label(&format!("{}-head", r.name)),
        ),
        (LABEL_APP_NAME.to_string(), "kuberay".to_string()),
        (LABEL_CREATED_BY.to_string(), CREATED_BY.to_string()),
    ]);
    let path = HTTPIngressPath {
        path: Some(plan.path.clone()),
        path_type: plan.path_type.to_string(),
        backend: IngressBackend {
            service: Some(IngressServiceBackend {
                name: plan.service.clone(),
                port: Some(ServiceBackendPort {
                    number: Some(plan.port),
                    name: None,
                }),
            }),
            resource: None,
        },
    };
    Ingress {
        metadata: ObjectMeta {
            annotations: (!plan.annotations.is_empty()).then(|| plan.annotations.clone()),
            ..meta(r, &plan.name, labels)
        },
        spec: Some(IngressSpec {
            ingress_class_name: plan.class_name.clone(),
            rules: Some(vec![IngressRule {
                host: plan.host.clone(),
                http: Some(HTTPIngressRuleValue { paths: vec![path] }),
            }]),
            tls: plan.tls.clone(),
            default_backend: None,
        }),
        status: None,
    }
}

/// The serve Service: every Pod of the cluster, on the head's serving ports.
pub(super) fn serve_service(r: &ResolvedCluster, plan: &ServeServicePlan) -> Service {
    let labels = BTreeMap::from([
        ("ray.io/originated-from-cr-name".to_string(), r.name.clone()),
        (
            "ray.io/originated-from-crd".to_string(),
            "RayCluster".to_string(),
        ),
        ("ray.io/serve".to_string(), format!("{}-serve", r.name)),
    ]);
    Service {
        metadata: meta(r, &plan.name, labels),
        spec: Some(ServiceSpec {
            ports: Some(
                plan.ports
                    .iter()
                    .map(|(name, port)| ServicePort {
                        name: Some(name.clone()),
                        port: *port,
                        ..ServicePort::default()
                    })
                    .collect(),
            ),
            selector: Some(BTreeMap::from([(
                LABEL_CLUSTER.to_string(),
                r.name.clone(),
            )])),
            type_: plan.type_.clone(),
            ..ServiceSpec::default()
        }),
        status: None,
    }
}

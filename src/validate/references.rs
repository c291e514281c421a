//! Names the API server would refuse: every name raycc copies into its output (the namespace,
//! and in each Pod template the service account, container, volume and port names, and the
//! Secrets, ConfigMaps and claims it refers to) is checked by the Kubernetes rule for that
//! field, so that a file that compiles also applies. The schema checks types only; these are
//! apimachinery's validation rules (`ValidatePodSpec`, `ValidateObjectMeta`), with their
//! messages.

use k8s_openapi::api::core::v1::{Container, EnvFromSource, PodTemplateSpec, Volume};

use super::group_ptr;
use crate::codes::Code;
use crate::diagnostic::{Finding, child};
use crate::model::RayCluster;
use crate::names;

/// Which Kubernetes rule a name follows.
#[derive(Clone, Copy)]
enum Rule {
    /// DNS-1123 label: namespaces, container and volume names.
    Label,
    /// DNS-1123 subdomain: Secrets, ConfigMaps, service accounts, claims, priority classes.
    Subdomain,
    /// IANA service name: port names.
    Port,
    /// A ConfigMap or Secret key.
    Key,
}

impl Rule {
    fn error(self, value: &str) -> Option<String> {
        match self {
            Rule::Label => names::dns1123_label_error(value),
            Rule::Subdomain => names::dns1123_subdomain_error(value),
            Rule::Port => names::port_name_error(value),
            Rule::Key => names::config_key_error(value),
        }
    }

    fn help(self) -> &'static str {
        match self {
            Rule::Label => {
                "use lower case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters"
            }
            Rule::Subdomain => {
                "use lower case letters, digits, '-' and '.', starting and ending with a letter or digit"
            }
            Rule::Port => {
                "use at most 15 lower case letters, digits and single '-', with at least one letter"
            }
            Rule::Key => "use letters, digits, '-', '_' and '.'",
        }
    }
}

/// Collects the findings of one document.
struct Check<'a> {
    f: &'a mut Vec<Finding>,
}

impl Check<'_> {
    /// `what` at the pointer `ptr` gives, with this `value`, must follow `rule`. The pointer
    /// is only worked out for a name that does not.
    fn name(&mut self, ptr: impl FnOnce() -> String, what: &str, value: &str, rule: Rule) {
        if let Some(e) = rule.error(value) {
            self.f.push(
                Finding::new(
                    Code::InvalidName,
                    ptr(),
                    format!("{what} `{value}` would be refused by the API server: {e}"),
                )
                .help(rule.help()),
            );
        }
    }
}

/// Every name in the cluster that reaches the output.
pub(super) fn names(c: &RayCluster, f: &mut Vec<Finding>) {
    let mut check = Check { f };
    if let Some(ns) = c.metadata.namespace.as_deref().filter(|n| !n.is_empty()) {
        check.name(
            || "/metadata/namespace".to_owned(),
            "namespace",
            ns,
            Rule::Label,
        );
    }
    let spec = &c.spec;
    if let Some(secret) = spec
        .auth_options
        .as_ref()
        .and_then(|a| a.secret_name.as_deref())
        .filter(|s| !s.is_empty())
    {
        check.name(
            || "/spec/authOptions/secretName".to_owned(),
            "Secret name",
            secret,
            Rule::Subdomain,
        );
    }
    if let Some(storage) = spec
        .gcs_fault_tolerance_options
        .as_ref()
        .and_then(|o| o.storage.as_ref())
    {
        let at = "/spec/gcsFaultToleranceOptions/storage";
        for (field, what, value) in [
            ("claimName", "claim name", &storage.claim_name),
            (
                "storageClassName",
                "storage class name",
                &storage.storage_class_name,
            ),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                check.name(|| child(at, field), what, v, Rule::Subdomain);
            }
        }
    }
    if let Some(head) = &spec.head_group_spec
        && let Some(t) = &head.template
    {
        template(&mut check, "/spec/headGroupSpec/template", t);
    }
    for (i, g) in spec.worker_group_specs.iter().flatten().enumerate() {
        if let Some(t) = &g.template {
            template(&mut check, &child(&group_ptr(i), "template"), t);
        }
    }
}

fn template(check: &mut Check<'_>, at: &str, t: &PodTemplateSpec) {
    let Some(spec) = &t.spec else {
        return;
    };
    let at = child(at, "spec");
    if let Some(sa) = spec
        .service_account_name
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        check.name(
            || child(&at, "serviceAccountName"),
            "service account name",
            sa,
            Rule::Subdomain,
        );
    }
    if let Some(pc) = spec
        .priority_class_name
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        check.name(
            || child(&at, "priorityClassName"),
            "priority class name",
            pc,
            Rule::Subdomain,
        );
    }
    for (field, list) in [
        ("containers", Some(&spec.containers)),
        ("initContainers", spec.init_containers.as_ref()),
    ] {
        for (i, c) in list.into_iter().flatten().enumerate() {
            container(check, &child(&child(&at, field), i), c);
        }
    }
    for (i, v) in spec.volumes.iter().flatten().enumerate() {
        volume(check, &child(&child(&at, "volumes"), i), v);
    }
}

fn container(check: &mut Check<'_>, at: &str, c: &Container) {
    check.name(|| child(at, "name"), "container name", &c.name, Rule::Label);
    for (i, p) in c.ports.iter().flatten().enumerate() {
        if let Some(name) = p.name.as_deref() {
            check.name(
                || child(&child(&child(at, "ports"), i), "name"),
                "port name",
                name,
                Rule::Port,
            );
        }
    }
    for (i, e) in c.env.iter().flatten().enumerate() {
        let Some(from) = &e.value_from else {
            continue;
        };
        let at = child(&child(&child(at, "env"), i), "valueFrom");
        if let Some(s) = &from.secret_key_ref {
            let at = child(&at, "secretKeyRef");
            check.name(
                || child(&at, "name"),
                "Secret name",
                &s.name,
                Rule::Subdomain,
            );
            check.name(|| child(&at, "key"), "Secret key", &s.key, Rule::Key);
        }
        if let Some(m) = &from.config_map_key_ref {
            let at = child(&at, "configMapKeyRef");
            check.name(
                || child(&at, "name"),
                "ConfigMap name",
                &m.name,
                Rule::Subdomain,
            );
            check.name(|| child(&at, "key"), "ConfigMap key", &m.key, Rule::Key);
        }
    }
    for (i, e) in c.env_from.iter().flatten().enumerate() {
        env_from(check, &child(&child(at, "envFrom"), i), e);
    }
}

fn env_from(check: &mut Check<'_>, at: &str, e: &EnvFromSource) {
    if let Some(s) = &e.secret_ref {
        check.name(
            || child(&child(at, "secretRef"), "name"),
            "Secret name",
            &s.name,
            Rule::Subdomain,
        );
    }
    if let Some(m) = &e.config_map_ref {
        check.name(
            || child(&child(at, "configMapRef"), "name"),
            "ConfigMap name",
            &m.name,
            Rule::Subdomain,
        );
    }
}

fn volume(check: &mut Check<'_>, at: &str, v: &Volume) {
    check.name(|| child(at, "name"), "volume name", &v.name, Rule::Label);
    if let Some(name) = v.secret.as_ref().and_then(|s| s.secret_name.as_deref()) {
        check.name(
            || child(&child(at, "secret"), "secretName"),
            "Secret name",
            name,
            Rule::Subdomain,
        );
    }
    if let Some(m) = &v.config_map {
        check.name(
            || child(&child(at, "configMap"), "name"),
            "ConfigMap name",
            &m.name,
            Rule::Subdomain,
        );
    }
    if let Some(claim) = &v.persistent_volume_claim {
        check.name(
            || child(&child(at, "persistentVolumeClaim"), "claimName"),
            "claim name",
            &claim.claim_name,
            Rule::Subdomain,
        );
    }
    for (i, source) in v
        .projected
        .iter()
        .flat_map(|p| p.sources.iter().flatten())
        .enumerate()
    {
        let at = child(&child(&child(at, "projected"), "sources"), i);
        if let Some(s) = &source.secret {
            check.name(
                || child(&child(&at, "secret"), "name"),
                "Secret name",
                &s.name,
                Rule::Subdomain,
            );
        }
        if let Some(m) = &source.config_map {
            check.name(
                || child(&child(&at, "configMap"), "name"),
                "ConfigMap name",
                &m.name,
                Rule::Subdomain,
            );
        }
    }
}

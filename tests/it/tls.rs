//! Mutual TLS: the `issue-tls-cert` init container that raycc gives every Ray Pod runs for real
//! here, with `sh` and `openssl`, against a CA shaped like the one cert-manager writes (a
//! Secret with `tls.crt` and `tls.key`), and the certificate it issues must verify against that
//! CA for the Pod's IP, `127.0.0.1`, `localhost` and, on the head, the head Service's address,
//! as a TLS server and as a client. When `openssl` is absent the test prints a notice and
//! passes.

use std::fs;
use std::path::Path;
use std::process::Command;

use raycc::compile::{Input, compile};
use raycc::normalize::Options;

use crate::harness::temp_dir;

const CLUSTER: &str = r#"
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: secure
  namespace: ml
spec:
  rayVersion: "2.52.0"
  tlsOptions:
    enabled: true
  workerGroupSpecs:
  - groupName: cpu
    minReplicas: 1
    maxReplicas: 1
"#;

fn openssl(args: &[&str], dir: &Path) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The `issue-tls-cert` script of a compiled StatefulSet.
fn issue_script(name: &str) -> String {
    let out = compile(
        &[Input {
            name: "secure.yaml",
            bytes: CLUSTER.as_bytes(),
        }],
        &Options::default(),
    );
    assert!(!out.has_errors(), "{:?}", out.diagnostics);
    let sts = out
        .documents
        .values()
        .iter()
        .find(|d| d.value["kind"] == "StatefulSet" && d.value["metadata"]["name"] == name)
        .unwrap();
    let init = &sts.value["spec"]["template"]["spec"]["initContainers"][0];
    assert_eq!(init["name"], "issue-tls-cert");
    assert_eq!(init["command"], serde_json::json!(["sh", "-c"]));
    init["args"][0].as_str().unwrap().to_string()
}

#[test]
fn each_pod_issues_itself_a_certificate_its_peers_verify() {
    if Command::new("openssl").arg("version").output().is_err() {
        println!("notice: openssl not found; the TLS init container was not run");
        return;
    }
    let dir = temp_dir("tls");
    let ca = dir.join("ca");
    fs::create_dir_all(&ca).unwrap();
    // The CA, as cert-manager's CA Certificate makes it.
    let (ok, log) = openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "tls.key",
            "-out",
            "tls.crt",
            "-subj",
            "/CN=ray-ca-secure",
            "-days",
            "2",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
        &ca,
    );
    assert!(ok, "{log}");
    for (sts, ip, dns) in [
        (
            "secure-head",
            "10.1.2.3",
            Some("secure-head-svc.ml.svc.cluster.local"),
        ),
        ("secure-cpu-worker", "10.1.2.4", None),
    ] {
        let tls = dir.join(sts);
        fs::create_dir_all(&tls).unwrap();
        // The Pod's volumes, mounted where the script finds them.
        let script = issue_script(sts)
            .replace("/etc/ray/tls-ca", ca.to_str().unwrap())
            .replace("/etc/ray/tls", tls.to_str().unwrap());
        let run = Command::new("sh")
            .arg("-c")
            .arg(&script)
            .env("POD_IP", ip)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{sts}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let mut files: Vec<_> = fs::read_dir(&tls)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        assert_eq!(files, ["ca.crt", "tls.crt", "tls.key"], "{sts}");
        verify(&tls, sts, ip, dns);
    }
    let _ = fs::remove_dir_all(&dir);
}

/// The certificate in `tls` verifies for the Pod's names and no other, as server and client,
/// and its key is the one beside it.
fn verify(tls: &Path, sts: &str, ip: &str, dns: Option<&str>) {
    let mut names = vec![("-verify_ip", ip), ("-verify_ip", "127.0.0.1")];
    names.push(("-verify_hostname", "localhost"));
    if let Some(host) = dns {
        names.push(("-verify_hostname", host));
    }
    for (flag, name) in names {
        for purpose in ["sslserver", "sslclient"] {
            let (ok, log) = openssl(
                &[
                    "verify", "-CAfile", "ca.crt", "-purpose", purpose, flag, name, "tls.crt",
                ],
                tls,
            );
            assert!(ok, "{sts} {purpose} {name}: {log}");
        }
    }
    // A peer at another address is refused, and the worker does not pass for the head.
    let (ok, _) = openssl(
        &[
            "verify",
            "-CAfile",
            "ca.crt",
            "-verify_ip",
            "10.9.9.9",
            "tls.crt",
        ],
        tls,
    );
    assert!(!ok, "{sts}");
    if dns.is_none() {
        let (ok, _) = openssl(
            &[
                "verify",
                "-CAfile",
                "ca.crt",
                "-verify_hostname",
                "secure-head-svc.ml.svc.cluster.local",
                "tls.crt",
            ],
            tls,
        );
        assert!(!ok);
    }
    // The key is the certificate's.
    let (_, cert_key) = openssl(&["x509", "-in", "tls.crt", "-noout", "-pubkey"], tls);
    let (_, key) = openssl(&["pkey", "-in", "tls.key", "-pubout"], tls);
    assert_eq!(cert_key, key, "{sts}");
    let (_, text) = openssl(&["x509", "-in", "tls.crt", "-noout", "-text"], tls);
    assert!(text.contains("CA:FALSE"), "{text}");
    assert!(
        text.contains("Digital Signature, Key Encipherment"),
        "{text}"
    );
}

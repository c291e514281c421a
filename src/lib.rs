//! raycc, the RayCluster compiler.
//!
//! raycc reads KubeRay `RayCluster` documents and compiles them into plain Kubernetes objects
//! (StatefulSets, Services, HorizontalPodAutoscalers) that run the same Ray cluster without the
//! KubeRay operator. The library is a pipeline of pure stages; only the binary touches files:
//!
//! [`parse`] (bytes → spanned YAML documents) → [`validate`] (schema, then KubeRay's rules →
//! typed cluster) → [`normalize`] (every default applied) → [`build`] (Kubernetes objects) →
//! [`emit`] (deterministic YAML bytes). [`compile`] runs the pipeline over many inputs and
//! [`layout`] maps objects to files for `compile -o DIR`.

pub mod build;
pub mod codes;
pub mod compile;
pub mod diagnostic;
pub mod diff;
pub mod emit;
pub mod krm;
pub mod layout;
pub mod model;
pub mod names;
pub mod normalize;
pub mod parse;
pub mod quantity;
pub mod raystart;
pub mod report;
pub mod schema;
pub mod suggest;
pub mod validate;

//! "Did you mean ...?": the closest known name to a misspelled one, for unknown fields, enum
//! values, kinds and `ray start` flags.

/// The closest known name to `name`: the same name up to case, `_` and `-`; else the nearest
/// by edit distance (transpositions count once) within 1 edit for short names and 2 for
/// longer ones; else the shortest name that `name` is a prefix of (or the longest that is a
/// prefix of `name`), for names of at least four characters.
pub fn suggest<'a, S: AsRef<str>>(name: &str, known: &'a [S]) -> Option<&'a str> {
    let folded = fold(name);
    if let Some(same) = known.iter().find(|k| fold(k.as_ref()) == folded) {
        return Some(same.as_ref());
    }
    let length = name.chars().count();
    let budget = match length {
        0..=3 => 0,
        4..=5 => 1,
        _ => 2,
    };
    let nearest = known
        .iter()
        .map(|k| (edit_distance(&folded, &fold(k.as_ref())), k.as_ref()))
        .filter(|(d, _)| *d <= budget)
        .min_by_key(|(d, _)| *d);
    if let Some((_, k)) = nearest {
        return Some(k);
    }
    if length < 4 {
        return None;
    }
    known
        .iter()
        .map(AsRef::as_ref)
        .filter(|k| {
            let k = fold(k);
            k.len() >= 4 && (k.starts_with(&folded) || folded.starts_with(&k))
        })
        .min_by_key(|k| k.chars().count().abs_diff(length))
}

fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent
/// transpositions each cost one.
#[must_use]
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (i, cell) in d.iter_mut().step_by(width).enumerate() {
        *cell = i;
    }
    for (j, cell) in d.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_edit_distance_with_transpositions() {
        assert_eq!(edit_distance("minreplica", "minreplicas"), 1);
        assert_eq!(edit_distance("grupo", "group"), 2);
        assert_eq!(edit_distance("gropu", "group"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("abc", "abc"), 0);
    }

    #[test]
    fn suggests_by_case_spelling_and_prefix_but_not_wildly() {
        let known: Vec<String> = ["groupName", "maxReplicas", "minReplicas", "rayStartParams"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert_eq!(suggest("group_name", &known), Some("groupName"));
        assert_eq!(suggest("maxReplica", &known), Some("maxReplicas"));
        assert_eq!(suggest("rayStart", &known), Some("rayStartParams"));
        assert_eq!(suggest("foo", &known), None);
        assert_eq!(suggest("replicas", &known), None);
    }
}

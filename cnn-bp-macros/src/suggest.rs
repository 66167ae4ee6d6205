//! "Did you mean …?" for unknown keys and names.

/// Words people use for a key, mapped to the key.
const ALIASES: &[(&str, &str)] = &[
    ("learning_rate", "lr"),
    ("learningrate", "lr"),
    ("rate", "lr"),
    ("eta", "lr"),
    ("alpha", "lr"),
    ("step_size", "lr"),
    ("weights", "filter"),
    ("weight", "filter"),
    ("kernel_weights", "filter"),
    ("w", "filter"),
    ("x", "input"),
    ("image", "input"),
    ("inputs", "input"),
    ("y", "target"),
    ("t", "target"),
    ("label", "target"),
    ("labels", "target"),
    ("expected", "target"),
    ("output", "target"),
    ("targets", "target"),
    ("b", "bias"),
    ("act", "activation"),
    ("activation_fn", "activation"),
    ("nonlinearity", "activation"),
    ("cost", "loss"),
    ("loss_fn", "loss"),
    ("epochs", "steps"),
    ("iterations", "steps"),
    ("iters", "steps"),
    ("step", "steps"),
    ("strides", "stride"),
    ("kernel_size", "size"),
    ("pool_size", "size"),
    ("window", "size"),
    ("window_size", "size"),
    ("weights", "weight"),
    ("w", "weight"),
    ("maxpool", "max_pool"),
    ("maxpool2d", "max_pool"),
    ("max_pool2d", "max_pool"),
    ("avgpool", "avg_pool"),
    ("avgpool2d", "avg_pool"),
    ("avg_pool2d", "avg_pool"),
    ("mean_pool", "avg_pool"),
    ("average_pool", "avg_pool"),
    ("fc", "dense"),
    ("fully_connected", "dense"),
    ("flat", "flatten"),
    ("cross_entropy", "softmax_cross_entropy"),
    ("ce", "softmax_cross_entropy"),
    ("softmax", "softmax_cross_entropy"),
    ("crossentropy", "softmax_cross_entropy"),
    ("pad", "padding"),
    ("pads", "padding"),
    ("mode", "kernel"),
    ("conv", "kernel"),
    ("grad_at_zero", "relu_grad_at_zero"),
    ("relu_grad", "relu_grad_at_zero"),
    // Values.
    ("conv", "convolution"),
    ("corr", "correlation"),
    ("cross_correlation", "correlation"),
    ("xcorr", "correlation"),
    ("identity", "linear"),
    ("none", "linear"),
    ("logistic", "sigmoid"),
    ("leaky", "leaky_relu"),
    ("leakyrelu", "leaky_relu"),
    ("mean_squared_error", "mse"),
    ("l2", "half_sse"),
];

/// The valid word closest to `word`, if any is close enough to be a plausible typo or synonym.
pub(crate) fn nearest<'a>(word: &str, valid: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    let alias = ALIASES
        .iter()
        .filter(|(alias, _)| *alias == lower)
        .find_map(|&(_, to)| valid.iter().find(|v| **v == to));
    if let Some(found) = alias {
        return Some(found);
    }
    valid
        .iter()
        .map(|v| (distance(&lower, v), *v))
        .filter(|&(d, v)| d <= (v.len().max(lower.len()) / 3).max(1))
        .min_by_key(|&(d, _)| d)
        .map(|(_, v)| v)
}

/// Levenshtein distance over chars.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// "unknown activation `rellu`: did you mean `relu`? It must be one of …".
pub(crate) fn unknown(what: &str, name: &str, valid: &[&str]) -> String {
    let choices = list(valid);
    match nearest(name, valid) {
        Some(near) => {
            format!("unknown {what} `{name}`: did you mean `{near}`? It must be one of {choices}")
        }
        None => format!("unknown {what} `{name}`; it must be one of {choices}"),
    }
}

/// `a, b, c or d`, each in backticks.
pub(crate) fn list(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::{distance, nearest};

    const KEYS: &[&str] = &["input", "filter", "target", "lr", "bias", "activation", "steps"];

    #[test]
    fn typos_and_synonyms_find_their_key() {
        assert_eq!(nearest("learning_rate", KEYS), Some("lr"));
        assert_eq!(nearest("targte", KEYS), Some("target"));
        assert_eq!(nearest("Filter", KEYS), Some("filter"));
        assert_eq!(nearest("activaton", KEYS), Some("activation"));
        assert_eq!(nearest("epochs", KEYS), Some("steps"));
        assert_eq!(nearest("banana", KEYS), None);
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("lr", "lr"), 0);
    }
}

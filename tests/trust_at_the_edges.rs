//! Issue 9's reproductions: numbers that lie or fail their own check at large and small
//! magnitudes, values whose difference is the point printed alike, `∞` and `NaN` printed
//! without a note, and sums too long to read on one line. Each expected text was worked out
//! by hand from the spec; `scripts/check_derivation.py` and `tests/printed_precision.rs`
//! check the same rules over many more derivations.

use cnn_bp_core::{Activation, Layer, Params, train};

/// The lines of a text's sections: a section starts at a line without indentation.
fn sections(text: &str) -> Vec<Vec<&str>> {
    let mut all: Vec<Vec<&str>> = Vec::new();
    for line in text.lines() {
        if !line.starts_with(' ') || all.is_empty() {
            all.push(Vec::new());
        }
        all.last_mut().expect("a section").push(line);
    }
    all
}

/// Every section that prints `∞` or `NaN` also says, in a note, that a value is not finite.
fn no_silent_non_finite(text: &str) {
    for section in sections(text) {
        let prints = section.iter().any(|l| l.contains('∞') || l.contains("NaN"));
        let says =
            section.iter().any(|l| l.trim_start().starts_with("Note: ") && l.contains("finite"));
        assert!(!prints || says, "∞ or NaN without a note in:\n{}", section.join("\n"));
    }
}

#[test]
fn a_large_rounded_loss_is_written_with_its_power_of_ten() {
    // L = ½·4968.75² = ½·24688476.5625 = 12344238.28125, six digits 1.23442·10⁷; after the
    // update w = 4968.75 − 0.5·4968.75 = 2484.375 and L = ½·2484.375² = 3086059.5703125.
    let d = cnn_bp_core::train! {
        input: [[1]], filter: [[4968.75]], target: [[0]], lr: 0.5, activation: linear,
    };
    let text = d.to_string();
    assert!(text.contains("L = ½·(4968.75 − 0)² ≈ 1.23442·10⁷\n"), "{text}");
    assert!(text.contains("w[0,0] ← 4968.75 − 0.5·4968.75 = 2484.375\n"), "{text}");
    assert!(text.contains("L: ≈1.23442·10⁷ → ≈3.08606·10⁶ (decreased)"), "{text}");
    assert!(!text.contains("12344200") && !text.contains("3086060"));
    assert!(d.to_latex().contains(r"\approx 1.23442\times 10^{7}"));
    d.verify().expect("every printed equation follows");
}

#[test]
fn a_large_rounded_weight_is_written_with_its_power_of_ten() {
    // z = [10⁵, 1], δ = y − t = [99999, −1], ∂L/∂w = 99999·10⁵ + (−1)·1 = 9999899999,
    // w ← 1 − 0.1·9999899999 = −999989998.9, which f64 (0.1 is not exact in binary) rounds:
    // ≈ −9.99990·10⁸, the trailing zero of the mantissa dropped.
    let d = cnn_bp_core::train! { input: [[1e5, 1]], filter: [[1]], target: [[1, 2]], lr: 0.1 };
    let text = d.to_string();
    assert!(text.contains("= 99999·100000 + (−1)·1 = 9999899999\n"), "{text}");
    assert!(text.contains("w[0,0] ← 1 − 0.1·9999899999 ≈ −9.9999·10⁸\n"), "{text}");
    assert!(!text.contains("999990000"), "no trailing zeros passed off as digits");
    d.verify().expect("every printed equation follows");
}

#[test]
fn a_saturated_sigmoid_prints_y_with_the_digits_its_derivative_needs() {
    // σ(28) = 1 − 6.9144·10⁻¹³: six digits print y as 1, and 1·(1 − 1) is not 6.9·10⁻¹³.
    let d = cnn_bp_core::train! {
        input: [[28, 0], [0, 0.5]], filter: [[1]], target: [[0.5, 0.5], [0.5, 0.5]],
        lr: 0.1, activation: sigmoid,
    };
    let text = d.to_string();
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("f′(z[0,0]) = y·(1 − y) = "))
        .expect("the derivative's line");
    let y = line.split(" = ").nth(2).and_then(|rhs| rhs.split('·').next()).expect("y");
    // 1 − y to six digits needs y to 13 + 6 − 1 = 18 significant digits or so.
    let digits = y.chars().filter(char::is_ascii_digit).count();
    assert!(digits >= 18, "y printed as {y} in {line}");
    assert!(line.ends_with("≈ 6.91447·10⁻¹³"), "{line}");
    d.verify().expect("every printed equation follows");
}

#[test]
fn an_update_too_small_for_six_digits_still_shows_that_it_moved() {
    // z = 1, ∂L/∂y = 1 − 1.000000248396 = −2.48396·10⁻⁷ (to six digits), and
    // w ← 1 − 0.1·(−2.48396·10⁻⁷) = 1.0000000248396: at six digits that is 1 again.
    let d = cnn_bp_core::train! {
        input: [[1]], filter: [[1]], target: [[1.000_000_248_396]], lr: 0.1, activation: linear,
    };
    let text = d.to_string();
    assert!(text.contains("w[0,0] ← 1 − 0.1·(−2.48396·10⁻⁷) ≈ 1.00000002\n"), "{text}");
    d.verify().expect("every printed equation follows");
}

#[test]
fn values_that_differ_never_print_alike_in_the_summary() {
    // Just above η = 2/λ_max the seed's linear run diverges slowly: late rows grow large and
    // close in their first six digits.
    let x = [[1.0, -1.0, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 1.0]];
    let layer = Layer { activation: Activation::Linear, ..Layer::default() };
    let start = Params { filter: [[1.0, -1.0], [1.0, 1.0]], bias: None };
    let d = train(&layer, 0.3, 40, &x, start, &[[1.0, 0.0], [0.0, 1.0]]).expect("valid");
    let text = d.to_string();
    let table: Vec<Vec<&str>> = text
        .lines()
        .skip_while(|l| !l.contains("Summary:"))
        .skip(2)
        .map(|l| l.split_whitespace().collect())
        .collect();
    let rows = &d.trace().summary;
    assert_eq!(table.len(), rows.len() + 1, "a row per summary row, then the final one");
    for (k, pair) in rows.windows(2).enumerate() {
        let values = |row: &cnn_bp_core::Row<f64>| {
            let mut v = vec![row.loss];
            v.extend(&row.params);
            v
        };
        for (c, (a, b)) in values(&pair[0]).iter().zip(values(&pair[1])).enumerate() {
            if *a != b {
                assert_ne!(table[k][c + 1], table[k + 1][c + 1], "rows {k} and {}", k + 1);
            }
        }
    }
    d.verify().expect("every printed equation follows");
}

/// A target no activation reaches, and no loss of which is finite.
const INFINITE: [[f64; 1]; 1] = [[f64::INFINITY]];

#[test]
fn non_finite_values_always_come_with_a_note() {
    // A recipe that overflows (mistake 2 sends ∂L/∂y = −10¹⁵⁰ back through x = 10²⁰⁰).
    let d = cnn_bp_core::train! {
        input: [[1e200]], filter: [[-1]], target: [[1e150]], lr: 0.5,
        mistakes: true, check: finite_differences,
    };
    let text = d.to_string();
    assert!(text.contains("g[0,0] = (−1·10¹⁵⁰)·(1·10²⁰⁰) ≈ −∞"), "{text}");
    assert!(text.contains(
        "Note: g[0,0] = −∞ is the first value of this recipe that is not a finite number"
    ));
    no_silent_non_finite(&text);

    // A run that overflows at once: every finite-difference entry is ∞ or NaN.
    let d = cnn_bp_core::train! {
        input: [[1e300, 1e300]], filter: [[1]], target: [[1, 1]], lr: 0.5,
        activation: linear, check: finite_differences,
    };
    let text = d.to_string();
    assert!(text.contains("∂L/∂w[0,0] is not compared, as these are not finite numbers: "));
    assert!(text.contains("No entry could be compared."), "{text}");
    assert!(!text.contains("Largest difference: ∞"));
    no_silent_non_finite(&text);

    // An infinite target: no step at all, and the title says so.
    let d = cnn_bp_core::train! { input: [[1]], filter: [[1]], target: INFINITE, lr: 0.5 };
    let text = d.to_string();
    assert!(text.starts_with(
        "Training one convolutional layer: no step of gradient descent (1 asked for; a given value is not finite)\n"
    ));
    assert!(text.contains("\nResult: no step taken\n"), "{text}");
    assert!(text.contains("Note: L = ∞ is not a finite number either (the first was t[0,0] = ∞"));
    no_silent_non_finite(&text);
    d.verify().expect("every printed equation follows");
}

#[test]
fn long_sums_wrap_under_their_equals_sign() {
    // A 5×5 filter: each z and ∂L/∂w is a sum of 25 terms, about 400 characters in one line.
    let x: [[f64; 7]; 7] = std::array::from_fn(|r| std::array::from_fn(|c| (r * 7 + c) as f64));
    let w: [[f64; 5]; 5] = std::array::from_fn(|r| std::array::from_fn(|c| 0.5 - (r + c) as f64));
    let t = [[1.0; 3]; 3];
    let d =
        train(&Layer::default(), 1e-4, 1, &x, Params { filter: w, bias: None }, &t).expect("valid");
    let text = d.to_string();
    let mut continued = 0;
    let mut previous = "";
    for line in text.lines() {
        let width = line.chars().count();
        let is_sum = line.contains(" + ");
        let first_term_only = !line.trim_start().trim_start_matches("+ ").contains(" + ");
        assert!(!is_sum || width <= 120 || first_term_only, "{width} characters: {line}");
        if let Some(rest) = line.trim_start().strip_prefix("+ ") {
            continued += 1;
            // The `+` stands where the `=` of the line above stands.
            let column = line.chars().count() - rest.chars().count() - 2;
            let equals = previous.find(" = ").or_else(|| previous.find(" + "));
            let equals = equals.map(|b| previous[..b].chars().count() + 1);
            assert_eq!(Some(column), equals, "{previous}\n{line}");
        } else {
            previous = line;
        }
    }
    assert!(continued > 20, "the sums were wrapped: {continued} continuation lines");
    assert!(d.to_latex().contains("\\\\\n  &\\quad + "), "LaTeX rows break the same sums");
    d.verify().expect("every printed equation follows");
}

//! The seed question's numbers, pinned as plain assertions (each worked out by hand in the
//! question and its answer): the derivation must agree with them, not only with a snapshot.

use cnn_bp_core::train;

fn seed() -> cnn_bp_core::Derivation<2, 2, 2, 2> {
    train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.5,
    }
}

#[test]
fn the_seed_step_has_the_hand_computed_numbers() {
    let d = seed();
    assert_eq!(d.steps().len(), 1);
    let s = &d.steps()[0];
    assert_eq!(s.filter(), [[1.0, -1.0], [1.0, 1.0]]);
    assert_eq!(s.output(), [[3.0, 0.0], [-2.0, 1.0]]);
    assert_eq!(s.activated(), [[3.0, 0.0], [0.0, 1.0]]);
    assert_eq!(s.loss(), 2.0);
    assert_eq!(s.delta(), [[2.0, 0.0], [0.0, 0.0]]);
    assert_eq!(s.filter_grad(), [[2.0, -2.0], [0.0, 2.0]]);
    assert_eq!(s.bias_grad(), None);
    assert_eq!(d.filter(), [[0.0, 0.0], [1.0, 0.0]]);
    assert_eq!(d.bias(), None);
    assert_eq!(d.loss_after(), 1.5);
}

/// The asker's recipe: "error" = t − y, the gradient taken as X ⋆ error with no ReLU mask,
/// then *subtracted*. It gives their filter [[2, −2], [1, 2]], and a larger loss.
#[test]
fn the_askers_recipe_climbs_the_loss() {
    let d = seed();
    let s = &d.steps()[0];
    let x = [[1.0, -1.0, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 1.0]];
    let t = [[1.0, 0.0], [0.0, 1.0]];
    let y = s.activated();
    let mut asker = s.filter();
    for (i, row) in asker.iter_mut().enumerate() {
        for (j, w) in row.iter_mut().enumerate() {
            let grad: f64 = (0..2)
                .flat_map(|p| (0..2).map(move |q| (p, q)))
                .map(|(p, q)| (t[p][q] - y[p][q]) * x[p + i][q + j])
                .sum();
            *w -= 0.5 * grad;
        }
    }
    assert_eq!(asker, [[2.0, -2.0], [1.0, 2.0]]);

    let after_asker = train! { input: x, filter: asker, target: t, lr: 0.5 };
    assert!(after_asker.steps()[0].loss() > d.loss_after());
    assert!(after_asker.steps()[0].loss() > s.loss(), "the asker's step made things worse");
}

#[test]
fn the_printed_derivation_shows_the_three_mistakes_of_the_question() {
    let text = seed().to_string();
    // The sign: ∂L/∂y = y − t, and what "error" = t − y does when subtracted.
    assert!(text.contains("∂L/∂y[0,0] = 3 − 1 = 2"));
    assert!(text.contains("The \"error\" e = t − y is its negative"));
    // The ReLU derivative: z < 0 blocks the gradient, z = 0 is a convention.
    assert!(text.contains("f′(z[1,0]) = 0   (z[1,0] = −2 < 0)"));
    assert!(text.contains("f′(z[0,1]) = 0   (z[0,1] = 0: the convention relu_grad_at_zero = 0)"));
    assert!(text.contains("Note: z[1,0] < 0: the ReLU is off there"));
    // Every entry's arithmetic, and the result.
    assert!(text.contains("= 1·1 + (−1)·(−1) + 0·1 + 1·1 = 3"));
    assert!(text.contains("L = ½[(3 − 1)² + (0 − 0)² + (0 − 0)² + (1 − 1)²] = 2"));
    assert!(text.contains("w[0,0] ← 1 − 0.5·2 = 0"));
    assert!(text.contains("L: 2 → 1.5 (decreased)"));

    // The negative target of the answer.
    let answer = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, -1], [0, 1]],
        lr: 0.5,
    };
    assert!(answer.to_string().contains(
        "Note: t[0,1] = −1: relu never outputs a negative number, so y can never reach this target"
    ));
}

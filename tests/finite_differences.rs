//! A property test over random specs: the gradients against central finite differences of the
//! loss, the forward pass against a naive reference (explicit zero padding, explicit 180°
//! rotation), and the recorded derivation against the untraced numeric path.
//!
//! Shapes are const generics, so the random specs draw their geometry from the instantiated
//! list in `GEOMETRIES` (sizes 1 to 7, strides 1 to 3, paddings 0 to 2, square and not, some
//! leaving input rows unused); everything else (values, kernel, activation, loss, bias,
//! learning rate) is drawn per spec. Specs within reach of a ReLU kink are redrawn, since a
//! finite difference across a kink measures neither one-sided derivative.

use cnn_bp_core::{
    Activation, Extras, Kernel, Layer, Loss, Name, NoTrace, Params, Recipe, forward, loss, step,
    train_with,
};

const SPECS: usize = 1_200;
const H_STEP: f64 = 1e-6;

/// `⌊(n + 2p − k)/s⌋ + 1`, written out independently of the library.
const fn out(n: usize, k: usize, s: usize, p: usize) -> usize {
    (n + 2 * p - k) / s + 1
}

type Check = fn(&mut fastrand::Rng) -> bool;

macro_rules! geometries {
    ($(($h:literal, $w:literal, $kh:literal, $kw:literal, $sh:literal, $sw:literal, $ph:literal, $pw:literal)),* $(,)?) => {
        [$(
            (|rng: &mut fastrand::Rng| {
                check::<$h, $w, $kh, $kw, { out($h, $kh, $sh, $ph) }, { out($w, $kw, $sw, $pw) }>(
                    rng,
                    ($sh, $sw),
                    ($ph, $pw),
                )
            }) as Check
        ),*]
    };
}

const GEOMETRIES: [Check; 24] = geometries![
    (3, 3, 2, 2, 1, 1, 0, 0),
    (1, 1, 1, 1, 1, 1, 0, 0),
    (2, 3, 1, 2, 1, 1, 0, 0),
    (4, 4, 3, 3, 1, 1, 1, 1),
    (5, 5, 3, 3, 2, 2, 1, 1),
    (4, 4, 2, 2, 3, 3, 0, 0),
    (5, 4, 2, 3, 2, 1, 0, 1),
    (6, 6, 3, 3, 2, 2, 0, 0),
    (7, 7, 3, 3, 3, 3, 2, 2),
    (3, 5, 3, 1, 1, 2, 1, 0),
    (2, 2, 3, 3, 1, 1, 1, 1),
    (6, 5, 4, 2, 1, 3, 0, 2),
    (1, 6, 1, 3, 1, 2, 0, 1),
    (5, 1, 2, 1, 2, 1, 2, 0),
    (7, 4, 4, 4, 2, 1, 1, 0),
    (3, 3, 1, 1, 2, 2, 0, 0),
    (4, 6, 2, 4, 1, 1, 2, 2),
    (6, 7, 2, 2, 3, 2, 1, 0),
    (2, 4, 2, 2, 2, 2, 1, 1),
    (5, 5, 5, 5, 1, 1, 0, 0),
    (3, 4, 3, 3, 3, 3, 2, 2),
    (7, 3, 1, 3, 3, 1, 0, 0),
    (4, 5, 3, 2, 1, 2, 0, 0),
    (6, 2, 3, 2, 2, 1, 2, 1),
];

fn uniform(rng: &mut fastrand::Rng, low: f64, high: f64) -> f64 {
    low + (high - low) * rng.f64()
}

fn matrix<const C: usize, const R: usize>(
    rng: &mut fastrand::Rng,
    low: f64,
    high: f64,
) -> [[f64; C]; R] {
    std::array::from_fn(|_| std::array::from_fn(|_| uniform(rng, low, high)))
}

fn random_layer(rng: &mut fastrand::Rng, stride: (usize, usize), padding: (usize, usize)) -> Layer {
    let activation = match rng.usize(0..5) {
        0 => Activation::Relu { grad_at_zero: if rng.bool() { 1.0 } else { 0.0 } },
        1 => Activation::Linear,
        2 => Activation::Sigmoid,
        3 => Activation::Tanh,
        _ => Activation::LeakyRelu { slope: uniform(rng, 0.01, 0.5) },
    };
    let loss = [Loss::HalfSse, Loss::Sse, Loss::Mse][rng.usize(0..3)];
    let kernel = if rng.bool() { Kernel::Correlation } else { Kernel::Convolution };
    Layer { stride, padding, kernel, activation, loss }
}

/// `z` by the definition: pad, rotate, slide. Shares no code with the library.
fn reference_z<
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    layer: &Layer,
    x: &[[f64; W]; H],
    params: &Params<KH, KW>,
) -> [[f64; OW]; OH] {
    let (ph, pw) = layer.padding;
    let mut padded = vec![vec![0.0; W + 2 * pw]; H + 2 * ph];
    for (r, row) in x.iter().enumerate() {
        padded[r + ph][pw..pw + W].copy_from_slice(row);
    }
    let mut w = params.filter;
    if layer.kernel == Kernel::Convolution {
        w.reverse();
        for row in &mut w {
            row.reverse();
        }
    }
    std::array::from_fn(|p| {
        std::array::from_fn(|q| {
            let mut sum = params.bias.unwrap_or(0.0);
            for (i, w_row) in w.iter().enumerate() {
                for (j, wij) in w_row.iter().enumerate() {
                    sum += padded[p * layer.stride.0 + i][q * layer.stride.1 + j] * wij;
                }
            }
            sum
        })
    })
}

fn loss_at<
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    layer: &Layer,
    x: &[[f64; W]; H],
    params: &Params<KH, KW>,
    t: &[[f64; OW]; OH],
) -> f64 {
    let f = forward::<_, _, H, W, KH, KW, OH, OW>(layer, x, params, &mut NoTrace);
    loss(layer, &f.y, t, &mut NoTrace)
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * (1.0 + a.abs().max(b.abs()))
}

/// Draws one spec of this geometry and checks it; `false` if it was too near a kink to check.
fn check<
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    rng: &mut fastrand::Rng,
    stride: (usize, usize),
    padding: (usize, usize),
) -> bool {
    let layer = random_layer(rng, stride, padding);
    let x: [[f64; W]; H] = matrix(rng, -2.0, 2.0);
    let start = Params::<KH, KW> {
        filter: matrix(rng, -1.0, 1.0),
        bias: rng.bool().then(|| uniform(rng, -1.0, 1.0)),
    };
    let t: [[f64; OW]; OH] = matrix(rng, 0.05, 0.95);
    let lr = uniform(rng, 0.01, 0.5);
    let spec = format!("{layer:?}, x = {x:?}, start = {start:?}, t = {t:?}, lr = {lr}");

    let extras = Extras::default().finite_differences(rng.bool()).mistakes(rng.bool());
    let d = train_with(&layer, lr, 1, &x, start, &t, extras).expect("a valid random spec");
    let s = &d.steps()[0];

    // Every printed equation follows from its printed operands, in every renderer's document.
    d.verify().unwrap_or_else(|e| panic!("{e}; {spec}"));
    // Rendering is the slow part in a debug build: one spec in eight is enough to catch a
    // symbol without a LaTeX form (KaTeX checks the snapshots and a corpus in `.ci/run`).
    if rng.usize(0..8) == 0 {
        for page in [d.to_latex(), d.to_markdown()] {
            assert!(!page.contains("\\square"), "a symbol without a LaTeX form; {spec}");
        }
    }
    mistakes_are_the_recipes(&d, &layer, &spec);

    // The forward pass against the definition.
    let z: [[f64; OW]; OH] = reference_z(&layer, &x, &start);
    for (p, row) in z.iter().enumerate() {
        for (q, &want) in row.iter().enumerate() {
            let got = s.output()[p][q];
            assert!(close(got, want, 1e-12), "z[{p},{q}] = {got}, reference {want}; {spec}");
        }
    }

    // Near a kink the loss is not differentiable along the finite-difference path.
    let kinked = matches!(layer.activation, Activation::Relu { .. } | Activation::LeakyRelu { .. });
    if kinked && s.output().iter().flatten().any(|z| z.abs() < 1e-4) {
        return false;
    }

    let grad = s.filter_grad();
    // The derivation's own finite-difference section agrees wherever it compares.
    for check in &d.trace().checks {
        for e in check.entries.iter().filter(|e| e.kink.is_none()) {
            assert!(close(e.grad.value, e.central, 1e-5), "{:?}: {e:?}; {spec}", e.grad.sym);
        }
    }
    for (i, row) in grad.iter().enumerate() {
        for (j, &g) in row.iter().enumerate() {
            let mut up = start;
            let mut down = start;
            up.filter[i][j] += H_STEP;
            down.filter[i][j] -= H_STEP;
            let fd =
                (loss_at(&layer, &x, &up, &t) - loss_at(&layer, &x, &down, &t)) / (2.0 * H_STEP);
            assert!(close(g, fd, 1e-5), "∂L/∂w[{i},{j}] = {g}, finite difference {fd}; {spec}");
        }
    }
    match (start.bias, s.bias_grad()) {
        (Some(b), Some(g)) => {
            let up = Params { bias: Some(b + H_STEP), ..start };
            let down = Params { bias: Some(b - H_STEP), ..start };
            let fd =
                (loss_at(&layer, &x, &up, &t) - loss_at(&layer, &x, &down, &t)) / (2.0 * H_STEP);
            assert!(close(g, fd, 1e-5), "∂L/∂b = {g}, finite difference {fd}; {spec}");
        }
        (None, None) => {}
        other => panic!("bias and its gradient disagree: {other:?}; {spec}"),
    }

    // Recording changes nothing: the untraced step gives the very same numbers.
    let plain = step(&layer, &x, &start, &t, lr, &mut NoTrace);
    assert_eq!(plain.forward.z, s.output(), "{spec}");
    assert_eq!(plain.loss.to_bits(), s.loss().to_bits(), "{spec}");
    assert_eq!(plain.grads.filter, grad, "{spec}");
    assert_eq!(plain.next.filter, d.filter(), "{spec}");
    assert_eq!(plain.next.bias, d.bias(), "{spec}");
    true
}

/// The recipes of the mistakes section, against what each one is by definition: the sign
/// flip is `−∂L/∂W`, the flipped kernel `rot180(∂L/∂W)`, and without an activation derivative
/// a linear layer's gradient is the correct one.
fn mistakes_are_the_recipes<const KH: usize, const KW: usize, const OH: usize, const OW: usize>(
    d: &cnn_bp_core::Derivation<KH, KW, OH, OW>,
    layer: &Layer,
    spec: &str,
) {
    let grad = d.steps()[0].filter_grad();
    for mistake in &d.trace().mistakes {
        let mut g = [[f64::NAN; KW]; KH];
        for eq in &mistake.section.equations {
            if let (Name::G, Some((i, j))) = (eq.lhs.name, eq.lhs.index()) {
                g[i][j] = eq.value;
            }
        }
        for i in 0..KH {
            for j in 0..KW {
                let (got, want) = match mistake.recipe {
                    Recipe::SignFlip => (g[i][j], -grad[i][j]),
                    Recipe::FlippedKernel => (g[i][j], grad[KH - 1 - i][KW - 1 - j]),
                    _ if layer.activation == Activation::Linear => (g[i][j], grad[i][j]),
                    _ => continue,
                };
                // Equal as numbers (the sign flip of 0 is −0).
                assert_eq!(got, want, "{:?} g[{i},{j}]; {spec}", mistake.recipe);
            }
        }
    }
}

#[test]
fn gradients_match_finite_differences_on_random_specs() {
    let mut rng = fastrand::Rng::with_seed(0x00C0_FFEE);
    let (mut checked, mut near_kink) = (0, 0);
    while checked < SPECS {
        let geometry = GEOMETRIES[rng.usize(0..GEOMETRIES.len())];
        if geometry(&mut rng) {
            checked += 1;
        } else {
            near_kink += 1;
            assert!(near_kink < SPECS, "too many specs near a kink to be a fair test");
        }
    }
    println!("{checked} random specs checked, {near_kink} redrawn near a kink");
}

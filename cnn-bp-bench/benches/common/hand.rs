//! The hand-written single-layer step that `numeric.rs` (issue 4) and `network.rs` (issue 10)
//! time the core against.

/// What the hand-written step computes: the same quantities as `cnn_bp_core::StepOutcome`.
pub struct Hand<const KH: usize, const KW: usize, const OH: usize, const OW: usize> {
    pub z: [[f64; OW]; OH],
    pub y: [[f64; OW]; OH],
    pub loss: f64,
    pub delta: [[f64; OW]; OH],
    pub grad: [[f64; KW]; KH],
    pub next: [[f64; KW]; KH],
}

/// One gradient-descent step written out by hand for fixed shapes, stride `SH×SW` and zero
/// padding `PH×PW`: ReLU (f′(0) = 0), ½·Σ(y − t)², cross-correlation, no bias. Terms on the
/// padding are skipped, and every sum adds its terms in the core's order, so the results are
/// the same bits.
#[inline(never)]
#[allow(clippy::needless_range_loop)]
pub fn hand_step<
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
    const SH: usize,
    const SW: usize,
    const PH: usize,
    const PW: usize,
>(
    x: &[[f64; W]; H],
    w: &[[f64; KW]; KH],
    t: &[[f64; OW]; OH],
    lr: f64,
) -> Hand<KH, KW, OH, OW> {
    let mut z = [[0.0; OW]; OH];
    let mut y = [[0.0; OW]; OH];
    for p in 0..OH {
        for q in 0..OW {
            let mut acc = 0.0;
            for i in 0..KH {
                let r = p * SH + i;
                if r < PH || r - PH >= H {
                    continue;
                }
                for j in 0..KW {
                    let c = q * SW + j;
                    if c < PW || c - PW >= W {
                        continue;
                    }
                    acc += x[r - PH][c - PW] * w[i][j];
                }
            }
            z[p][q] = acc;
            y[p][q] = if acc < 0.0 { 0.0 } else { acc };
        }
    }
    let mut sum = 0.0;
    for p in 0..OH {
        for q in 0..OW {
            let d = y[p][q] - t[p][q];
            sum += d * d;
        }
    }
    let loss = sum / 2.0;
    let mut delta = [[0.0; OW]; OH];
    for p in 0..OH {
        for q in 0..OW {
            let slope = if z[p][q] > 0.0 { 1.0 } else { 0.0 };
            delta[p][q] = (y[p][q] - t[p][q]) * slope;
        }
    }
    let mut grad = [[0.0; KW]; KH];
    let mut next = *w;
    for i in 0..KH {
        for j in 0..KW {
            let mut acc = 0.0;
            for p in 0..OH {
                let r = p * SH + i;
                if r < PH || r - PH >= H {
                    continue;
                }
                for q in 0..OW {
                    let c = q * SW + j;
                    if c < PW || c - PW >= W {
                        continue;
                    }
                    acc += delta[p][q] * x[r - PH][c - PW];
                }
            }
            grad[i][j] = acc;
            next[i][j] = w[i][j] - lr * acc;
        }
    }
    Hand { z, y, loss, delta, grad, next }
}

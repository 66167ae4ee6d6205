//! Issue 4, part 1: the numeric path (forward, loss, backward, update; `NoTrace`) against a
//! hand-written fixed-size loop computing the same step, in the same run.
//!
//! The hand-written step knows everything at compile time (shapes, stride, padding, ReLU,
//! ½·SSE, correlation, no bias); the core gets its `Layer` through `black_box`, as `train!`
//! and `train()` hand it over at run time. Before timing, every output of the two (z, y, the
//! loss, δ, ∂L/∂W, the next filter) is asserted bit-identical.
//!
//! Run: `cargo bench --bench numeric`; `python3 scripts/bench_report.py` prints the ratios.

use std::hint::black_box;
use std::time::{Duration, Instant};

use cnn_bp_core::{NoTrace, StepOutcome, step};
use criterion::{BenchmarkId, Criterion};

mod common;
use common::Case;
#[path = "common/hand.rs"]
mod hand;
use hand::{Hand, hand_step};

fn bits<const R: usize, const C: usize>(m: &[[f64; C]; R]) -> Vec<u64> {
    m.iter().flatten().map(|v| v.to_bits()).collect()
}

fn assert_same<const KH: usize, const KW: usize, const OH: usize, const OW: usize>(
    name: &str,
    core: &StepOutcome<KH, KW, OH, OW>,
    hand: &Hand<KH, KW, OH, OW>,
) {
    assert_eq!(bits(&core.forward.z), bits(&hand.z), "{name}: z");
    assert_eq!(bits(&core.forward.y), bits(&hand.y), "{name}: y");
    assert_eq!(core.loss.to_bits(), hand.loss.to_bits(), "{name}: loss");
    assert_eq!(bits(&core.grads.delta), bits(&hand.delta), "{name}: δ");
    assert_eq!(bits(&core.grads.filter), bits(&hand.grad), "{name}: ∂L/∂W");
    assert_eq!(bits(&core.next.filter), bits(&hand.next), "{name}: next W");
    assert_eq!((core.grads.bias, core.next.bias), (None, None), "{name}: no bias");
}

fn compare<
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
    c: &mut Criterion,
    case: &Case<H, W, KH, KW, OH, OW>,
) {
    assert_eq!((case.layer.stride, case.layer.padding), ((SH, SW), (PH, PW)));
    let core = step(&case.layer, &case.x, &case.params, &case.t, case.lr, &mut NoTrace);
    let hand = hand_step::<H, W, KH, KW, OH, OW, SH, SW, PH, PW>(
        &case.x,
        &case.params.filter,
        &case.t,
        case.lr,
    );
    assert_same(case.name, &core, &hand);
    let core_once = || {
        step(
            black_box(&case.layer),
            black_box(&case.x),
            black_box(&case.params),
            black_box(&case.t),
            black_box(case.lr),
            &mut NoTrace,
        )
    };
    let hand_once = || {
        hand_step::<H, W, KH, KW, OH, OW, SH, SW, PH, PW>(
            black_box(&case.x),
            black_box(&case.params.filter),
            black_box(&case.t),
            black_box(case.lr),
        )
    };

    if let Ok(only) = std::env::var("NUMERIC_CALLGRIND") {
        // Instruction counts instead of times: run one case's two sides `iters` times each
        // through a function of its own, for `valgrind --tool=callgrind` (BENCHMARKS.md).
        let (name, iters) = only.split_once(':').expect("NUMERIC_CALLGRIND=<case>:<iterations>");
        if name == case.name {
            let iters: u32 = iters.parse().expect("NUMERIC_CALLGRIND=<case>:<iterations>");
            callgrind_core(case, iters);
            callgrind_hand::<H, W, KH, KW, OH, OW, SH, SW, PH, PW>(case, iters);
        }
        return;
    }
    paired_ratio(case.name, &core_once, &hand_once);
    let mut group = c.benchmark_group("numeric");
    group.bench_function(BenchmarkId::new("core", case.name), |b| b.iter(core_once));
    group.bench_function(BenchmarkId::new("hand", case.name), |b| b.iter(hand_once));
    group.finish();
}

/// The core's time over the hand-written loop's, as the median of 101 ratios of batches run
/// back to back (core, hand, core, hand, …): a load that comes and goes while criterion
/// times one side and then the other shifts criterion's ratio, but hardly these. Printed,
/// and appended to `<target>/criterion/numeric_paired.csv`.
fn paired_ratio<A, B>(name: &str, core: &impl Fn() -> A, hand: &impl Fn() -> B) {
    // A batch of about 200 µs of the hand-written loop.
    let start = Instant::now();
    let mut calibrate = 0u32;
    while start.elapsed() < Duration::from_millis(20) {
        black_box(hand());
        calibrate += 1;
    }
    let batch = (calibrate / 100).max(1);
    let time = |f: &dyn Fn()| {
        let start = Instant::now();
        for _ in 0..batch {
            f();
        }
        start.elapsed().as_secs_f64()
    };
    let mut ratios: Vec<f64> = (0..101)
        .map(|_| {
            let c = time(&|| drop(black_box(core())));
            let h = time(&|| drop(black_box(hand())));
            c / h
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    let (median, q1, q3) = (ratios[50], ratios[25], ratios[75]);
    println!("numeric/paired/{name}: core/hand = {median:.3} (quartiles {q1:.3}–{q3:.3})");
    let path = criterion_dir().join("numeric_paired.csv");
    let line = format!("{name},{median},{q1},{q3}\n");
    let mut csv = std::fs::read_to_string(&path).unwrap_or_default();
    csv.push_str(&line);
    std::fs::create_dir_all(criterion_dir())
        .and_then(|()| std::fs::write(&path, csv))
        .expect("write numeric_paired.csv");
}

/// Where criterion keeps its results.
fn criterion_dir() -> std::path::PathBuf {
    common::criterion_dir()
}

#[inline(never)]
fn callgrind_core<
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    case: &Case<H, W, KH, KW, OH, OW>,
    iters: u32,
) {
    for _ in 0..iters {
        black_box(step(
            black_box(&case.layer),
            black_box(&case.x),
            black_box(&case.params),
            black_box(&case.t),
            black_box(case.lr),
            &mut NoTrace,
        ));
    }
}

#[inline(never)]
fn callgrind_hand<
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
    case: &Case<H, W, KH, KW, OH, OW>,
    iters: u32,
) {
    for _ in 0..iters {
        black_box(hand_step::<H, W, KH, KW, OH, OW, SH, SW, PH, PW>(
            black_box(&case.x),
            black_box(&case.params.filter),
            black_box(&case.t),
            black_box(case.lr),
        ));
    }
}

fn main() {
    // The paired ratios of this run replace those of the last one.
    let _ = std::fs::remove_file(criterion_dir().join("numeric_paired.csv"));
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .configure_from_args();
    compare::<3, 3, 2, 2, 2, 2, 1, 1, 0, 0>(&mut c, &common::seed());
    compare::<8, 8, 3, 3, 6, 6, 1, 1, 0, 0>(&mut c, &common::generated("8x8_3x3", 1, 0));
    compare::<28, 28, 5, 5, 24, 24, 1, 1, 0, 0>(&mut c, &common::generated("28x28_5x5", 1, 0));
    compare::<28, 28, 5, 5, 14, 14, 2, 2, 2, 2>(&mut c, &common::generated("28x28_5x5_s2p2", 2, 2));
    c.final_summary();
}

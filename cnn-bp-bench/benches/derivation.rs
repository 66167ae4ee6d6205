//! Issue 4, part 2: the whole derivation (trace recorded, text rendered) and its memory.
//!
//! For each size it times `train(..)` alone (`derivation/trace`) and `train(..)` followed by
//! `.to_string()` (`derivation/total`), and, before timing, measures what the derivation
//! holds: the number of printed terms, the bytes of the trace and of the text. Those figures
//! are printed and written to `<target>/criterion/derivation_sizes.csv`, where
//! `scripts/bench_report.py` joins them with the times.
//!
//! Run: `cargo bench --bench derivation`.

use std::fmt::Write as _;
use std::hint::black_box;
use std::mem::size_of;
use std::time::Duration;

use cnn_bp_core::{Equation, Expr, Grid, Section, Term, Trace, train};
use criterion::{BenchmarkId, Criterion, SamplingMode};

mod common;
use common::Case;

/// What one derivation holds.
struct Sizes {
    /// Equations in the trace (each is at least one printed line).
    equations: usize,
    /// Printed terms: the terms of every sum (each printed with its names and then with its
    /// numbers), plus one per equation that is not a sum (an activation, a slope, an update).
    terms: usize,
    /// Heap and inline bytes of the trace, see [`trace_bytes`].
    trace_bytes: usize,
    /// Bytes of the rendered text (UTF-8).
    text_bytes: usize,
    /// Lines of the rendered text.
    text_lines: usize,
}

fn grid_bytes(g: &Grid<f64>) -> usize {
    let (r, c) = g.shape();
    r * c * size_of::<f64>()
}

fn section_bytes(s: &Section<f64>) -> usize {
    s.equations.capacity() * size_of::<Equation<f64>>()
        + s.equations
            .iter()
            .map(|e| match &e.expr {
                Expr::Sum { terms, .. } => terms.capacity() * size_of::<Term<f64>>(),
                _ => 0,
            })
            .sum::<usize>()
}

/// `size_of::<Trace>()`, the given matrices' entries, and per section the equation vector's
/// capacity × `size_of::<Equation>()` plus each sum's term vector capacity ×
/// `size_of::<Term>()`. Allocator overhead is not counted.
fn trace_bytes(t: &Trace<f64>) -> usize {
    size_of::<Trace<f64>>()
        + grid_bytes(&t.given.input)
        + grid_bytes(&t.given.filter)
        + grid_bytes(&t.given.target)
        + t.steps.capacity() * size_of::<Section<f64>>()
        + t.steps.iter().map(section_bytes).sum::<usize>()
        + section_bytes(&t.after)
}

fn sizes<
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    case: &Case<H, W, KH, KW, OH, OW>,
) -> Sizes {
    let d = train(&case.layer, case.lr, 1, &case.x, case.params, &case.t).expect("valid");
    let text = d.to_string();
    let t = d.trace();
    let equations = t.steps.iter().chain([&t.after]).flat_map(|s| &s.equations);
    let (mut count, mut terms) = (0, 0);
    for e in equations {
        count += 1;
        terms += match &e.expr {
            Expr::Sum { terms, .. } => terms.len(),
            _ => 1,
        };
    }
    Sizes {
        equations: count,
        terms,
        trace_bytes: trace_bytes(t),
        text_bytes: text.len(),
        text_lines: text.lines().count(),
    }
}

fn bench<
    const H: usize,
    const W: usize,
    const KH: usize,
    const KW: usize,
    const OH: usize,
    const OW: usize,
>(
    c: &mut Criterion,
    case: &Case<H, W, KH, KW, OH, OW>,
    csv: &mut String,
) {
    if let Ok(only) = std::env::var("DERIVATION_CALLGRIND") {
        // Instruction counts instead of times, for `valgrind --tool=callgrind`: one case's
        // `train` and `to_string`, `iters` times (BENCHMARKS.md).
        let (name, iters) = only.split_once(':').expect("DERIVATION_CALLGRIND=<case>:<iterations>");
        if name == case.name {
            for _ in 0..iters.parse::<u32>().expect("DERIVATION_CALLGRIND=<case>:<iterations>") {
                let d = train(&case.layer, case.lr, 1, &case.x, case.params, &case.t);
                black_box(d.expect("valid").to_string());
            }
        }
        return;
    }
    let s = sizes(case);
    println!(
        "{:<16} {:>7} equations {:>8} terms {:>10} trace bytes {:>10} text bytes {:>7} lines",
        case.name, s.equations, s.terms, s.trace_bytes, s.text_bytes, s.text_lines
    );
    writeln!(
        csv,
        "{},{},{},{},{},{}",
        case.name, s.equations, s.terms, s.trace_bytes, s.text_bytes, s.text_lines
    )
    .unwrap();

    let mut group = c.benchmark_group("derivation");
    if s.terms > 1_000 {
        // Milliseconds per iteration: equal-sized samples, fewer of them.
        group.sampling_mode(SamplingMode::Flat).sample_size(20);
    }
    let run = || {
        train(
            black_box(&case.layer),
            black_box(case.lr),
            1,
            black_box(&case.x),
            black_box(case.params),
            black_box(&case.t),
        )
        .expect("valid")
    };
    group.bench_function(BenchmarkId::new("trace", case.name), |b| b.iter(run));
    group.bench_function(BenchmarkId::new("total", case.name), |b| b.iter(|| run().to_string()));
    group.finish();
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .configure_from_args();
    let mut csv = String::from("size,equations,terms,trace_bytes,text_bytes,text_lines\n");
    bench(&mut c, &common::seed(), &mut csv);
    bench::<8, 8, 3, 3, 6, 6>(&mut c, &common::generated("8x8_3x3", 1, 0), &mut csv);
    bench::<16, 16, 4, 4, 13, 13>(&mut c, &common::generated("16x16_4x4", 1, 0), &mut csv);
    bench::<28, 28, 5, 5, 14, 14>(&mut c, &common::generated("28x28_5x5_s2p2", 2, 2), &mut csv);
    bench::<28, 28, 5, 5, 24, 24>(&mut c, &common::generated("28x28_5x5", 1, 0), &mut csv);
    c.final_summary();

    let dir = common::criterion_dir();
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("derivation_sizes.csv"), csv))
        .expect("write derivation_sizes.csv");
}

//! Issue 4, part 2: the whole derivation (trace recorded, text rendered) and its memory; issue
//! 11, part 7: the same for one step of the LeNet-like network (`cnn_bp_bench::lenet`).
//!
//! For each size it times `train(..)` alone (`derivation/trace`) and `train(..)` followed by
//! `.to_string()` (`derivation/total`), and, before timing, measures what the derivation
//! holds: the number of printed terms, the bytes of the trace and of the text. Those figures
//! are printed and written to `<target>/criterion/derivation_sizes.csv`, where
//! `scripts/bench_report.py` joins them with the times.
//!
//! The LeNet-like network's derivation (`lenet`): `network::train_network_with` with one step
//! (`derivation/trace/lenet`), followed by `.to_string()` (`derivation/total/lenet`), by
//! `.to_latex()` (`derivation/latex/lenet`) or by `.to_markdown()` (`derivation/markdown/lenet`);
//! its equations, printed terms, trace bytes (counted as above over every section of the run,
//! plus the run's record of the input and of the parameters before and after the step) and
//! the bytes and lines of each rendering go to `derivation_lenet.csv`.
//! `DERIVATION_CASES=<case>,…` runs only those cases (`lenet`, `3x3_2x2`, …).
//!
//! Run: `cargo bench --bench derivation`.

use std::fmt::Write as _;
use std::hint::black_box;
use std::mem::size_of;
use std::time::Duration;

use cnn_bp_bench::lenet;
use cnn_bp_core::network::{NetDerivation, train_network_with};
use cnn_bp_core::{Equation, Expr, Extras, Grid, Operand, Section, Term, Trace, train};
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
                Expr::Max { of, .. } => of.capacity() * size_of::<Operand<f64>>(),
                Expr::CrossEntropy { terms } => terms.capacity() * size_of::<[Operand<f64>; 2]>(),
                _ => 0,
            })
            .sum::<usize>()
}

/// The printed terms of an equation: a sum's, a maximum's or a cross-entropy's operands, or 1.
fn terms_of(e: &Equation<f64>) -> usize {
    match &e.expr {
        Expr::Sum { terms, .. } => terms.len(),
        Expr::Max { of, .. } => of.len(),
        Expr::CrossEntropy { terms } => terms.len(),
        _ => 1,
    }
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
        terms += terms_of(e);
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
    if skipped(case.name) {
        return;
    }
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

/// Whether `DERIVATION_CASES` (a comma-separated list) leaves `name` out.
fn skipped(name: &str) -> bool {
    std::env::var("DERIVATION_CASES").is_ok_and(|cases| !cases.split(',').any(|c| c == name))
}

/// One step of the LeNet-like network, recorded.
fn lenet_derivation(start: &[f64]) -> NetDerivation<f64> {
    let (net, x) = (black_box(lenet::net()), [black_box(lenet::input())]);
    let objective = black_box(lenet::objective());
    train_network_with(net, start, &x, objective, Some(lenet::LR), 1, Extras::default())
        .expect("a valid network")
}

/// Issue 11: the whole derivation of one LeNet-like step, its time and size in three formats.
fn lenet_case(c: &mut Criterion) {
    let name = "lenet";
    if skipped(name) {
        return;
    }
    let start = lenet::Params::start().flat();
    if let Ok(only) = std::env::var("DERIVATION_CALLGRIND") {
        // As `bench`: `train_network_with` and `to_string`, `iters` times.
        let (case, iters) = only.split_once(':').expect("DERIVATION_CALLGRIND=<case>:<iterations>");
        if case == name {
            for _ in 0..iters.parse::<u32>().expect("DERIVATION_CALLGRIND=<case>:<iterations>") {
                black_box(lenet_derivation(&start).to_string());
            }
        }
        return;
    }
    let d = lenet_derivation(&start);
    let sections: Vec<&Section<f64>> = d.sections().iter().chain([d.after()]).collect();
    let equations: usize = sections.iter().map(|s| s.equations.len()).sum();
    let terms: usize = sections.iter().flat_map(|s| &s.equations).map(terms_of).sum();
    // The sections as `trace_bytes` counts a single layer's, plus the run's record of the
    // input and of the parameters before and after the step.
    let trace_bytes = size_of::<NetDerivation<f64>>()
        + size_of_val(d.sections())
        + (lenet::H0 * lenet::H0 + 2 * lenet::PARAMS) * size_of::<f64>()
        + sections.iter().map(|s| section_bytes(s)).sum::<usize>();
    let (text, latex, markdown) = (d.to_string(), d.to_latex(), d.to_markdown());
    // The derivation is of the step the other benchmarks time: its next parameters are those.
    let mut params = start.clone();
    let mut buffers = cnn_bp_core::network::NetBuffers::new(&lenet::net());
    let x = [lenet::input()];
    cnn_bp_core::network::net_step(
        &lenet::net(),
        &mut params,
        &x,
        &lenet::objective(),
        lenet::LR,
        &mut buffers,
    );
    let after: Vec<f64> = d.named_parameters().into_iter().flat_map(|(_, _, v)| v).collect();
    assert_eq!(after, params, "the derivation's next parameters are net_step's");
    println!(
        "{name:<16} {equations:>7} equations {terms:>8} terms {trace_bytes:>10} trace bytes; \
         text {} bytes, {} lines; LaTeX {} bytes, {} lines; Markdown {} bytes, {} lines",
        text.len(),
        text.lines().count(),
        latex.len(),
        latex.lines().count(),
        markdown.len(),
        markdown.lines().count(),
    );
    let csv = format!(
        "size,equations,terms,trace_bytes,text_bytes,text_lines,latex_bytes,latex_lines,markdown_bytes,markdown_lines\n\
         {name},{equations},{terms},{trace_bytes},{},{},{},{},{},{}\n",
        text.len(),
        text.lines().count(),
        latex.len(),
        latex.lines().count(),
        markdown.len(),
        markdown.lines().count(),
    );
    let dir = common::criterion_dir();
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("derivation_lenet.csv"), csv))
        .expect("write derivation_lenet.csv");
    drop((d, text, latex, markdown));

    let mut group = c.benchmark_group("derivation");
    // Tenths of a second per iteration: equal-sized samples, criterion's fewest.
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    group.bench_function(BenchmarkId::new("trace", name), |b| b.iter(|| lenet_derivation(&start)));
    group.bench_function(BenchmarkId::new("total", name), |b| {
        b.iter(|| lenet_derivation(&start).to_string());
    });
    group.bench_function(BenchmarkId::new("latex", name), |b| {
        b.iter(|| lenet_derivation(&start).to_latex());
    });
    group.bench_function(BenchmarkId::new("markdown", name), |b| {
        b.iter(|| lenet_derivation(&start).to_markdown());
    });
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
    lenet_case(&mut c);
    c.final_summary();

    if csv.lines().count() > 1 {
        let dir = common::criterion_dir();
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(dir.join("derivation_sizes.csv"), csv))
            .expect("write derivation_sizes.csv");
    }
}

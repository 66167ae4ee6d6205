//! Issue 12: exact arithmetic (`Rational`) against `f64`, the same runs in the same process.
//!
//! Three cases, each computed once in `f64` and once in [`Rational`] through the same code:
//!
//! - `seed`: the README's seed question (input `[[1,−1,0],[0,1,0],[0,−1,1]]`, filter
//!   `[[1,−1],[1,1]]`, target `[[1,0],[0,1]]`, relu, ½·SSE, no bias), lr 1/2, one step;
//! - `seed_10`: the same spec, lr 1/4, ten steps;
//! - `net_4`: a two-layer network (two channels in, conv 2×2 with two filters and a bias,
//!   relu, conv 1×1 on the two channels, ½·SSE), lr 1/50, four steps. Its fractions about
//!   triple their digits at every step (a gradient is a product of both layers' weights), so
//!   ten exact steps take tens of seconds: `EXACT_GROWTH_STEPS=10` times them once, step by
//!   step (see [`growth`]), outside criterion.
//!
//! Three measures of each: `numeric`, the steps alone with `NoTrace` (`step` for one layer,
//! `network::net_step` for the network, the loop a caller writes); `trace`, `train` (or
//! `train_network`) recording the derivation; `total`, `train` then `.to_string()`, the
//! whole derivation.
//!
//! Before anything is timed, every case's values are checked: the exact run's losses, next
//! parameters and (single layer) every step's output, δ and ∂L/∂W, rounded to `f64`, agree
//! with the float run's to 1e-12 relative (exactly where the float run is exact), the
//! exact text says `=` everywhere and `verify()` passes, and the exact losses and final
//! parameters are those of an independent computation in Python's `fractions` (the seed's
//! loss goes 2 → 3/2).
//! Then it prints, for the exact run, the largest numerator and denominator (decimal digits)
//! among every value the run's accessors give (each step's z, y, δ, ∂L/∂W, loss and starting
//! parameters, the final parameters and loss), and whether all of them fit an `i64`.
//!
//! Measures, as in `numeric.rs`: the **paired ratio** exact/float (rounds of a batch of the
//! exact run then a batch of the float run, each of about 1 ms, the median of the rounds'
//! ratios and its quartiles, with each side's median time per run), and criterion's medians
//! (`exact/<measure>/<scalar>/<case>`). Results go to `<target>/criterion/exact.csv`.
//!
//! At the end it prints the process's peak resident memory (every `Rational` beyond `i64`
//! lives for the rest of the process, so `net_4`'s runs add up) and the share of its time
//! spent waiting for a CPU (on a shared machine, what criterion's long samples count).
//!
//! `EXACT_CALLGRIND=<case>:<measure>:<scalar>:<runs>` runs one side `runs` times and nothing
//! else, for `valgrind --tool=callgrind` (`scripts/exact_instructions.sh`; where the exact
//! time goes); `EXACT_CASES=<case>,…` runs only those cases; `EXACT_PAIRED_ONLY=1` skips
//! criterion, `EXACT_CHECK_ONLY=1` every timing.
//!
//! Run: `cargo bench --bench exact -- --warm-up-time 1 --measurement-time 3`.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use cnn_bp_core::network::{NetBuffers, NetDerivation, Objective, net_step, train_network};
use cnn_bp_core::ops::{Activate, Chain, Conv, Correlate, Geometry, Relu};
use cnn_bp_core::{Derivation, Layer, Loss, NoTrace, Params, Rational, Scalar, step, train};
use criterion::{BenchmarkId, Criterion, SamplingMode};

#[allow(dead_code)] // shared with the other benchmarks, which use all of it
mod common;

// ---------------------------------------------------------------------------------------------
// The cases

/// One convolutional layer's run: the seed question's shapes.
struct Single<S> {
    lr: S,
    steps: usize,
    x: [[S; 3]; 3],
    start: Params<2, 2, S>,
    t: [[S; 2]; 2],
}

fn matrix<S: Scalar, const R: usize, const C: usize>(m: [[f64; C]; R]) -> [[S; C]; R] {
    // `from_f64` is the literal as written: 0.25 is 1/4 in `Rational`.
    m.map(|row| row.map(S::from_f64))
}

/// The seed question with learning rate `lr` for `steps` steps.
fn seed<S: Scalar>(lr: f64, steps: usize) -> Single<S> {
    Single {
        lr: S::from_f64(lr),
        steps,
        x: matrix(common::SEED_X),
        start: Params { filter: matrix(common::SEED_W), bias: None },
        t: matrix(common::SEED_T),
    }
}

type Plain = Geometry<1, 1, 0, 0, 1, 1>;
type Map<S, const C: usize, const H: usize, const W: usize> = [[[S; W]; H]; C];
/// Conv 2×2 (two channels in, two filters, a bias each), relu, conv 1×1 on the two channels.
type Net<S> = Chain<
    Chain<Conv<2, 3, 3, 2, 2, 2, 2, 2, Plain, Correlate>, Activate<Relu, Map<S, 2, 2, 2>>>,
    Conv<2, 2, 2, 1, 1, 1, 2, 2, Plain, Correlate>,
>;

/// The network's run: `tests/network_snapshots.rs`'s `two_channels_two_filters_with_bias`,
/// with its own learning rate and number of steps.
struct Network<S> {
    net: Net<S>,
    lr: S,
    steps: usize,
    x: Map<S, 2, 3, 3>,
    start: Vec<S>,
    objective: Objective<S>,
}

fn network<S: Scalar>(lr: f64, steps: usize) -> Network<S> {
    #[rustfmt::skip]
    let start = [
        1.0, 0.0, 0.0, 1.0,   1.0, 1.0, 0.0, 0.0,
        0.0, 1.0, 1.0, 0.0,   0.0, 0.0, 1.0, 1.0,
        0.5, -0.5,
        1.0, 1.0,
    ];
    let x = [
        [[1.0, 0.0, 2.0], [0.0, 1.0, 0.0], [2.0, 0.0, 1.0]],
        [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]],
    ];
    Network {
        net: Chain(Chain(Conv::new(true), Activate::new(Relu::default())), Conv::new(false)),
        lr: S::from_f64(lr),
        steps,
        x: x.map(matrix),
        start: start.map(S::from_f64).to_vec(),
        objective: Objective::Loss {
            loss: Loss::HalfSse,
            target: [1.0, 0.0, 0.0, 1.0].map(S::from_f64).to_vec(),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// The runs

/// The steps with `NoTrace`: the final filter.
fn single_numeric<S: Scalar>(c: &Single<S>) -> [[S; 2]; 2] {
    let layer = black_box(Layer::default());
    let mut params = black_box(c.start);
    for _ in 0..c.steps {
        params =
            step(&layer, black_box(&c.x), &params, black_box(&c.t), black_box(c.lr), &mut NoTrace)
                .next;
    }
    params.filter
}

fn single_trace<S: Scalar>(c: &Single<S>) -> Derivation<2, 2, 2, 2, S> {
    let layer = black_box(Layer::default());
    train(&layer, black_box(c.lr), c.steps, black_box(&c.x), black_box(c.start), black_box(&c.t))
        .expect("a valid spec")
}

/// The steps with `NoTrace` in `buffers` (allocated once, as a caller would), from the start.
fn net_numeric<S: Scalar>(c: &Network<S>, params: &mut [S], buffers: &mut NetBuffers<S>) {
    params.copy_from_slice(black_box(&c.start));
    for _ in 0..c.steps {
        net_step(
            black_box(&c.net),
            params,
            black_box(&c.x),
            black_box(&c.objective),
            black_box(c.lr),
            buffers,
        );
    }
}

fn net_trace<S: Scalar + Send + Sync>(c: &Network<S>) -> NetDerivation<S> {
    train_network(
        black_box(c.net),
        black_box(&c.start),
        black_box(&c.x),
        black_box(c.objective.clone()),
        Some(black_box(c.lr)),
        c.steps,
    )
    .expect("a valid network")
}

// ---------------------------------------------------------------------------------------------
// What the runs hold

/// The largest numerator and denominator among some exact values, in decimal digits, and
/// whether every one fits an `i64` (then `Rational` computed it inline, unless an operation
/// on the way overflowed).
#[derive(Default)]
struct Digits {
    values: usize,
    numerator: usize,
    denominator: usize,
    all_i64: bool,
    largest: Option<Rational>,
}

impl Digits {
    fn new() -> Self {
        Self { all_i64: true, ..Self::default() }
    }

    fn add(&mut self, values: impl IntoIterator<Item = Rational>) {
        for v in values {
            let (n, d) = (v.numerator(), v.denominator());
            self.values += 1;
            self.all_i64 &= n.bits() < 64 && d.bits() < 64;
            let (nd, dd) = (n.magnitude().to_string().len(), d.to_string().len());
            if nd + dd > self.largest.map_or(0, Rational::digits) {
                self.largest = Some(v);
            }
            self.numerator = self.numerator.max(nd);
            self.denominator = self.denominator.max(dd);
        }
    }
}

fn flat<const R: usize, const C: usize>(m: [[Rational; C]; R]) -> impl Iterator<Item = Rational> {
    m.into_iter().flatten()
}

fn single_digits(d: &Derivation<2, 2, 2, 2, Rational>) -> Digits {
    let mut digits = Digits::new();
    for s in d.steps() {
        digits.add(s.named_parameters().into_iter().flat_map(|(_, _, v)| v));
        digits.add(flat(s.output()).chain(flat(s.activated())).chain(flat(s.delta())));
        digits.add(flat(s.filter_grad()).chain([s.loss()]));
    }
    digits.add(flat(d.filter()).chain([d.loss_after()]));
    digits
}

fn net_digits(d: &NetDerivation<Rational>) -> Digits {
    let mut digits = Digits::new();
    for s in d.steps() {
        digits.add(s.named_parameters().into_iter().flat_map(|(_, _, v)| v));
        digits.add(s.named_grads().into_iter().flat_map(|(_, _, v)| v));
        digits.add(s.layer_outputs().into_iter().flat_map(|(_, v)| v));
        digits.add(s.input_grads().into_iter().flat_map(|(_, v)| v));
        digits.add([s.loss()]);
    }
    digits.add(d.named_parameters().into_iter().flat_map(|(_, _, v)| v));
    digits
}

/// `exact`, rounded to `f64`, is `float` to 1e-12 relative; returns whether exactly.
fn agree(
    what: &str,
    exact: impl IntoIterator<Item = Rational>,
    float: impl IntoIterator<Item = f64>,
) -> bool {
    let (exact, float): (Vec<f64>, Vec<f64>) =
        (exact.into_iter().map(f64::from).collect(), float.into_iter().collect());
    assert_eq!(exact.len(), float.len(), "{what}: as many values");
    for (k, (e, f)) in exact.iter().zip(&float).enumerate() {
        assert!((e - f).abs() <= 1e-12 * e.abs().max(f.abs()), "{what}[{k}]: exact {e}, float {f}");
    }
    // As numbers: the float run's −0 (a dead relu's δ) is the exact run's 0.
    exact == float
}

fn flat_f64<const R: usize, const C: usize>(m: [[f64; C]; R]) -> impl Iterator<Item = f64> {
    m.into_iter().flatten()
}

/// The exact text says `=` everywhere (`≈` only in the decimals given beside the loss), and
/// its every equation checks.
fn check_exact_text(name: &str, text: &str, verified: Result<impl Sized, impl std::fmt::Display>) {
    for line in text.lines() {
        let line = line.split("; in decimals ").next().unwrap_or_default();
        assert!(!line.contains('≈'), "{name}: an exact derivation never says ≈: {line}");
    }
    if let Err(e) = verified {
        panic!("{name}: {e}");
    }
}

/// A single-layer run's losses, final loss and final filter, as fractions: computed
/// independently, with Python's `fractions` (the loop of the README's step, written out).
struct Expected {
    losses: &'static [&'static str],
    after: &'static str,
    filter: [&'static str; 4],
}

/// The seed question, lr 1/2, one step: `L: 2 → 3/2`, the filter `[[0, 0], [1, 0]]` (README).
const SEED: Expected = Expected { losses: &["2"], after: "3/2", filter: ["0", "0", "1", "0"] };

/// The seed question, lr 1/4, ten steps.
const SEED_10: Expected = Expected {
    losses: &[
        "2",
        "3/4",
        "77/128",
        "989/2048",
        "5905/32768",
        "43541/524288",
        "382265/8388608",
        "3430781/134217728",
        "30867425/2147483648",
        "277797221/34359738368",
    ],
    after: "2500165385/549755813888",
    filter: ["373565/524288", "40005/524288", "55359/262144", "226109/524288"],
};

/// The network's learning rate: small enough that it trains for ten steps in float (the loss
/// falls from 34 to 0.019) where the snapshot's 1/10 kills every relu in the second step.
const NET_LR: f64 = 0.02;

/// The network's run, computed independently with Python's `fractions` (the two
/// convolutions and the relu written out): every step's loss, the last parameter after the
/// run, and the largest numerator and denominator among the final parameters, in digits.
struct NetExpected {
    losses: &'static [&'static str],
    last: &'static str,
    digits: (usize, usize),
}

/// The network, lr 1/50, four steps.
const NET_4: NetExpected = NetExpected {
    losses: &[
        "34",
        "411121/1562500",
        "2583751166908214199289/14901161193847656250000",
        concat!(
            "383545158735022824608287468758372855323499228174791343325303659108289/",
            "3231174267785264354966440203398292396741453558206558227539062500000000"
        ),
    ],
    last: concat!(
        "816623478887238642861323199668839690947630654406656/",
        "5293955920339377119177015629247762262821197509765625"
    ),
    digits: (52, 53),
};

/// Checks the two runs of a single-layer case against each other; what the exact one holds.
fn check_single(
    name: &str,
    exact: &Single<Rational>,
    float: &Single<f64>,
    expected: &Expected,
) -> (Digits, String) {
    let (de, df) = (single_trace(exact), single_trace(float));
    assert_eq!(de.steps().len(), df.steps().len(), "{name}: every step taken");
    let losses: Vec<String> = de.steps().iter().map(|s| s.loss().to_string()).collect();
    assert_eq!(losses, expected.losses, "{name}: every step's loss");
    assert_eq!(de.loss_after().to_string(), expected.after, "{name}: the final loss");
    let filter: Vec<String> = flat(de.filter()).map(|v| v.to_string()).collect();
    assert_eq!(filter, expected.filter, "{name}: the final filter");
    let mut identical = true;
    for (k, (se, sf)) in de.steps().iter().zip(df.steps()).enumerate() {
        let at = format!("{name}, step {}", k + 1);
        identical &= agree(&format!("{at}: z"), flat(se.output()), flat_f64(sf.output()));
        identical &= agree(&format!("{at}: δ"), flat(se.delta()), flat_f64(sf.delta()));
        identical &=
            agree(&format!("{at}: ∂L/∂W"), flat(se.filter_grad()), flat_f64(sf.filter_grad()));
        identical &= agree(&format!("{at}: L"), [se.loss()], [sf.loss()]);
    }
    identical &= agree(&format!("{name}: final W"), flat(de.filter()), flat_f64(df.filter()));
    identical &= agree(&format!("{name}: final L"), [de.loss_after()], [df.loss_after()]);
    assert_eq!(
        flat(single_numeric(exact)).collect::<Vec<_>>(),
        flat(de.filter()).collect::<Vec<_>>(),
        "{name}: NoTrace's filter"
    );
    let text = de.to_string();
    check_exact_text(name, &text, de.verify());
    let float_text = df.to_string();
    let note = format!(
        "{name}: exact and float agree{}; text {} bytes exact, {} float{}",
        if identical { " exactly" } else { " to 1e-12 (float rounds)" },
        text.len(),
        float_text.len(),
        if float_text.contains('≈') { " (float says ≈)" } else { "" },
    );
    (single_digits(&de), note)
}

fn check_network(
    name: &str,
    exact: &Network<Rational>,
    float: &Network<f64>,
    expected: &NetExpected,
) -> (Digits, String) {
    let (de, df) = (net_trace(exact), net_trace(float));
    assert_eq!(de.steps().len(), df.steps().len(), "{name}: every step taken");
    let losses: Vec<String> = de.steps().iter().map(|s| s.loss().to_string()).collect();
    assert_eq!(losses, expected.losses, "{name}: every step's loss");
    let mut identical = true;
    for (k, (se, sf)) in de.steps().iter().zip(df.steps()).enumerate() {
        let at = format!("{name}, step {}", k + 1);
        identical &= agree(&format!("{at}: L"), [se.loss()], [sf.loss()]);
        let ge = se.named_grads().into_iter().flat_map(|(_, _, v)| v);
        let gf = sf.named_grads().into_iter().flat_map(|(_, _, v)| v);
        identical &= agree(&format!("{at}: gradients"), ge, gf);
    }
    let pe: Vec<Rational> = de.named_parameters().into_iter().flat_map(|(_, _, v)| v).collect();
    assert_eq!(
        pe.last().map(ToString::to_string).as_deref(),
        Some(expected.last),
        "{name}: w⁽²⁾[0,1,0,0]"
    );
    let mut final_digits = Digits::new();
    final_digits.add(pe.iter().copied());
    assert_eq!(
        (final_digits.numerator, final_digits.denominator),
        expected.digits,
        "{name}: the final parameters' digits"
    );
    let pf = df.named_parameters().into_iter().flat_map(|(_, _, v)| v);
    identical &= agree(&format!("{name}: final parameters"), pe.iter().copied(), pf);
    let mut params = exact.start.clone();
    net_numeric(exact, &mut params, &mut NetBuffers::new(&exact.net));
    assert_eq!(params, pe, "{name}: net_step's parameters");
    let text = de.to_string();
    check_exact_text(name, &text, de.verify());
    let float_text = df.to_string();
    let note = format!(
        "{name}: exact and float agree{}; text {} bytes exact, {} float{}",
        if identical { " exactly" } else { " to 1e-12 (float rounds)" },
        text.len(),
        float_text.len(),
        if float_text.contains('≈') { " (float says ≈)" } else { "" },
    );
    (net_digits(&de), note)
}

// ---------------------------------------------------------------------------------------------
// Timing

/// The paired ratio exact/float: rounds of a batch of the exact run then a batch of the float
/// run, each batch of about 1 ms (at least one run). The median of the rounds'
/// ratios and its quartiles, and each side's median time per run.
struct Paired {
    median: f64,
    q1: f64,
    q3: f64,
    exact: f64,
    float: f64,
}

fn paired(exact: &mut dyn FnMut(), float: &mut dyn FnMut()) -> Paired {
    // Each side's batch: as many runs as take about 1 ms (at least one), so that a round
    // costs about 2 ms however slow the exact side is.
    let batch = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        let mut runs = 0u32;
        while start.elapsed() < Duration::from_millis(10) {
            f();
            runs += 1;
        }
        (runs / 10).max(1)
    };
    let (exact_batch, float_batch) = (batch(exact), batch(float));
    let time = |f: &mut dyn FnMut(), batch: u32| {
        let start = Instant::now();
        for _ in 0..batch {
            f();
        }
        start.elapsed().as_secs_f64() / f64::from(batch)
    };
    let rounds = 51;
    let (mut ratios, mut exact_times, mut float_times) = (vec![], vec![], vec![]);
    for _ in 0..rounds {
        let e = time(exact, exact_batch);
        let f = time(float, float_batch);
        ratios.push(e / f);
        exact_times.push(e);
        float_times.push(f);
    }
    for v in [&mut ratios, &mut exact_times, &mut float_times] {
        v.sort_by(f64::total_cmp);
    }
    Paired {
        median: ratios[rounds / 2],
        q1: ratios[rounds / 4],
        q3: ratios[3 * rounds / 4],
        exact: exact_times[rounds / 2],
        float: float_times[rounds / 2],
    }
}

/// Seconds as µs or ms.
fn time(s: f64) -> String {
    if s < 1e-3 { format!("{:.2} µs", s * 1e6) } else { format!("{:.3} ms", s * 1e3) }
}

/// A measure of one case: its name and the two sides, exact first.
struct Measure<'a> {
    name: &'static str,
    exact: Box<dyn FnMut() + 'a>,
    float: Box<dyn FnMut() + 'a>,
}

fn run_case(
    c: &mut Criterion,
    case: &str,
    slow: bool,
    mut measures: Vec<Measure<'_>>,
    csv: &mut String,
) {
    if let Ok(only) = std::env::var("EXACT_CALLGRIND") {
        let parts: Vec<&str> = only.split(':').collect();
        let [name, measure, scalar, runs] = parts[..] else {
            panic!("EXACT_CALLGRIND=<case>:<measure>:<scalar>:<runs>");
        };
        if name == case {
            let runs: u32 = runs.parse().expect("EXACT_CALLGRIND's runs");
            let m = measures.iter_mut().find(|m| m.name == measure).expect("a measure");
            let side = if scalar == "rational" { &mut m.exact } else { &mut m.float };
            callgrind_runs(side, runs);
        }
        return;
    }
    if std::env::var_os("EXACT_CHECK_ONLY").is_some() {
        return;
    }
    for m in &mut measures {
        let p = paired(&mut m.exact, &mut m.float);
        println!(
            "exact/paired/{}/{case}: exact/float = {:.2} (quartiles {:.2}–{:.2}); exact {}, float {}",
            m.name,
            p.median,
            p.q1,
            p.q3,
            time(p.exact),
            time(p.float)
        );
        writeln!(
            csv,
            "paired,{case},{},{},{},{},{},{}",
            m.name, p.median, p.q1, p.q3, p.exact, p.float
        )
        .expect("a String");
    }
    if std::env::var_os("EXACT_PAIRED_ONLY").is_some() {
        return;
    }
    let mut group = c.benchmark_group("exact");
    if slow {
        // Milliseconds a run: equal-sized samples, fewer of them.
        group.sampling_mode(SamplingMode::Flat).sample_size(20);
    }
    for m in &mut measures {
        group.bench_function(BenchmarkId::new(format!("{}/rational", m.name), case), |b| {
            b.iter(&mut m.exact);
        });
        group.bench_function(BenchmarkId::new(format!("{}/f64", m.name), case), |b| {
            b.iter(&mut m.float);
        });
    }
    group.finish();
}

/// `runs` runs of one side, in a function of its own whose inclusive instruction count
/// `scripts/exact_instructions.sh` reads.
#[inline(never)]
fn callgrind_runs(side: &mut dyn FnMut(), runs: u32) {
    for _ in 0..runs {
        side();
    }
}

/// Whether `EXACT_CASES` (a comma-separated list) leaves `name` out.
fn skipped(name: &str) -> bool {
    std::env::var("EXACT_CASES").is_ok_and(|cases| !cases.split(',').any(|c| c == name))
}

fn report(name: &str, digits: &Digits, note: &str, csv: &mut String) {
    let largest = digits.largest.map(|r| r.to_string()).unwrap_or_default();
    println!(
        "{note}\n{name}: {} exact values, largest numerator {} digits, largest denominator {} digits, {} (longest: {largest})",
        digits.values,
        digits.numerator,
        digits.denominator,
        if digits.all_i64 { "all fit i64" } else { "some beyond i64" },
    );
    writeln!(
        csv,
        "digits,{name},{},{},{},{}",
        digits.values, digits.numerator, digits.denominator, digits.all_i64
    )
    .expect("a String");
}

fn single_case(
    c: &mut Criterion,
    name: &'static str,
    (lr, steps): (f64, usize),
    expected: &Expected,
    csv: &mut String,
) {
    if skipped(name) {
        return;
    }
    let (exact, float) = (seed::<Rational>(lr, steps), seed::<f64>(lr, steps));
    if std::env::var_os("EXACT_CALLGRIND").is_none() {
        let (digits, note) = check_single(name, &exact, &float, expected);
        report(name, &digits, &note, csv);
    }
    let measures = vec![
        Measure {
            name: "numeric",
            exact: Box::new(|| {
                black_box(single_numeric(&exact));
            }),
            float: Box::new(|| {
                black_box(single_numeric(&float));
            }),
        },
        Measure {
            name: "trace",
            exact: Box::new(|| drop(black_box(single_trace(&exact)))),
            float: Box::new(|| drop(black_box(single_trace(&float)))),
        },
        Measure {
            name: "total",
            exact: Box::new(|| drop(black_box(single_trace(&exact).to_string()))),
            float: Box::new(|| drop(black_box(single_trace(&float).to_string()))),
        },
    ];
    run_case(c, name, false, measures, csv);
}

fn network_case(
    c: &mut Criterion,
    name: &'static str,
    (lr, steps): (f64, usize),
    expected: &NetExpected,
    csv: &mut String,
) {
    if skipped(name) {
        return;
    }
    let (exact, float) = (network::<Rational>(lr, steps), network::<f64>(lr, steps));
    if std::env::var_os("EXACT_CALLGRIND").is_none() {
        let (digits, note) = check_network(name, &exact, &float, expected);
        report(name, &digits, &note, csv);
    }
    let (mut pe, mut be) = (exact.start.clone(), NetBuffers::new(&exact.net));
    let (mut pf, mut bf) = (float.start.clone(), NetBuffers::new(&float.net));
    let measures = vec![
        Measure {
            name: "numeric",
            exact: Box::new(|| net_numeric(&exact, black_box(&mut pe), &mut be)),
            float: Box::new(|| net_numeric(&float, black_box(&mut pf), &mut bf)),
        },
        Measure {
            name: "trace",
            exact: Box::new(|| drop(black_box(net_trace(&exact)))),
            float: Box::new(|| drop(black_box(net_trace(&float)))),
        },
        Measure {
            name: "total",
            exact: Box::new(|| drop(black_box(net_trace(&exact).to_string()))),
            float: Box::new(|| drop(black_box(net_trace(&float).to_string()))),
        },
    ];
    run_case(c, name, true, measures, csv);
}

/// `EXACT_GROWTH_STEPS=<n>`: `net_4`'s network (lr 1/50) for `n` steps, one step at a
/// time with `net_step`, each step timed once (exact) with its fractions' digits; the float
/// run of `n` steps (the median of 101 runs); with `EXACT_GROWTH_TEXT=<m>`, the exact
/// derivation of 1 to `m` steps, traced and rendered, once each, against the float one's
/// median of 11 runs. Printed, and written to `<target>/criterion/exact_growth.csv`.
fn growth(steps: usize) {
    let c = network::<Rational>(NET_LR, steps);
    let mut params = c.start.clone();
    let mut buffers = NetBuffers::new(&c.net);
    let mut csv = String::from(
        "kind,steps,seconds,float_seconds,numerator,denominator,loss_numerator,loss_denominator,text_bytes\n",
    );
    let mut total = 0.0;
    for k in 1..=steps {
        let start = Instant::now();
        let loss = net_step(&c.net, &mut params, &c.x, &c.objective, c.lr, &mut buffers);
        let t = start.elapsed().as_secs_f64();
        total += t;
        let (mut p, mut l) = (Digits::new(), Digits::new());
        p.add(params.iter().copied());
        l.add([loss]);
        println!(
            "exact/growth/net step {k}: {}, after it the parameters' largest numerator {} and denominator {} digits; its loss {} ({}/{} digits)",
            time(t),
            p.numerator,
            p.denominator,
            f64::from(loss),
            l.numerator,
            l.denominator
        );
        writeln!(
            csv,
            "step,{k},{t},,{},{},{},{},",
            p.numerator, p.denominator, l.numerator, l.denominator
        )
        .expect("a String");
    }
    let float = network::<f64>(NET_LR, steps);
    let (mut pf, mut bf) = (float.start.clone(), NetBuffers::new(&float.net));
    let float_time = median_time(101, &mut || net_numeric(&float, black_box(&mut pf), &mut bf));
    println!(
        "exact/growth/net {steps} steps: exact {} (the sum of the steps), float {}: exact/float = {:.3e}; peak resident {} kB",
        time(total),
        time(float_time),
        total / float_time,
        vm_hwm_kb()
    );
    writeln!(csv, "run,{steps},{total},{float_time},,,,,").expect("a String");
    let text_steps =
        std::env::var("EXACT_GROWTH_TEXT").map_or(0, |v| v.parse().expect("EXACT_GROWTH_TEXT"));
    for k in 1..=text_steps {
        let (exact, float) = (network::<Rational>(NET_LR, k), network::<f64>(NET_LR, k));
        let start = Instant::now();
        let d = net_trace(&exact);
        let trace = start.elapsed().as_secs_f64();
        let text = d.to_string();
        let whole = start.elapsed().as_secs_f64();
        let float_trace = median_time(11, &mut || drop(black_box(net_trace(&float))));
        let float_whole = median_time(11, &mut || drop(black_box(net_trace(&float).to_string())));
        println!(
            "exact/growth/net text {k}: trace {} (float {}), trace + text {} (float {}), {} bytes, {} lines; peak resident {} kB",
            time(trace),
            time(float_trace),
            time(whole),
            time(float_whole),
            text.len(),
            text.lines().count(),
            vm_hwm_kb()
        );
        writeln!(csv, "trace,{k},{trace},{float_trace},,,,,").expect("a String");
        writeln!(csv, "total,{k},{whole},{float_whole},,,,,{}", text.len()).expect("a String");
    }
    let dir = common::criterion_dir();
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("exact_growth.csv"), csv))
        .expect("write exact_growth.csv");
}

/// The median time of `runs` runs of `f`, each timed alone.
fn median_time(runs: usize, f: &mut dyn FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

/// This thread's time on a CPU and waiting for one (the run queue), in seconds, from
/// `/proc/thread-self/schedstat`: on a machine shared with other jobs, what share of the wall
/// time a long measurement (criterion's samples) spent descheduled.
fn schedstat() -> (f64, f64) {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let mut ns = s.split_whitespace().map(|v| v.parse::<f64>().unwrap_or(0.0) * 1e-9);
    (ns.next().unwrap_or(0.0), ns.next().unwrap_or(0.0))
}

/// The peak resident set of this process so far, in kB.
fn vm_hwm_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("a VmHWM line");
    line.split_whitespace().nth(1).and_then(|kb| kb.parse().ok()).expect("VmHWM in kB")
}

fn main() {
    if let Ok(steps) = std::env::var("EXACT_GROWTH_STEPS") {
        return growth(steps.parse().expect("EXACT_GROWTH_STEPS"));
    }
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .configure_from_args();
    let mut csv = String::new();
    let (cpu, wait) = schedstat();
    single_case(&mut c, "seed", (0.5, 1), &SEED, &mut csv);
    single_case(&mut c, "seed_10", (0.25, 10), &SEED_10, &mut csv);
    network_case(&mut c, "net_4", (NET_LR, 4), &NET_4, &mut csv);
    if std::env::var_os("EXACT_CALLGRIND").is_some()
        || std::env::var_os("EXACT_CHECK_ONLY").is_some()
    {
        return;
    }
    c.final_summary();
    // Every value beyond `i64` lives for the rest of the process (`Rational`'s design), so
    // the runs of `net_4` add up.
    println!("exact: peak resident {} kB", vm_hwm_kb());
    let (cpu_end, wait_end) = schedstat();
    let (cpu, wait) = (cpu_end - cpu, wait_end - wait);
    println!(
        "exact: {cpu:.1} s on a CPU, {wait:.1} s waiting for one ({:.0}% of the time)",
        100.0 * wait / (cpu + wait)
    );
    let dir = common::criterion_dir();
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("exact.csv"), csv))
        .expect("write exact.csv");
}

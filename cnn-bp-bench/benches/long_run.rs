//! Issue 9: a long run through `train()` against the numeric path for the same steps, and its
//! peak memory.
//!
//! 100,000 steps at 28×28 / 5×5 (the MNIST-sized case of the other benchmarks, with a
//! learning rate small enough that every step stays finite): `train()` writes out the first
//! five steps and the last, and keeps every step's starting parameters and loss; the numeric
//! path is the loop of `step(…, &mut NoTrace)` over the same steps. Before anything is timed,
//! the two are asserted to take the same steps: every step's loss and the final filter
//! bit-identical.
//!
//! Three measures, as in `numeric.rs`:
//!
//! - criterion's median of each side (`long_run/train`, `long_run/numeric`), 10 samples of
//!   one run each;
//! - the **paired ratio**: rounds of one `train()` run then one numeric run, the median of
//!   the rounds' ratios (a load that comes and goes moves it far less than criterion's);
//! - the **peak memory**: this binary runs itself in a child process for one run of each
//!   kind (`LONG_RUN_CHILD`) and reads the child's `VmHWM` (peak resident set) from
//!   `/proc/self/status`; the numeric loop's peak is the process's own baseline.
//!
//! Results are printed and written to `<target>/criterion/long_run.csv`, which
//! `scripts/bench_report.py` reads. Run: `cargo bench --bench long_run` (about 2 minutes).
//! `LONG_RUN_STEPS` changes the number of steps (100000), `LONG_RUN_ROUNDS` the paired
//! rounds (7), `LONG_RUN_MEMORY_STEPS` the runs whose peak memory is measured
//! (`10000,100000`; add `1000000` for `train()`'s maximum).

use std::fmt::Write as _;
use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

use cnn_bp_core::{Layer, NoTrace, Params, step, train};
use criterion::{BenchmarkId, Criterion, SamplingMode};

#[allow(dead_code)] // shared with the other benchmarks, which use all of it
mod common;

const NAME: &str = "28x28_5x5";
/// Small enough that the run converges: the loss falls, then stalls at the targets a ReLU
/// cannot reach, and no value overflows.
const LR: f64 = 1e-4;

struct Problem {
    layer: Layer,
    x: [[f64; 28]; 28],
    start: Params<5, 5>,
    t: [[f64; 24]; 24],
}

fn problem() -> Problem {
    // The inputs of the other benchmarks' 28×28 case.
    let mut filter = common::grid::<5, 5>(2);
    for w in filter.iter_mut().flatten() {
        *w /= 4.0;
    }
    Problem {
        layer: Layer::default(),
        x: common::grid(1),
        start: Params { filter, bias: None },
        t: common::grid(3),
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).map_or(default, |v| v.parse().unwrap_or_else(|_| panic!("{name}={v}")))
}

/// The whole derivation of `steps` steps (the text is not rendered).
fn traced(p: &Problem, steps: usize) -> cnn_bp_core::Derivation<5, 5, 24, 24> {
    train(black_box(&p.layer), black_box(LR), steps, black_box(&p.x), black_box(p.start), &p.t)
        .expect("valid")
}

/// The numeric path over the same steps: the loop a caller writes with `step` and `NoTrace`.
/// Returns the final parameters and every step's loss when `losses` is given.
fn numeric(p: &Problem, steps: usize, mut losses: Option<&mut Vec<f64>>) -> Params<5, 5> {
    let (layer, x, t) = (black_box(&p.layer), black_box(&p.x), black_box(&p.t));
    let mut params = black_box(p.start);
    for _ in 0..steps {
        let s = step(layer, x, &params, t, black_box(LR), &mut NoTrace);
        if let Some(losses) = losses.as_deref_mut() {
            losses.push(s.loss);
        }
        params = s.next;
    }
    params
}

/// The peak resident set of this process so far, in kB.
fn vm_hwm_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("a VmHWM line");
    line.split_whitespace().nth(1).and_then(|kb| kb.parse().ok()).expect("VmHWM in kB")
}

/// In the child: one run of `kind` (`train`, `text`: train then render the text, or
/// `numeric`), then its peak memory on stdout.
fn child(kind: &str) {
    let p = problem();
    let steps = env_usize("LONG_RUN_STEPS", 100_000);
    match kind {
        "train" => drop(black_box(traced(&p, steps))),
        "text" => drop(black_box(traced(&p, steps).to_string())),
        "numeric" => {
            black_box(numeric(&p, steps, None));
        }
        _ => panic!("LONG_RUN_CHILD={kind}"),
    }
    println!("{}", vm_hwm_kb());
}

fn peak_kb(kind: &str, steps: usize) -> u64 {
    let out = Command::new(std::env::current_exe().expect("this benchmark's path"))
        .env("LONG_RUN_CHILD", kind)
        .env("LONG_RUN_STEPS", steps.to_string())
        .output()
        .expect("run the child");
    assert!(out.status.success(), "child {kind}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().parse().expect("the child's VmHWM")
}

fn main() {
    if let Ok(kind) = std::env::var("LONG_RUN_CHILD") {
        return child(&kind);
    }
    let p = problem();
    let steps = env_usize("LONG_RUN_STEPS", 100_000);
    let rounds = env_usize("LONG_RUN_ROUNDS", 7);

    // The same steps: every loss and the final filter, bit for bit.
    let d = traced(&p, steps);
    let mut losses = Vec::with_capacity(steps);
    let end = numeric(&p, steps, Some(&mut losses));
    assert_eq!(d.steps().len(), steps, "every step is taken (no value overflows)");
    let ours: Vec<u64> = d.steps().iter().map(|s| s.loss().to_bits()).collect();
    assert!(ours == losses.iter().map(|l| l.to_bits()).collect::<Vec<_>>(), "the same losses");
    assert_eq!(d.filter().map(|r| r.map(f64::to_bits)), end.filter.map(|r| r.map(f64::to_bits)));
    println!(
        "long_run/{NAME}: {steps} steps, loss {} → {}, {} steps written out",
        d.steps()[0].loss(),
        d.loss_after(),
        d.trace().steps.len()
    );
    drop(d);

    // Paired: train, numeric, train, numeric, …
    let time = |f: &dyn Fn()| {
        let start = Instant::now();
        f();
        start.elapsed().as_secs_f64()
    };
    let mut ratios: Vec<f64> = (0..rounds)
        .map(|_| {
            let a = time(&|| drop(black_box(traced(&p, steps))));
            let b = time(&|| {
                black_box(numeric(&p, steps, None));
            });
            a / b
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    let (median, low, high) = (ratios[rounds / 2], ratios[0], ratios[rounds - 1]);
    println!("long_run/paired/{NAME}: train/numeric = {median:.3} (range {low:.3}–{high:.3})");

    // Peak memory, each run in a fresh process.
    let memory_steps = std::env::var("LONG_RUN_MEMORY_STEPS")
        .unwrap_or_else(|_| "10000,100000".into())
        .split(',')
        .map(|s| s.trim().parse::<usize>().expect("LONG_RUN_MEMORY_STEPS"))
        .collect::<Vec<_>>();
    let mut csv = format!("paired,{NAME},{steps},{median},{low},{high}\n");
    for &n in &memory_steps {
        let (numeric, train, text) =
            (peak_kb("numeric", n), peak_kb("train", n), peak_kb("text", n));
        println!(
            "long_run/memory/{NAME}/{n}: peak {train} kB (train), {text} kB (train + text), {numeric} kB (numeric loop)"
        );
        writeln!(csv, "memory,{NAME},{n},{train},{text},{numeric}").expect("a String");
    }

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20))
        .sample_size(10)
        .configure_from_args();
    let mut group = c.benchmark_group("long_run");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function(BenchmarkId::new("train", NAME), |b| b.iter(|| traced(&p, steps)));
    group.bench_function(BenchmarkId::new("numeric", NAME), |b| {
        b.iter(|| numeric(&p, steps, None));
    });
    group.finish();
    c.final_summary();

    let dir = common::criterion_dir();
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("long_run.csv"), csv))
        .expect("write long_run.csv");
}

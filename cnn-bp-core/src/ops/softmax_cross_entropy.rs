//! The softmax cross-entropy loss of a network's last output `z`, against a probability
//! vector `t` (one-hot or soft), as PyTorch's `cross_entropy` with probabilities as target:
//!
//! ```text
//! p[k] = exp(z[k] − m)/S,  S = Σ_j exp(z[j] − m),  m = max_j z[j]
//! L = −Σ_k t[k]·log p[k]
//! ∂L/∂z[k] = p[k] − t[k]
//! ```
//!
//! Subtracting the largest logit `m` leaves `p` unchanged (it divides the numerator and the
//! denominator by `exp(m)`) and keeps every `exp` at most 1, so that none overflows. `log p`
//! is computed as `z[k] − m − log S`, which stays finite where `p` itself underflows.
//!
//! Not an op but the loss after the last one; like an op it keeps its forward (the loss),
//! its backward (`∂L/∂z`), its names and how it is written in one file.

use crate::layer::Scale;
use crate::render::NetDoc;
use crate::render::doc::{Rich, names};
use crate::scalar::{Functions, Scalar};
use crate::trace::{Expr, Name, Operand, Recorder, Section, Sym, Term};

/// `m`, `e[k]`, `S`, `p[k]`: the names of the loss's intermediate values.
fn shift() -> Sym {
    Sym::new(Name::Shift, 0, &[])
}

fn partition() -> Sym {
    Sym::new(Name::Partition, 0, &[])
}

/// The loss of `z` against `t`, recorded, leaving the probabilities in `p`.
///
/// # Panics
/// If `S` has no `exp` and `log` (an exact type): the callers check first.
pub(crate) fn loss<S: Scalar, R: Recorder<S>>(
    z: &[S],
    t: &[S],
    p: &mut [S],
    (z_sym, t_sym): (&dyn Fn(usize) -> Sym, &dyn Fn(usize) -> Sym),
    rec: &mut R,
) -> S {
    let Functions { exp, ln, .. } = S::functions().expect("a softmax needs exp and log");
    // m: the first largest logit (a NaN among them is taken, and makes everything NaN).
    let mut pick = 0;
    for k in 1..z.len() {
        if z[k] > z[pick] || z[k].partial_cmp(&z[k]).is_none() {
            pick = k;
        }
    }
    let m = z.get(pick).copied().unwrap_or(S::ZERO);
    if const { size_of::<R>() > 0 } {
        let of = (0..z.len()).map(|k| Operand::new(z_sym(k), z[k])).collect();
        rec.equation(shift(), Expr::Max { of, pick }, m);
    }
    let m_op = Operand::new(shift(), m);
    for k in 0..z.len() {
        p[k] = exp(z[k] - m);
        rec.equation(
            Sym::new(Name::Exp, 0, &[k]),
            Expr::Exp { z: Operand::new(z_sym(k), z[k]), shift: m_op },
            p[k],
        );
    }
    let mut sum = S::ZERO;
    for (k, &e) in p.iter().enumerate() {
        rec.term(Term::Single(Operand::new(Sym::new(Name::Exp, 0, &[k]), e)));
        sum = sum + e;
    }
    rec.sum(partition(), Scale::ONE, sum);
    let log_sum = ln(sum);
    let mut loss = S::ZERO;
    for k in 0..z.len() {
        if t[k] != S::ZERO {
            loss = loss - t[k] * (z[k] - m - log_sum);
        }
    }
    for (k, p) in p.iter_mut().enumerate() {
        let e = *p;
        *p = e / sum;
        rec.equation(
            Sym::new(Name::Prob, 0, &[k]),
            Expr::Ratio {
                num: Operand::new(Sym::new(Name::Exp, 0, &[k]), e),
                den: Operand::new(partition(), sum),
            },
            *p,
        );
    }
    if const { size_of::<R>() > 0 } {
        // Where a probability of a class the target wants underflows (to 0, or below the
        // normal numbers), `log p` is written as it is computed, `z − m − log S`, which stays
        // finite; `log` of the printed `p` would not be.
        let underflows = (0..z.len()).any(|k| t[k] != S::ZERO && p[k].to_f64() < f64::MIN_POSITIVE);
        if underflows {
            let sum = Operand::new(partition(), sum);
            let mut terms = Vec::new();
            for k in (0..z.len()).filter(|&k| t[k] != S::ZERO) {
                let lhs = Sym::new(Name::LogProb, 0, &[k]);
                let z = Operand::new(z_sym(k), z[k]);
                let value = z.value - m - log_sum;
                rec.equation(lhs, Expr::LogSoftmax { z, shift: m_op, sum }, value);
                terms.push((Operand::new(t_sym(k), t[k]), Operand::new(lhs, value)));
            }
            rec.equation(Sym::loss(), Expr::CrossEntropyOfLogs { terms }, loss);
        } else {
            let terms = (0..z.len())
                .map(|k| {
                    let p = Operand::new(Sym::new(Name::Prob, 0, &[k]), p[k]);
                    (Operand::new(t_sym(k), t[k]), p)
                })
                .collect();
            rec.equation(Sym::loss(), Expr::CrossEntropy { terms }, loss);
        }
    }
    loss
}

/// `∂L/∂z = p − t`, recorded, from the probabilities in `dz` (which [`loss`] left there), into
/// `dz`; `flipped` for the learner's mistake `t − p`.
pub(crate) fn loss_grad<S: Scalar, R: Recorder<S>>(
    t: &[S],
    dz: &mut [S],
    dz_sym: &dyn Fn(usize) -> Sym,
    flipped: bool,
    rec: &mut R,
) {
    for (k, d) in dz.iter_mut().enumerate() {
        let (p, tv) =
            (Operand::new(Sym::new(Name::Prob, 0, &[k]), *d), Operand::new(t_of(k), t[k]));
        if flipped {
            *d = t[k] - p.value;
            rec.term(Term::Diff(tv, p));
        } else {
            *d = p.value - t[k];
            rec.term(Term::Diff(p, tv));
        }
        rec.sum(dz_sym(k), Scale::ONE, *d);
    }
}

/// `t[k]`.
fn t_of(k: usize) -> Sym {
    Sym::new(Name::T, 0, &[k])
}

/// `L = −Σ t ⊙ log softmax(z⁽⁴⁾)`, for an output called `z`.
pub(crate) fn formula(z: &str) -> String {
    format!("L = −Σ_k t[k]·log p[k], p = softmax({z})")
}

/// `∂L/∂z⁽⁴⁾ = p − t`.
pub(crate) fn grad_formula(z: &str) -> String {
    format!("∂L/∂{z} = p − t")
}

/// The loss's line in Given, and a note when a target cannot be reached: `targets` are the
/// run's one target, or a batch's (`batch`), every one of them.
pub(crate) fn given<S: Scalar>(z: &str, targets: &[&[S]], batch: bool) -> (Rich, Option<Rich>) {
    let line = Rich::text("loss: ")
        .c("softmax_cross_entropy")
        .t(", ")
        .m(format!("p[k] = exp({z}[k])/Σ_j exp({z}[j])"))
        .t(" and ")
        .m("L = −Σ_k t[k]·log p[k]")
        .t(", so ")
        .m(grad_formula(z));
    let zeros = |target: &[S]| target.iter().filter(|&&t| t == S::ZERO).count();
    let unreachable: Vec<&[S]> = targets.iter().copied().filter(|t| zeros(t) > 0).collect();
    let note = (!unreachable.is_empty()).then(|| {
        let one_hot = unreachable.iter().all(|t| zeros(t) + 1 == t.len());
        Rich::text("a softmax gives every class a probability strictly between 0 and 1, so a target with a 0 in it is never reached exactly: ")
            .t(match (one_hot, batch) {
                (true, false) => "for this one-hot target L only approaches 0 as the right logit pulls ahead of the others, and the gradient never vanishes.",
                (true, true) => "for a one-hot target an example's L only approaches 0 as its right logit pulls ahead of the others, and its gradient never vanishes.",
                (false, true) => "an example's L only approaches its least value as some logits run off to −∞, and its gradient never vanishes.",
                (false, false) => "L only approaches its least value as some logits run off to −∞, and the gradient never vanishes.",
            })
    });
    (line, note)
}

/// The loss stage's equations: `m`, every `exp`, `S`, every `p`, then `L`.
pub(crate) fn loss_doc<S: Scalar>(doc: &mut NetDoc<S>, section: &Section<S>, first: bool) {
    if first {
        doc.para(
            Rich::text("(the largest logit ")
                .m("m")
                .t(" is subtracted first: that divides the numerator and the denominator by ")
                .m("exp(m)")
                .t(", leaving ")
                .m("p")
                .t(" unchanged, and keeps every ")
                .m("exp")
                .t(" at most 1)"),
        );
    }
    doc.equations(section, |s| s == shift());
    doc.entries(section, |s| s.name == Name::Exp);
    doc.equations(section, |s| s == partition());
    doc.entries(section, |s| s.name == Name::Prob);
    // The classes whose probability underflowed: of those whose log is written out (every
    // class the target wants), the ones printed below the smallest normal f64.
    let logged = |p: Sym| {
        section.select(|l| l.name == Name::LogProb).any(|l| l.lhs.indices().eq(p.indices()))
    };
    let underflowed: Vec<Sym> = section
        .select(|s| s.name == Name::Prob)
        .filter(|eq| logged(eq.lhs) && eq.value.to_f64() < f64::MIN_POSITIVE)
        .map(|eq| eq.lhs)
        .collect();
    if section.select(|s| s.name == Name::LogProb).next().is_some() {
        let one = underflowed.len() == 1;
        doc.note(
            Rich::math(names(underflowed))
                .t(if one { " underflows" } else { " underflow" })
                .t(" below the smallest normal f64, where its log would be lost: ")
                .t(if one { "its logarithm is" } else { "their logarithms are" })
                .t(" computed as ")
                .m("log p[k] = z[k] − m − log(S)")
                .t(", which stays finite, and the loss from ")
                .t(if one { "it." } else { "them." }),
        );
        doc.equations(section, |s| s.name == Name::LogProb);
    }
    doc.equations(section, |s| s == Sym::loss());
}

/// Why `∂L/∂z = p − t`, said once.
pub(crate) fn why_lines(z: &str) -> Vec<Rich> {
    vec![
        Rich::text("Why ")
            .m("p − t")
            .t(": ")
            .m("log p[k] = z[k] − log Σ_j exp(z[j])")
            .t(", so ")
            .m("∂(−log p[k])/∂z[j]")
            .t(" is ")
            .m("p[j] − 1")
            .t(" for ")
            .m("j = k")
            .t(" and ")
            .m("p[j]")
            .t(" otherwise;"),
        Rich::text("weighted by ")
            .m("t[k]")
            .t(" and summed, with ")
            .m("Σ_k t[k] = 1")
            .t(", that is ")
            .m("p[j] − t[j]")
            .t(": the derivatives of the softmax and the log"),
        Rich::text("cancel to output minus target. Descent subtracts ")
            .m(format!("η·∂L/∂{z}"))
            .t("; building it from ")
            .m("t − p")
            .t(" and still subtracting moves uphill."),
    ]
}

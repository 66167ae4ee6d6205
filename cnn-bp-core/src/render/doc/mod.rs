//! The derivation as a document: headings, prose, equations, matrices and tables, built once
//! from a [`Trace`] and written out by each renderer (text, LaTeX, Markdown).
//!
//! Formulas are kept in the derivation's own notation (`z[0,0] = x[0,0]·w[0,0] + …`,
//! `∂L/∂y`, `−2`); the plain-text renderer prints them as they are and the others translate
//! them (see `math`). Every number here is a value stored in the trace, printed once.

use equations::symbolic_equation;
use single::{first_non_finite, is, matrix, values};

use std::borrow::Cow;

mod equations;
mod names;
pub(crate) mod network;
mod numbers;
mod optional;
mod single;

pub(crate) use equations::equation;
pub(crate) use names::{name, names};
pub(crate) use numbers::{approx, factor_at, num_at, quoted, signed_at, val};
pub(crate) use single::delta_of;

use crate::scalar::Scalar;
use crate::trace::{Expr, Section, Sym, Trace};

/// How equations are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Form {
    /// The numbers of every equation; sums over positions (`z`, `∂L/∂w`, `∂L/∂b`) show the
    /// names of their operands on a line of their own first.
    #[default]
    Numeric,
    /// Each stage's formulas with symbols only, for every entry, before the same formulas
    /// with the numbers substituted.
    Symbolic,
}

/// One piece of running text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Words.
    Text(Cow<'static, str>),
    /// A formula in the derivation's notation.
    Math(Cow<'static, str>),
    /// A name from `train!`'s spec (`relu_grad_at_zero`), written as code.
    Code(Cow<'static, str>),
}

/// Running text: words, formulas and code names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
/// (Public only because ops' [`LayerDoc`](network::LayerDoc) impls write it; not nameable outside.)
pub struct Rich(pub(crate) Vec<Piece>);

impl Rich {
    pub(crate) fn t(mut self, text: impl Into<Cow<'static, str>>) -> Self {
        self.0.push(Piece::Text(text.into()));
        self
    }

    pub(crate) fn m(mut self, math: impl Into<Cow<'static, str>>) -> Self {
        self.0.push(Piece::Math(math.into()));
        self
    }

    pub(crate) fn c(mut self, code: impl Into<Cow<'static, str>>) -> Self {
        self.0.push(Piece::Code(code.into()));
        self
    }

    /// This text followed by `other`.
    pub(crate) fn and(mut self, other: Self) -> Self {
        self.0.extend(other.0);
        self
    }

    pub(crate) fn text(text: impl Into<Cow<'static, str>>) -> Self {
        Self::default().t(text)
    }

    pub(crate) fn math(math: impl Into<Cow<'static, str>>) -> Self {
        Self::default().m(math)
    }

    /// Everything as one line of plain text.
    pub(crate) fn plain(&self) -> String {
        let mut out = String::new();
        self.write_plain(&mut out);
        out
    }

    /// Appends everything as plain text.
    pub(crate) fn write_plain(&self, out: &mut String) {
        for piece in &self.0 {
            match piece {
                Piece::Text(s) | Piece::Math(s) | Piece::Code(s) => out.push_str(s),
            }
        }
    }
}

/// One equation as printed: `lhs = named`, then `= chain₁ = chain₂ = result   (reason)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Eq {
    pub(crate) lhs: String,
    /// `←` (an update) rather than `=`.
    pub(crate) assign: bool,
    /// The right-hand side with the operands' names, shown before the numbers.
    pub(crate) named: Option<String>,
    /// The right-hand sides with numbers, in order.
    pub(crate) chain: Vec<String>,
    /// The value, and whether the printed arithmetic gives it exactly (`=`) or not (`≈`).
    pub(crate) result: Option<(bool, String)>,
    /// Why, in brackets after the equation.
    pub(crate) reason: Option<Rich>,
    /// The significant digits of its operands where they are rounded: six, or more where six
    /// cannot show how the result follows from them.
    pub(crate) digits: usize,
    /// The significant digits of its result where it is rounded.
    pub(crate) result_digits: usize,
}

/// One block of the document. `depth` is the indentation of the plain-text form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Block {
    /// The first line.
    Title(Rich),
    /// Given, Output size, Step k, Result …
    Section(Rich),
    /// A stage of a step: Forward, Activation, Loss …
    Stage(Rich),
    /// Prose or a general formula; one entry per plain-text line.
    Para { depth: usize, lines: Vec<Rich> },
    /// A remark about particular entries.
    Note { depth: usize, text: Rich },
    /// One computed entry.
    Equation { depth: usize, eq: Eq },
    /// `label = [ … ]`; `approx` when an entry is rounded or its equation approximate.
    Matrix { depth: usize, label: Rich, cells: Vec<Vec<String>>, approx: bool },
    /// A table under a caption.
    Table { depth: usize, caption: Rich, header: Vec<Rich>, rows: Vec<Vec<Rich>> },
}

/// The document of a whole trace.
pub(crate) fn document<S: Scalar>(trace: &Trace<S>, form: Form) -> Vec<Block> {
    let mut doc = Doc { blocks: Vec::new(), form };
    let first_non_finite = first_non_finite(trace);
    doc.given(trace, first_non_finite.as_ref());
    let mut next = 0;
    for section in &trace.steps {
        let k = section.step.unwrap_or(next);
        if k > next {
            doc.skipped(next, k);
        }
        doc.step(trace, k, section, first_non_finite.as_ref());
        next = k + 1;
    }
    doc.result(trace, first_non_finite.as_ref());
    if !trace.checks.is_empty() {
        doc.checks(trace);
    }
    if !trace.mistakes.is_empty() {
        doc.mistakes(trace);
    }
    doc.blocks
}

/// Where the first value that is not a finite number appeared.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Given,
    Step(usize),
    After,
}

/// The first value that is not a finite number: where, which, and as printed.
struct NonFinite {
    origin: Origin,
    sym: Sym,
    value: String,
}

/// The digits (numerator and denominator together) past which an exact derivation notes that
/// its fractions have grown beyond what is useful to check by hand.
const READABLE_DIGITS: usize = 30;

struct Doc {
    blocks: Vec<Block>,
    form: Form,
}

impl Doc {
    fn push(&mut self, block: Block) {
        self.blocks.push(block);
    }

    fn para(&mut self, depth: usize, line: Rich) {
        self.push(Block::Para { depth, lines: vec![line] });
    }

    fn note(&mut self, depth: usize, text: Rich) {
        self.push(Block::Note { depth, text });
    }

    fn stage(&mut self, heading: Rich) {
        self.push(Block::Stage(heading));
    }

    /// The equations `keep` selects, with their symbols-only forms first in the symbolic form.
    /// Returns whether every one is printed exact (`=`).
    fn equations<S: Scalar>(
        &mut self,
        section: &Section<S>,
        keep: impl Fn(Sym) -> bool + Copy,
    ) -> bool {
        self.equations_explained(section, keep, &|_| None)
    }

    /// [`Doc::equations`], an equation that sums nothing said to be 0 for the reason `why`
    /// gives, where it gives one.
    fn equations_explained<S: Scalar>(
        &mut self,
        section: &Section<S>,
        keep: impl Fn(Sym) -> bool + Copy,
        why: &dyn Fn(&crate::trace::Equation<S>) -> Option<Rich>,
    ) -> bool {
        if self.form == Form::Symbolic {
            for eq in section.select(keep) {
                if !matches!(&eq.expr, Expr::Sum { terms, .. } if terms.is_empty()) {
                    self.push(Block::Equation { depth: 2, eq: symbolic_equation(eq) });
                }
            }
        }
        let mut all_exact = true;
        for recorded in section.select(keep) {
            let mut eq = equation(recorded, self.form);
            if matches!(&recorded.expr, Expr::Sum { terms, .. } if terms.is_empty())
                && let Some(reason) = why(recorded)
            {
                eq.reason = Some(reason);
            }
            all_exact &= eq.result.as_ref().is_none_or(|(exact, _)| *exact);
            self.push(Block::Equation { depth: 2, eq });
        }
        all_exact
    }

    /// In an exact derivation whose fractions have grown past [`READABLE_DIGITS`], a note
    /// that says from which step on, and how large they grew: every value is still exact, but
    /// no longer something to check by hand.
    fn growth_note<'a, S: Scalar>(&mut self, sections: impl IntoIterator<Item = &'a Section<S>>) {
        let digits = |s: &Section<S>| {
            s.equations.iter().filter_map(|eq| eq.value.fraction_digits()).max().unwrap_or(0)
        };
        let place = |s: &Section<S>| {
            s.step
                .map_or_else(|| "the final forward pass".to_owned(), |k| format!("step {}", k + 1))
        };
        let mut first = None;
        let mut largest = (0, String::new());
        for section in sections {
            let d = digits(section);
            if d > READABLE_DIGITS && first.is_none() {
                first = Some((place(section), d));
            }
            if d > largest.0 {
                largest = (d, place(section));
            }
        }
        let Some((at, d)) = first else { return };
        let grown = if largest.0 > d {
            format!(", and the largest, in {}, has {}", largest.1, largest.0)
        } else {
            String::new()
        };
        self.note(
            1,
            Rich::text(format!(
                "the fractions grow with every step: {at} is the first with one of more than {READABLE_DIGITS} digits (numerator and denominator together: {d}){grown}. Every value is still exact, but past a few steps it is a check for a computer rather than for a pencil."
            )),
        );
    }

    /// The equations of the entries of one matrix, then the matrix of their values.
    fn entries<S: Scalar>(
        &mut self,
        section: &Section<S>,
        kind: fn(usize, usize) -> Sym,
        label: &'static str,
        shape: (usize, usize),
    ) {
        let exact = self.equations(section, |s| is(kind, s));
        let grid = values(section, shape, kind);
        self.push(matrix(2, Rich::math(label), &grid, !exact));
    }
}

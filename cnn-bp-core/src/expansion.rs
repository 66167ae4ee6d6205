//! What the code that `train!` generates calls besides the public API, reached through
//! `__private` (not public API). For a network spec: small non-generic helpers (or generic
//! only over a literal's shape), so that each spec compiles little beyond its network's
//! training run. For a single-layer spec: [`Geometry::train`], which builds the layer's
//! shorthand network from const parameters and runs it.

use crate::derivation::Derivation;
use crate::extras::Sections;
use crate::layer::{Kernel, Layer, Loss, SpecError};
use crate::network::NetDerivation;
use crate::ops::{Elementwise, Orientation, Tensor};
use crate::rational::Rational;
use crate::render::Form;
use crate::scalar::Scalar;
use crate::step::Params;

/// The network's parameters, flat, in the order its ops take them: each conv's weight
/// row-major, then its bias.
pub fn params<S: Copy>(parts: &[&[S]]) -> Vec<S> {
    parts.concat()
}

/// A tensor's entries, row-major: a target's or an upstream gradient's.
pub fn flat<S: Scalar, T: Tensor<S>>(tensor: &T) -> Vec<S> {
    tensor.flat().to_vec()
}

/// The decimal literal `mantissa·10^exponent` of an exact spec, exactly (`0.1` is
/// `decimal(1, -1)`, 1/10).
pub fn decimal(mantissa: i128, exponent: i32) -> Rational {
    Rational::from_decimal(mantissa, exponent)
}

/// A value of an exact spec that was given as an `f64` expression (a constant, a call), or
/// an array of them: the exact value of each `f64`'s shortest decimal, the one it reads back
/// as (`0.1_f64` is 1/10).
pub trait Lift {
    /// The same shape, of [`Rational`]s.
    type Exact;
    /// Converts every entry.
    fn lift(self) -> Self::Exact;
}

impl Lift for f64 {
    type Exact = Rational;
    /// # Panics
    /// For `∞` and `NaN`, which no rational number is; the message says so.
    fn lift(self) -> Rational {
        Rational::from_f64_decimal(self).unwrap_or_else(|| {
            panic!("train!: with `arithmetic: exact` every value is a rational number, but an entry given as an expression is {self}")
        })
    }
}

impl<T: Lift, const N: usize> Lift for [T; N] {
    type Exact = [T::Exact; N];
    fn lift(self) -> Self::Exact {
        self.map(Lift::lift)
    }
}

/// `Lift::lift`, as the generated code calls it.
pub fn lift<T: Lift>(value: T) -> T::Exact {
    value.lift()
}

/// The derivation of a spec that `train!` has checked: every shape, setting and value that
/// `train_network_with` could reject, the macro rejected first, at the spec's tokens.
///
/// # Panics
/// Only on a bug of cnn-bp (the macro let through a spec that the library rejects); the
/// message says so and what the library found.
pub fn trained<S>(result: Result<NetDerivation<S>, SpecError>) -> NetDerivation<S> {
    match result {
        Ok(derivation) => derivation,
        Err(error) => panic!(
            "train!: the macro checked this network spec, so training it cannot fail, but the library rejected it ({error}); this is a bug of cnn-bp, please report it with the spec"
        ),
    }
}

/// Stride and padding as const parameters, so that shapes are checked at compile time.
pub struct Geometry<const SH: usize, const SW: usize, const PH: usize, const PW: usize>;

/// The settings `train!` has already checked (the kernel orientation and the activation
/// are types, given to [`Geometry::train`] as values of theirs).
#[derive(Clone, Copy)]
pub struct Settings<S = f64> {
    /// The learning rate, positive and finite.
    pub lr: S,
    /// At least 1.
    pub steps: usize,
    /// The loss.
    pub loss: Loss,
    /// How equations are written.
    pub form: Form,
}

impl<const SH: usize, const SW: usize, const PH: usize, const PW: usize> Geometry<SH, SW, PH, PW> {
    /// Runs the derivation; the shape checks fail the build, not the run.
    #[allow(clippy::too_many_arguments)]
    pub fn train<
        const H: usize,
        const W: usize,
        const KH: usize,
        const KW: usize,
        const OH: usize,
        const OW: usize,
        S: Scalar + Send + Sync,
        A: Elementwise<S> + Send + Sync + 'static,
        K: Orientation + Send + Sync,
    >(
        self,
        settings: Settings<S>,
        (f, _): (A, K),
        sections: &impl Sections<S, H, W, KH, KW, OH, OW>,
        input: &[[S; W]; H],
        filter: &[[S; KW]; KH],
        bias: Option<S>,
        target: &[[S; OW]; OH],
    ) -> Derivation<KH, KW, OH, OW, S> {
        // What `train!` could not check itself, because a matrix given as an expression
        // has a shape only its type knows (the macro passes the shapes it knows, so a
        // matrix whose type contradicts them is a type error at its own tokens instead).
        const {
            assert!(SH > 0 && SW > 0, "train!: `stride` must be at least 1");
            assert!(
                H > 0 && W > 0,
                "train!: `input` has no entries: give it at least one row and one column"
            );
            assert!(
                KH > 0 && KW > 0,
                "train!: `filter` has no entries: give it at least one row and one column"
            );
            assert!(
                KH <= H + 2 * PH && KW <= W + 2 * PW,
                "train!: `filter` is larger than `input` with its `padding` (KH×KW against H×W in `train::<H, W, KH, KW, OH, OW>` of the note below): use a smaller `filter`, a larger `input` or more `padding`"
            );
            assert!(
                OH == (H + 2 * PH - KH) / SH + 1 && OW == (W + 2 * PW - KW) / SW + 1,
                "train!: `target` does not have the output's shape: with `input` H×W, `filter` KH×KW, `stride` and `padding`, the output is ⌊(H + 2·padding − KH)/stride⌋ + 1 by ⌊(W + 2·padding − KW)/stride⌋ + 1 (OH×OW in `train::<H, W, KH, KW, OH, OW>` of the note below is the target's): change `target`, or `input`, `filter`, `stride` or `padding`"
            );
        }
        let layer = Layer {
            stride: (SH, SW),
            padding: (PH, PW),
            kernel: if K::FLIP { Kernel::Convolution } else { Kernel::Correlation },
            activation: f.activation(),
            loss: settings.loss,
        };
        // The layer as its shorthand network `[conv, activation]`, decided by the types.
        let net = crate::shorthand::net::<
            S,
            A,
            crate::shorthand::Checked<SH, SW, PH, PW>,
            K,
            H,
            W,
            KH,
            KW,
            OH,
            OW,
        >(f, bias.is_some());
        crate::derivation::run(
            &layer,
            settings.lr,
            settings.steps,
            input,
            Params { filter: *filter, bias },
            target,
            sections,
            &mut crate::shorthand::OpsSteps::new(net),
        )
        .with_form(settings.form)
    }
}

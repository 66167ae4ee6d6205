//! The operations a network is built from, one file each: its forward pass, its backward pass
//! (`∂L/∂input` and `∂L/∂parameters`), the names of its quantities, written once for every
//! scalar type and every [`Recorder`].
//!
//! A network is a type: ops chained with [`Chain`], each taking the tensor the one before
//! gives (the type system checks every junction). Shapes are const generics, which the macro
//! computes (stable Rust has no generic const expressions), so with [`NoTrace`](crate::NoTrace)
//! every op is a plain loop over arrays of known sizes.
//!
//! Tensors and parameters are stored flat, on the heap, in buffers a run allocates once, and
//! an op sees them as nested arrays ([`Tensor::view`]): nothing a spec can express goes on
//! the stack. A chain owns no buffers either: the values and gradients at its junctions live
//! in a workspace slice it is handed.
//!
//! Ops are numbered as PyTorch's `nn.Sequential` numbers its modules, from 0, activations
//! included; that number is the `layer` of every [`Sym`] an op records, and the prefix of its
//! parameters' names (`"0.weight"`).
//!
//! ```
//! use cnn_bp_core::ops::{Activate, Chain, Conv, Correlate, Geometry, Op, Relu};
//!
//! // conv (2×2 filter on a 3×3 map), then relu, on one channel.
//! type Net = Chain<Conv<1, 3, 3, 1, 2, 2, 2, 2, Geometry<1, 1, 0, 0, 1, 1>, Correlate>,
//!                  Activate<Relu, [[[f64; 2]; 2]; 1]>>;
//! let net: Net = Chain(Conv::new(false), Activate::new(Relu::default()));
//! assert_eq!(<Net as Op<f64>>::LAYERS, 2);
//! assert_eq!(Op::<f64>::params_len(&net), 4);
//! ```

mod activation;
mod avg_pool;
mod conv;
mod dense;
mod flatten;
mod max_pool;
mod pool;
pub(crate) mod softmax_cross_entropy;

pub use activation::{
    Activate, Activation, Elementwise, LeakyRelu, Linear, Relu, Sigmoid, SlopeCase, Tanh,
};
pub use avg_pool::{AvgPool, Mean};
pub use conv::{Conv, Convolve, Correlate, Geometry, Orientation, Stencil};
pub use dense::Dense;
pub use flatten::Flatten;
pub use max_pool::{Max, MaxPool};
pub use pool::{Lines, Pool, Pooling};

use std::sync::Arc;

use crate::render::LayerDoc;
use crate::scalar::Scalar;
use crate::trace::{Name, NetRecipe, Recorder, Sym};

/// A tensor a network passes from op to op: a map `[C][H][W]` or a vector `[N]`, stored flat
/// and seen as nested arrays.
pub trait Tensor<S>: 'static {
    /// Its number of entries.
    const LEN: usize;
    /// Its shape, as PyTorch writes it: `[C, H, W]` or `[N]`.
    fn shape() -> Vec<usize>;
    /// The nested array over `LEN` flat entries.
    ///
    /// # Panics
    /// If `flat` does not have exactly `LEN` entries.
    fn view(flat: &[S]) -> &Self;
    /// The nested array over `LEN` flat entries, to write.
    ///
    /// # Panics
    /// If `flat` does not have exactly `LEN` entries.
    fn view_mut(flat: &mut [S]) -> &mut Self;
    /// Its entries, row-major.
    fn flat(&self) -> &[S];
    /// Its entries, row-major, to write.
    fn flat_mut(&mut self) -> &mut [S];
    /// The name of the entry at flat position `k` of a tensor called `name` of `layer`:
    /// `x[c,i,j]` of a map, with `c` left out of a map of one channel (so that a single
    /// layer's quantities read `x[i,j]`, `z[p,q]`), and `v[k]` of a vector.
    fn sym(name: Name, layer: usize, k: usize) -> Sym;
}

impl<S: 'static, const C: usize, const H: usize, const W: usize> Tensor<S> for [[[S; W]; H]; C] {
    const LEN: usize = C * H * W;

    fn shape() -> Vec<usize> {
        vec![C, H, W]
    }

    fn view(flat: &[S]) -> &Self {
        let (rows, _) = flat.as_chunks::<W>();
        let (planes, _) = rows.as_chunks::<H>();
        planes.try_into().expect("a buffer of the map's size")
    }

    fn view_mut(flat: &mut [S]) -> &mut Self {
        let (rows, _) = flat.as_chunks_mut::<W>();
        let (planes, _) = rows.as_chunks_mut::<H>();
        planes.try_into().expect("a buffer of the map's size")
    }

    fn flat(&self) -> &[S] {
        self.as_flattened().as_flattened()
    }

    fn flat_mut(&mut self) -> &mut [S] {
        self.as_flattened_mut().as_flattened_mut()
    }

    fn sym(name: Name, layer: usize, k: usize) -> Sym {
        map_sym::<C>(name, layer, (k / (H * W), k / W % H, k % W))
    }
}

impl<S: 'static, const N: usize> Tensor<S> for [S; N] {
    const LEN: usize = N;

    fn shape() -> Vec<usize> {
        vec![N]
    }

    fn view(flat: &[S]) -> &Self {
        flat.try_into().expect("a buffer of the vector's size")
    }

    fn view_mut(flat: &mut [S]) -> &mut Self {
        flat.try_into().expect("a buffer of the vector's size")
    }

    fn flat(&self) -> &[S] {
        self
    }

    fn flat_mut(&mut self) -> &mut [S] {
        self
    }

    fn sym(name: Name, layer: usize, k: usize) -> Sym {
        Sym::new(name, layer, &[k])
    }
}

/// A convolution's flat weight as `[F][C][KH][KW]`.
pub(crate) fn filters<S, const F: usize, const C: usize, const KH: usize, const KW: usize>(
    flat: &[S],
) -> &[[[[S; KW]; KH]; C]; F] {
    let (rows, _) = flat.as_chunks::<KW>();
    let (kernels, _) = rows.as_chunks::<KH>();
    let (filters, _) = kernels.as_chunks::<C>();
    filters.try_into().expect("a buffer of the weight's size")
}

/// A convolution's flat weight as `[F][C][KH][KW]`, to write.
pub(crate) fn filters_mut<S, const F: usize, const C: usize, const KH: usize, const KW: usize>(
    flat: &mut [S],
) -> &mut [[[[S; KW]; KH]; C]; F] {
    let (rows, _) = flat.as_chunks_mut::<KW>();
    let (kernels, _) = rows.as_chunks_mut::<KH>();
    let (filters, _) = kernels.as_chunks_mut::<C>();
    filters.try_into().expect("a buffer of the weight's size")
}

/// The name of entry `(c, i, j)` of a map of `C` channels: `[c,i,j]`, or `[i,j]` for one.
pub(crate) const fn map_sym<const C: usize>(
    name: Name,
    layer: usize,
    (c, i, j): (usize, usize, usize),
) -> Sym {
    if C == 1 { Sym::new(name, layer, &[i, j]) } else { Sym::new(name, layer, &[c, i, j]) }
}

/// Where an op stands in a network: its layer, and the name of the tensor it takes (the
/// network's input `x`, or the output of the layer before it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct At {
    /// The op's layer, from 0.
    pub layer: usize,
    /// What its input is called.
    pub input: Name,
    /// The layer its input belongs to.
    pub input_layer: usize,
}

impl At {
    /// The first op of a network, taking the input `x`.
    pub const FIRST: Self = Self { layer: 0, input: Name::X, input_layer: 0 };

    /// The name of entry `k` of the op's input.
    pub fn input_sym<S, T: Tensor<S>>(self, k: usize) -> Sym {
        T::sym(self.input, self.input_layer, k)
    }
}

/// The name of the gradient of a quantity: `δ` of `z`, `∂L/∂y` of `y`, `∂L/∂x` of `x`.
pub const fn gradient_of(name: Name) -> Name {
    match name {
        Name::Z => Name::Delta,
        Name::Y => Name::Dy,
        Name::V => Name::Dv,
        _ => Name::Dx,
    }
}

/// What an activation's derivative at `name` is called: `f′(z)`, `f′(y)`, `f′(x)`.
#[must_use]
pub const fn slope_of(name: Name) -> Name {
    match name {
        Name::Z => Name::Slope,
        Name::Y => Name::SlopeY,
        Name::V => Name::SlopeV,
        _ => Name::SlopeX,
    }
}

/// A named parameter as PyTorch names it: `("2.weight", [F, C, KH, KW], values)`.
pub type Named<S> = (String, Vec<usize>, Vec<S>);

/// One operation of a network, or a [`Chain`] of them.
///
/// Parameters, like tensors, are flat: an op's are one slice of [`Op::params_len`] values (a
/// convolution's weight then its bias), a chain's are its ops' one after the other. The
/// gradients have the same layout.
pub trait Op<S: Scalar>: Clone {
    /// The tensor it takes.
    type In: Tensor<S>;
    /// The tensor it gives.
    type Out: Tensor<S>;

    /// How many layers it is (a chain counts its ops).
    const LAYERS: usize = 1;

    /// What its output is called: `z` for a convolution, `y` for an activation.
    fn output_name(&self) -> Name;

    /// The number of parameters it trains.
    fn params_len(&self) -> usize {
        0
    }

    /// The scratch a forward and a backward pass need beyond their input and output: a
    /// chain's junctions.
    fn workspace_len(&self) -> usize {
        0
    }

    /// The forward pass: `y` from `x` and the parameters, every value reported to `rec`.
    fn forward<R: Recorder<S>>(
        &self,
        at: At,
        params: &[S],
        x: &Self::In,
        y: &mut Self::Out,
        workspace: &mut [S],
        rec: &mut R,
    );

    /// The backward pass: given `x`, the forward pass's `y` and `∂L/∂y`, the gradients of the
    /// parameters (written into `grads`) and, when asked for, `∂L/∂x`. The workspace is the
    /// one the forward pass left.
    #[allow(clippy::too_many_arguments)]
    fn backward<R: Recorder<S>>(
        &self,
        at: At,
        params: &[S],
        x: &Self::In,
        y: &Self::Out,
        dy: &Self::Out,
        dx: Option<&mut Self::In>,
        grads: &mut [S],
        workspace: &mut [S],
        rec: &mut R,
    );

    /// Its parameters, named as PyTorch names them, from layer `layer` on.
    fn named(&self, layer: usize, params: &[S], out: &mut Vec<Named<S>>) {
        let _ = (layer, params, out);
    }

    /// The name of parameter `k` of this op (or chain) from layer `layer` on: `w[f,c,i,j]`,
    /// `b[f]`.
    fn param_sym(&self, layer: usize, k: usize) -> Sym {
        let _ = k;
        Sym::new(Name::W, layer, &[])
    }

    /// How each of its layers is written in a derivation, in order. Not public API: every op
    /// of this crate implements it in its own file.
    #[doc(hidden)]
    fn describe(&self, out: &mut Vec<Arc<dyn LayerDoc<S>>>);

    /// The value and the gradient of every layer's output, and the gradient of every layer's
    /// input, from a forward and a backward pass's buffers, in order of layer: what a step's
    /// accessors give.
    fn junctions<'a>(&self, workspace: &'a [S], out: &mut Vec<(Vec<usize>, &'a [S], &'a [S])>) {
        let _ = (workspace, out);
    }

    /// The same op (or chain) making a learner's mistake `recipe` in its backward pass, where
    /// it concerns it; `None` where it does not (a bias gradient averaged, in a network
    /// without a bias).
    fn slipped(&self, at: At, recipe: NetRecipe) -> Option<Self>
    where
        Self: Sized,
    {
        let _ = (at, recipe);
        None
    }
}

/// Two ops one after the other: `B` takes what `A` gives.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Chain<A, B>(pub A, pub B);

impl<S: Scalar, A: Op<S>, B: Op<S, In = A::Out>> Op<S> for Chain<A, B> {
    type In = A::In;
    type Out = B::Out;

    const LAYERS: usize = A::LAYERS + B::LAYERS;

    fn output_name(&self) -> Name {
        self.1.output_name()
    }

    fn params_len(&self) -> usize {
        self.0.params_len() + self.1.params_len()
    }

    fn workspace_len(&self) -> usize {
        2 * <A::Out as Tensor<S>>::LEN + self.0.workspace_len() + self.1.workspace_len()
    }

    #[allow(clippy::inline_always)] // measured: BENCHMARKS.md, part 6
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn forward<R: Recorder<S>>(
        &self,
        at: At,
        params: &[S],
        x: &Self::In,
        y: &mut Self::Out,
        workspace: &mut [S],
        rec: &mut R,
    ) {
        let (pa, pb) = params.split_at(self.0.params_len());
        let (mid, _, wa, wb) = self.split(workspace);
        let mid = <A::Out as Tensor<S>>::view_mut(mid);
        self.0.forward(at, pa, x, mid, wa, rec);
        self.1.forward(self.next(at), pb, mid, y, wb, rec);
    }

    #[allow(clippy::inline_always)] // measured: BENCHMARKS.md, part 6
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn backward<R: Recorder<S>>(
        &self,
        at: At,
        params: &[S],
        x: &Self::In,
        y: &Self::Out,
        dy: &Self::Out,
        dx: Option<&mut Self::In>,
        grads: &mut [S],
        workspace: &mut [S],
        rec: &mut R,
    ) {
        let (pa, pb) = params.split_at(self.0.params_len());
        let (ga, gb) = grads.split_at_mut(self.0.params_len());
        let (mid, dmid, wa, wb) = self.split(workspace);
        let (mid, dmid) = (<A::Out as Tensor<S>>::view(mid), <A::Out as Tensor<S>>::view_mut(dmid));
        self.1.backward(self.next(at), pb, mid, y, dy, Some(dmid), gb, wb, rec);
        self.0.backward(at, pa, x, mid, dmid, dx, ga, wa, rec);
    }

    fn named(&self, layer: usize, params: &[S], out: &mut Vec<Named<S>>) {
        let (pa, pb) = params.split_at(self.0.params_len());
        self.0.named(layer, pa, out);
        self.1.named(layer + A::LAYERS, pb, out);
    }

    fn param_sym(&self, layer: usize, k: usize) -> Sym {
        let first = self.0.params_len();
        if k < first {
            self.0.param_sym(layer, k)
        } else {
            self.1.param_sym(layer + A::LAYERS, k - first)
        }
    }

    fn describe(&self, out: &mut Vec<Arc<dyn LayerDoc<S>>>) {
        self.0.describe(out);
        self.1.describe(out);
    }

    fn slipped(&self, at: At, recipe: NetRecipe) -> Option<Self> {
        match (self.0.slipped(at, recipe), self.1.slipped(self.next(at), recipe)) {
            (None, None) => None,
            (a, b) => {
                Some(Self(a.unwrap_or_else(|| self.0.clone()), b.unwrap_or_else(|| self.1.clone())))
            }
        }
    }

    fn junctions<'a>(&self, workspace: &'a [S], out: &mut Vec<(Vec<usize>, &'a [S], &'a [S])>) {
        let len = <A::Out as Tensor<S>>::LEN;
        let (mid, rest) = workspace.split_at(len);
        let (dmid, rest) = rest.split_at(len);
        let (wa, wb) = rest.split_at(self.0.workspace_len());
        self.0.junctions(wa, out);
        out.push((<A::Out as Tensor<S>>::shape(), mid, dmid));
        self.1.junctions(wb, out);
    }
}

impl<A, B> Chain<A, B> {
    /// Where `B` stands, after `A`.
    pub(crate) fn next<S: Scalar>(&self, at: At) -> At
    where
        A: Op<S>,
    {
        let layer = at.layer + A::LAYERS;
        At { layer, input: self.0.output_name(), input_layer: layer - 1 }
    }

    /// The junction's value and gradient, and the two ops' workspaces.
    fn split<'w, S: Scalar>(
        &self,
        workspace: &'w mut [S],
    ) -> (&'w mut [S], &'w mut [S], &'w mut [S], &'w mut [S])
    where
        A: Op<S>,
    {
        let len = <A::Out as Tensor<S>>::LEN;
        let (mid, rest) = workspace.split_at_mut(len);
        let (dmid, rest) = rest.split_at_mut(len);
        let (wa, wb) = rest.split_at_mut(self.0.workspace_len());
        (mid, dmid, wa, wb)
    }
}

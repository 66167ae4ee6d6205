#!/usr/bin/env python3
"""Independent checker for cnn-bp derivations (the plain text that `Display` prints).

Usage:
    python3 scripts/check_derivation.py [--quiet] [--pedantic] FILE [FILE ...]
    cargo run -q --example seed_question | python3 scripts/check_derivation.py -

FILE is a plain derivation text (one or more derivations one after another), or an
insta snapshot `*.snap`, whose header between its first two `---` lines is skipped. `-` reads
standard input.

It re-derives nothing from the Rust code. It reads the printed text and checks that every
printed number follows from numbers printed before it.

Numbers are `[−]D[.DDD]`, or `m·10ⁿ` (1 ≤ m < 10, superscript exponent: `1.23442·10⁷`,
`−1.5·10⁻⁹`), `∞`, `−∞`, `NaN`; each is the exact decimal it is written as. A number is exact
(the double's own shortest round-trip decimal, or a short decimal) or rounded: to p = max(6,
digits shown) significant digits, trailing zeros dropped (so `2.5·10⁷³` may stand for more
digits; the checker takes the 6, the looser reading); past 17 digits it is the rounded decimal
expansion of a double. Plain notation is for exponents −6..15 when exact, and when rounded only
while its digits before the point are all significant: a plain integer's digits all count
(`216900` is 6 digits, `12344200` 8, and must be right to 8; to 6 it is `1.23442·10⁷`); no
trailing zeros after the point, no leading zeros. Inside a product (and squared) a negative
number or one with a power of ten is in parentheses, after `+`/`−` only a negative one, never
the first operand of a difference or an update (an exact derivation's fractions: rule 13). Two
printings of one value agree when they can be of one double: an exact printing stands for the
double nearest to it, a rounded one for any double within half a unit in its p-th digit; two
roundings to the same p are the same text, otherwise |a − b| ≤ r(a) + r(b) (`agree()`).

1. arithmetic: each equation line `lhs = … = rhs ≈ v` is re-evaluated from the printed
   operands of its last right-hand side in exact rational arithmetic (fractions.Fraction).
   After ` = ` the value E must be v exactly; after ` ≈ ` |E − v| ≤ half a unit in the p-th
   significant digit of v, or v = ±∞ where E overflows f64. σ and tanh are evaluated in float
   (a few units in the last place of margin); σ(0) = 0.5 and tanh(0) = 0 are exact. The one
   exception, an equation ending `(f64 rounding: exactly, these numbers give X)`: E must be X
   (exactly, or to X's precision after `≈`), and v may be off from E by floating-point error
   only, ≤ 2·(operands + 1)·2⁻⁵²·Σ|terms|. An update `w ← p − η·g ≈ v` also shows the change:
   v − p has the sign of E − p and lies within half of it (or v = p where f64 cannot hold the
   change, |E − p| ≤ ulp(p)/2), the true change being E − p up to f64's rounding of v (half a
   unit in its last place) and of the printed η·g;
2. provenance: each operand must be a printing of the value printed earlier for the symbol it
   stands for (and of every other printing of it), named in the symbolic line above or implied
   by the line form (y and t in the loss, the current w, this step's ∂L/∂w, η from Given, …),
   in the printed form above; the terms of every sum must be the ones the convolution's
   definition (stride, padding, kernel) calls for. A sum longer than 120 characters continues
   on lines starting `+ ` exactly under the `=` of its first line, each line filled (the next
   term would not fit) and at most 120 characters (a single longer term aside); the lines are
   joined before the sum is read;
3. matrices: every printed matrix lists the values its entries' equations printed (as printed,
   or rounded to 6 digits where the equation showed more: a rounded value, or an exact one of
   more than 10 significant digits), with `≈` exactly when one of those equations says `≈` or
   an entry is rounded, right-aligned in columns;
4. the result: the last forward pass uses the last updated W and b; `L: a → b` quotes the first
   and the final L and its word (decreased, increased, unchanged, not finite) is what the
   printed values show; each `Summary` row quotes what its step printed (and is aligned). A
   standalone number (table cell, note, result line) carries `≈` exactly when it is a rounding:
   the digits its equation showed to be rounded are not quoted bare, a decimal known to be the
   double's own (an exact printing, or an earlier bare quote) never gets `≈`, and a bare quote
   is a shortest round-trip decimal agreeing with every printing of the value; ∞ and NaN are
   exact. A rounded cell has more than 6 digits only where a neighbouring row would print alike
   at 6, and neighbouring rows printing alike are of one value. A run of more than 20 steps
   writes out steps 1–5 and the last (`Steps 6 to N − 1` in between); a run of more than 50
   steps asked for lists in its summary the first and last ten steps and one in every ⌈N/20⌉
   (steps 1, 1 + n, …; N asked for), a shorter one every step; a step after a step not
   written out starts from parameters known only from their first printing there.
   The title says how many steps were taken (`N steps`, `K of N steps … (then a value stopped
   being finite)`, `no step … (N asked for; a given value is not finite)`), as the result
   heading does (`Result after K steps`, `Result: no step taken`);
5. notes: notes that quote values (`z[1,0] < 0`, `t[1,0] = 0`, `the loss rose from a to b`,
   `y[0,0] = 1 exactly: sigmoid is saturated there`, `… is not a finite number`, `the loss first
   rose at step k`, the first value that is not finite in the last forward pass or in a mistake's
   recipe) quote them truly, with `=` or `≈` as above, and the ones the values call for are
   there;
6. the symbolic form: a line written with symbols only (`z[0,0] = x[0,0]·w[0,0] + …`,
   `y[0,0] = max(0, z[0,0])`, `L = ½[(y[0,0] − t[0,0])² + …]`, `∂L/∂y[0,0] = y[0,0] − t[0,0]`,
   `f′(z[0,0]) = relu′(z[0,0])`, `δ[0,0] = ∂L/∂y[0,0]·f′(z[0,0])`, `w[0,0] ← w[0,0] − η·∂L/∂w[0,0]`,
   …) must be the formula of its entry (the terms of a sum: by the definition); the numbers line
   for the same entry must come after it and substitute the printed values of exactly those
   operands, in that order; in a symbolic derivation every numbers line needs its symbolic line
   and every symbolic line its numbers line;
7. `Check: finite differences`: per step, h = 10⁻⁶·max(1, largest |parameter|) (to its
   rounding); each backpropagation value quotes the one that step printed; each difference is
   |backpropagation − central difference| within the rounding of the three printed numbers
   (and of the f64 subtraction); an entry with a value that is not finite is `not compared`,
   with a note listing exactly those of backpropagation, L(w + h), L(w − h) and the central
   difference that are not finite (consistent with the central difference shown); an entry is
   otherwise `not compared` exactly when a kink note flags it, the note quotes that step's z
   truly and |z| ≤ h·max|x|; a compared entry whose z is within reach of the relu/leaky_relu
   kink (|z| < h·|its x|) needs a note; `Largest difference` names the largest compared
   difference, `No entry could be compared.` says there is none;
8. the mistakes (`Common mistakes, applied to step 1's numbers`): each mistake's fixed lines
   match the layer and its recipe (for a convolving layer, ∂L/∂W = rot180(X ⋆ δ)); every
   equation is checked as in a step, its operands being step 1's values or the ones printed
   before in the same mistake section (e, δ̃, g, the new w and b, then z and y of its forward
   pass, which uses the new w and b); the terms of g[i,j] follow the index maps of the layer
   (mistake 1: δ̃; mistake 2: ∂L/∂y; mistake 3: the terms of ∂L/∂w[KH−1−i, KW−1−j]); g_b sums
   δ̃ or ∂L/∂y, mistake 3 updates b with step 1's ∂L/∂b; a recipe with a value that is not
   finite notes its first one after its loss; `Mistakes compared` quotes step 1's update with
   the loss it gives (step 2's L, or the final L) and each mistake's update and last L; its note
   lists exactly the mistakes whose loss ends above step 1's L.

A network's derivation (`Training a network of …`) is held to the same rules of numbers,
arithmetic, provenance, matrices, notes and the symbolic form, and read stage by stage: what
every equation must be is worked out from Given alone (its layers, shapes, stride, padding,
dilation and orientation), never from the text it checks:

9. Given and the output sizes: the layers in order, each convolution's filters on the channels
   that reach it; each OH and OW recomputed from its printed operands (which must be Given's),
   the chain of shapes; per step every layer's forward pass, the loss, the loss's gradient and
   every layer's backward pass in reverse, the updates, in that order, each with its heading,
   its general formula (every index expression evaluated over the ranges), the explanations
   said once in the first step; every entry's equation in order, the terms of each forward sum,
   filter gradient, bias gradient and ∂L/∂x being exactly those the layer's windows give; each
   operand a printing of the value printed for it (the input, the parameters the step started
   from, the values printed before in the step); the notes on dead ReLUs, gradients that are 0
   everywhere, a loss that rose and the first value that is not finite, exactly where the
   values call for them; the result: the last forward pass with the last updated parameters,
   the final parameters, `L: a → b` and the summary. A sum of one term that passes a gradient on
   as it is (`∂L/∂b⁽²⁾ = δ⁽²⁾[0,0] = −0.75`, `∂L/∂y⁽¹⁾[0,0] = ∂L/∂y⁽²⁾[0,0] ≈ −0.611317`: the
   names and the result on one line, no numbers line) has as its result a printing of that
   name's value, quoted as a standalone number is (`=` for the double's own decimal);
10. `Check: finite differences` of a network: per step written out, h = 10⁻⁶·max(1, the
   largest |entry| of the step's parameters and of the input); the rows are every parameter's
   gradient, layer by layer, then every entry of ∂L/∂x; each backpropagation value quotes the
   gradient the step printed (∂L/∂x where the step did not print it: what its printed δ and
   filters give, or ∂L/∂y times the slope of a first activation, to within their rounding);
   each difference as for one layer; a row not compared has a note: values that are not finite
   (as for one layer), or an argument of a relu or leaky_relu (named as the activation that
   takes it) quoted truly and within reach of the kink: |z| at most h times the largest input
   the moved entry multiplies, times the gains of the layers between (a convolution's largest
   Σ|w| over its filters, relu and tanh 1, leaky_relu max(1, |α|), sigmoid ¼); a compared row
   whose move carries the argument of the activation right after its layer across 0 needs a
   note; the notes come in the table's order, those on values that are not finite first;
   `Largest difference` as for one layer;
11. the mistakes of a network (`Common mistakes in the backward pass, applied to step 1's
   numbers`): the recipes that concern some layer, in order (∂L/∂x with the filter not rotated:
   every convolution after the first; the bias gradient averaged: every convolution with a bias
   and more than one output position; the filters' contributions to ∂L/∂x not summed: every
   convolution after the first with more than one filter), each with its explanation, then the
   stage it gets wrong in the highest layer it concerns (for the mean, in every layer it
   concerns), its heading, formula and terms those of the recipe (the filter's entries mirrored;
   the last filter's terms alone; the sum of δ times (1/n)), and for a wrong ∂L/∂x the whole
   backward pass of every layer below, then the update from step 1's parameters, a forward
   pass and loss with the parameters it gives; every operand is the mistake's own value where
   it prints one, else step 1's; the first value of the recipe's pass that is not finite is
   noted; each recipe that concerns no layer has a note saying why; the table quotes each
   recipe's loss and the correct step's (step 2's, or the final one after one step);
12. the layers of "Networks II" (max_pool, avg_pool, flatten, dense) and the softmax
   cross-entropy, read as the convolutions are, everything worked out from Given: a vector
   input `x (input, N)` and vector outputs (their index always shown); each layer's line
   against what reaches it (a pool's window fits its map and is `overlapping` exactly where a
   stride is less than the window; flatten takes the map that reaches it, N = C·H·W; a dense
   layer's `in` is the vector's length, its weight O×I, its bias O); the output sizes, under a
   heading with the rule of each kind of layer that has one (a conv's alone, or `… for a conv,
   … for a pool`; none for dense layers only): `OH = (3 − 2)/1 + 1 = 2`, with ⌊ ⌋ and the span
   over the stride where the floor matters, and the rows and columns of the input no window
   covers said after it (`(the last row of its input is in no window: …, so its gradient is
   0)`), exactly where there are some; `N = 1·2·2 = 4`; `3×4 weight: 4 → 3`; and the chain
   (`max_pool 2×2, stride 1`, `flatten`, `dense 4→3`); per step: a max pool's `y[p,q] = max(…)` over exactly its window's
   entries (given size and stride), its result the largest printed operand, a tie (entries
   printed exactly alike as the maximum) noted on the line (`(a tie between a and b; the
   first, a, is taken)`) exactly where there is one, and after the matrix a note per tied
   window naming exactly the tied entries and the first; entries printed alike (rounded) as the
   maximum without a tie are a failure (the printing does not show which the gradient goes
   to); an average pool's `(1/n)[…]` of its window; flatten's vector a copy of the map in
   row-major order (`v[c·H·W + i·W + j] = x[c,i,j]`: each entry a printing of the entry it
   copies, `≈` exactly where one is shown rounded) and its backward pass ∂L/∂v folded back the
   same way; a dense layer's z[o] = Σ_i w[o,i]·x[i] + b[o], ∂L/∂w[o,i] = δ[o]·x[i],
   ∂L/∂b[o] = δ[o] (passed on) and ∂L/∂x[i] = Σ_o w[o,i]·δ[o]; a max pool's ∂L/∂x[r,s] the
   sum of ∂L/∂y over the windows covering (r,s) whose printed maximum is that entry (first in
   row-major order on a tie; where entries print alike without a tie, any one of them, each
   such window's gradient going to exactly one), 0 with its reason (it tied for a window's
   maximum and the tie's first, named, takes the gradient; no window picked it; or no window
   covers it: the floor); an average pool's (1/(kh·kw))·Σ over the covering windows'
   ∂L/∂y; the softmax's loss stage: m = max of the logits (a tie noted), e[k] = exp(z[k] − m),
   S = Σ e, p[k] = e[k]/S (each with its matrix), L = −[Σ t·log p] over the terms whose t is
   not 0 (exp and log evaluated in float, a margin of a few units in the last place, as σ and
   tanh; a quotient exactly, `≈` allowed where it comes out exact), the prose on subtracting m
   and on why p − t once, in step 1, and δ[k] = p[k] − t[k]; where a wanted class's printed p
   is below the smallest normal f64, after p's matrix the note naming exactly those classes
   (`p[2] underflows below the smallest normal f64, …`, singular or plural), then for every
   class with t[k] ≠ 0 `log p[k] = z[k] − m − log(S)` from the logit and this stage's m and S
   (in float, with the margin of exp), and L = −[t[k]·log p[k] + …] over those classes from
   the printed logs exactly (by the arithmetic rule); Given's target a probability
   vector, with the note on a target no softmax reaches exactly when an entry is 0 (one-hot or
   soft); the finite-difference check's rows and reach over dense layers too (a dense layer's
   gain: max over outputs of Σ|w|), notes on a max-pool window's maximum (`… is within reach
   of a change of its max-pool window's maximum …`: the quoted output a max pool's, quoted
   truly, its window's two largest printed entries within twice what the move can change
   them by), and a compared row of an input entry of a first max pool that certainly changes
   a window's pick (entries printed exactly within h) is a failure; ∂L/∂x of a first dense
   layer, pool or flatten where the step did not print it, from what it did; the recipes of the
   new ops: the max-pool gradient spread over the window (every max pool after the first layer
   with a window of more than one entry: (1/n)·Σ over the covering windows, then the backward
   pass below), t − p (a softmax cross-entropy: the loss's gradient t[k] − p[k] and every
   layer's whole backward pass after it) and W in place of Wᵀ (every dense layer after the
   first with a square weight of more than one entry: ∂L/∂x[i] = Σ_o w[i,o]·δ[o], then the
   backward pass below), each recipe noted as not shown where the network has an op of its kind
   (a convolution, a max pool, a dense layer) but none it concerns; a recipe whose backward pass misses a stage is one failure, and the rest of that
   pass and its update are not checked (its forward pass is, from the parameters as printed).
13. exact derivations (`arithmetic: exact`, a single layer's or a network's): read where a
   fraction stands alone in a line (a matrix entry, a table cell, a result at the end of a line,
   after `→`), which no decimal derivation prints; one that stays in integers throughout reads
   as a decimal one, whose rules then hold for it too. Its numbers are integers and fractions
   `a/b` (`31/10`, `−19/10`): in lowest terms, b > 1, no leading zeros, no decimal point (but
   leaky_relu's α in Given, quoted as the spec wrote it: `leaky_relu(0.25)`; its equations
   write `(1/4)·(−263/48)`), no power of ten, ∞ or NaN; each
   is the exact rational it is written as (fractions.Fraction), and a printing of a value is
   that value, nothing rounded: provenance, matrices, tables and quotes ask for equality. As
   a factor of a product a fraction is in parentheses, as a number with a power of ten is
   (`(1/4)·(21/10)`, `1·(19/40)`, `+ 4/3`, `+ (−143/120)`); a factor in front of a sum or a
   difference stays one (`(1/4)[…]`, `(2/12)·(23/5 − 1/2)`, `(1/4)·(3/2)` where the definition
   has a factor and one term). Every line says `=`, never `≈` (each equation holds as an
   identity of fractions, by the arithmetic rule), no f64-rounding reason; the finite-difference
   check's h is 10⁻⁶·max(…) exactly (`h = 1/500000`) and each difference is exactly
   |backpropagation − central difference|, its introduction adds why (`In exact arithmetic this
   is no approximation: …`) and, where every compared difference is 0, it concludes `Every
   compared entry agrees exactly: the largest difference is 0.` in place of `Largest
   difference`. `L: a → b` adds `; in decimals A → B` exactly where a or b is not an integer:
   the doubles nearest to them as a decimal derivation quotes a value (bare: the double's
   shortest decimal; `≈`: a rounding of it to its digits), showing the same trend where the
   doubles differ. The fractions' growth: per section written out (each step, the final forward
   pass), the most digits of a result (numerator and denominator together); past 30 in some
   section, after `L: a → b` the note `the fractions grow with every step: S is the first with
   one of more than 30 digits (numerator and denominator together: d), and the largest, in S′,
   has D. …` naming the first such section and its digits, and the section with the most where
   that has more; otherwise no such note. A run whose step K's update made a parameter one of
   more than 1,000 digits stops there: its title `K of N steps of gradient descent (then the
   fractions had grown too large)`, right under the result's heading the note `training stopped
   after step K of N: its update made a parameter a fraction of D digits …, past the 1000 at
   which exact arithmetic stops. …` with K the last step written out, D the most digits of its
   updates' results, and the updates of the step before within 1,000. Decimal texts
   (`1/2.168233` of a softmax's quotient, `(1/4)·[…]`, `(2/9)·(…)`) are read as before: there
   a `/` is always a division.
14. batches (`Training a network of … on a batch of N examples (the batch loss the mean|sum of
   theirs): …`): Given lists every example's input and target (or upstream gradient), in order,
   all of one kind and shape, then the layers, η and the loss, then `batch: N examples, reduction
   mean|sum: the batch's loss is L = (1/N)·Σₙ Lₙ …` (`½·` for two; no factor for a sum), its N,
   reduction and factor those of the title; each step is `Step k` (what it does, and in step 1
   that L and ∂L/∂ of an example's pass are Lₙ and ∂Lₙ/∂), then `Step k, example n of N` for the
   examples written out (all of at most 4; of more, the first 3, then `Examples 4 to N are
   computed the same way and not written out; …` right after the third), each read as a step of
   the network (rules 9–12) on that example's input and target, from the parameters the step
   started from, without an update (the explanations said once, in step 1's first example);
   then `Step k, the batch`: `L = ½[L₁ + L₂] = v` (its symbolic line in the symbolic form) and
   every parameter's `∂L/∂p[…] = ½[∂L₁/∂p[…] + ∂L₂/∂p[…]]` with its numbers and matrix, each
   Lₙ and ∂Lₙ/∂p[…] a printing of the value example n's section printed (provenance; an example
   not written out is known from its first printing there), the terms exactly the N examples'
   of the same entry, the factor 1/N of a mean and none of a sum (rule 1's arithmetic), the
   prose on where 1/N enters (or that a sum has none) in step 1, a rise of the batch's loss
   noted as a run's is; the update uses the batch gradient (rule 2). The result: every example
   written out with its last forward pass (`example n of N:`; `Examples 4 to N: computed the same
   way, not written out.`), then the batch's loss of their losses, the final parameters, `L: a
   → b` of the batch's loss, and always the summary `…, the batch's and each example's` (` (of the
   first 8)` beyond 8 examples): per row the batch's L and each example's Lₙ, each quoting what
   that step (or the last forward pass) printed. Its finite-difference check moves the
   parameters only (no ∂L/∂x rows; h = 10⁻⁶·max(1, the parameters and every example's
   input)); a kink note's argument is some example's, quoted truly, within reach, and a
   compared row crossing a kink in any example written out needs one. Its mistakes: `the batch
   gradient summed while the loss is the mean` (a mean of more than one example: each entry Σₙ
   ∂Lₙ/∂p of step 1's gradients, N times step 1's batch gradient, so η acts N times larger) and
   `the bias gradient averaged` (example 1's pass, the bias gradient of every convolution it
   concerns as (1/n)·Σ δ of step 1's δ, then the batch's gradient of the examples' wrong ones,
   the other examples' first printed there), each with its update from step 1's parameters and
   `The batch's loss with these parameters:` (the examples' losses first printed there); the
   recipes not shown noted (`… is not shown: the batch loss is a sum (or the batch has one
   example), …`), and the table of the loss each recipe gives.

Nothing is skipped: a line the checker does not recognise, in any section, is a failure, even
without digits (only the known headings and explanatory paragraphs pass as prose), and so is a
section after the result that it does not know. --allow-trailing instead skips, with a note,
unknown text after a blank line following the last known section (an example's own output).

Every failure is printed as `file:line: message (expected …, printed …)`; then one summary line
per file with the counts of what was checked. Exit status: 0 if everything checks, 1 on any
failure, 2 on a usage error.

--quiet      print only failures and the summary lines
--pedantic   also list (as notes, not failures) ` ≈ ` lines whose printed operands, all printed
             exactly, give the printed result exactly (` = ` would hold if it is the double
             itself), and f64-rounding reasons on lines that would pass without one
--allow-trailing
             skip (with a note) unknown text after the derivation's last known section
"""

from __future__ import annotations

import math
import re
import sys
from fractions import Fraction

# an exact derivation's fractions may have thousands of digits (an exact run stops past 1,000 in
# a parameter, and its last forward pass has more): Python limits int ↔ str to 4,300 by default
if hasattr(sys, "set_int_max_str_digits"):
    sys.set_int_max_str_digits(0)

# ---------------------------------------------------------------------------------------------
# Numbers

SUP = "⁰¹²³⁴⁵⁶⁷⁸⁹"
# a power of ten: `·10⁷`, `·10⁻¹²`
POW = r"·10⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]+"
# a fraction of an exact derivation, as the checker reads it: `31/10` of the text with its slash
# turned into U+2044 FRACTION SLASH (exact_lines()), so that it is one number, and no decimal
# text, where a `/` is always an operation (`1/2.168233`, `(1/4)·[…]`), ever holds one
FRAC_SLASH = "⁄"
NUM = rf"(?:−?(?:\d+⁄\d+|\d+(?:\.\d+)?(?:{POW})?|∞)|NaN)"
FAC = rf"(?:\({NUM}\)|{NUM})"  # an operand inside a product (its form is checked by form_error)
NUM_RE = re.compile(NUM)
NUM_PARTS = re.compile(r"(−?)(\d+)(?:\.(\d+))?(?:·10(⁻?)([⁰¹²³⁴⁵⁶⁷⁸⁹]+))?")
FRAC_PARTS = re.compile(r"(−?)(\d+)⁄(\d+)")
SIGN = r"(=|≈)"
# a standalone number: `≈` in front when it is rounded (tables, notes, the result line)
MNUM = rf"(≈?{NUM})"

# Rounded numbers show at least this many significant digits (trailing zeros dropped).
SIGNIFICANT = 6
# A value whose shortest decimal has more significant digits than this is written rounded
# where it stands in a matrix, even where its equation showed it exactly (to show the change of
# an update).
EXACT_DIGITS = 10
F64_OVERFLOW = Fraction(2) ** 1024 - Fraction(2) ** 970  # from here on, f64 rounds to ∞
EPS = Fraction(1, 2 ** 52)

# Whether the derivation being checked is exact (`arithmetic: exact`: fractions, `=` everywhere;
# set_exact()). Its numbers are then the exact values themselves, not printings of doubles:
# nothing is rounded, two printings agree only when equal, and no f64 error is allowed for.
EXACT = False


def set_exact(on: bool):
    global EXACT, EPS
    EXACT = on
    EPS = Fraction(0) if on else Fraction(1, 2 ** 52)


# A fraction standing alone in a line of an exact derivation (a matrix entry, a table cell, a
# result at the end of a line, a quote after `→`): no decimal derivation prints one there.
EXACT_SIGN = re.compile(r"(?:= |→ |\[ |  )−?\d+/\d+(?= \]|  | \(|$)")
# A fraction as a value: digits on both sides of the slash, not the floor of an output size
# (`⌊5/2⌋`), not a bracket divided (`(3 − 2)/1`) or dividing (`1/(n + 1)`), no decimal.
FRAC_TEXT = re.compile(r"(?<![\d.⌊)/⁄])(\d+)/(\d+)(?![\d./⁄⌋(])")
# After a factor in front of a sum or a difference, not a value: `(1/4)[…]`, `(1/4)·Σ…`,
# `(2/12)·(z − t)`, `(1/4)·∂L/∂y[0]` (and the prose's `1/4 of what it moves itself`, see
# exact_lines()); a factor in front of numbers, `(2/12)·(23/5 − 1/2)`, `(1/4)·(3/2)`, is read as a
# fraction (split_scale() and unscale() take either).
SCALE_AFTER = re.compile(r"\)(?:\[|·\(?(?![\d(−]))")


def exact_lines(lines):
    """The lines of an exact derivation with the slash of every fraction that is a value turned
    into FRAC_SLASH (the same length: columns stay where they are)."""
    def one(raw: str) -> str:
        def sub(m):
            if m.start() > 0 and raw[m.start() - 1] == "(" and SCALE_AFTER.match(raw, m.end()):
                return m.group(0)
            if raw.startswith(" of what", m.end()):
                return m.group(0)
            return f"{m.group(1)}{FRAC_SLASH}{m.group(2)}"
        return FRAC_TEXT.sub(sub, raw)
    return [(ln, one(raw)) for ln, raw in lines]


def is_exact(lines) -> bool:
    """Whether a derivation is exact: some fraction stands alone in one of its lines. (One that
    comes out in integers throughout reads as a decimal one does, whose rules then hold too.)"""
    return any(EXACT_SIGN.search(raw) for _, raw in lines)


def parse_value(text: str):
    """The value of a printed number: a Fraction (the exact decimal it is written as), or a
    float for NaN and ±∞. `1.5·10⁻⁹` is 15/10¹⁰ exactly."""
    t = text.strip()
    if t.startswith("≈"):
        t = t[1:]
    if t.startswith("(") and t.endswith(")"):
        t = t[1:-1]
    if t == "NaN":
        return math.nan
    if t in ("∞", "−∞"):
        return math.inf if t == "∞" else -math.inf
    f = FRAC_PARTS.fullmatch(t)
    if f:
        if int(f.group(3)) == 0:
            raise ValueError(f"a fraction with denominator 0: {text!r}")
        v = Fraction(int(f.group(2)), int(f.group(3)))
        return -v if f.group(1) else v
    m = NUM_PARTS.fullmatch(t)
    if not m:
        raise ValueError(f"not a number: {text!r}")
    v = Fraction(m.group(2) + ("." + m.group(3) if m.group(3) else ""))
    if m.group(5):
        e = int("".join(str(SUP.index(c)) for c in m.group(5)))
        v *= Fraction(10) ** (-e if m.group(4) else e)
    return -v if m.group(1) else v


def finite(v) -> bool:
    return not (isinstance(v, float) and (math.isnan(v) or math.isinf(v)))


def same(a, b) -> bool:
    if not finite(a) or not finite(b):
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        return a == b
    return a == b


def sig_digits(text: str) -> int:
    """Significant digits shown: those of the mantissa without leading zeros. In a plain
    integer like `216900` the trailing zeros count (its digits before the point are all
    significant, or it would have been written with a power of ten)."""
    t = text.strip("()≈").lstrip("−").split("·")[0].replace(".", "").lstrip("0")
    return len(t)


def exp10(v: Fraction) -> int:
    """e with 10^e ≤ |v| < 10^(e+1), for v ≠ 0, exactly."""
    a = abs(v)
    e = len(str(a.numerator)) - len(str(a.denominator))
    while Fraction(10) ** e > a:
        e -= 1
    while Fraction(10) ** (e + 1) <= a:
        e += 1
    return e


def half_unit(v, p: int) -> Fraction:
    """Half a unit in the p-th significant digit of v (0 for 0 and for non-finite values)."""
    if not finite(v) or v == 0:
        return Fraction(0)
    return Fraction(1, 2) * Fraction(10) ** (exp10(v) - p + 1)


def precision(text: str) -> int:
    """The precision p of a number printed rounded: max(6, significant digits shown)."""
    return max(SIGNIFICANT, sig_digits(text))


def to_float(v) -> float:
    """`float(v)`, but ±∞ where an exact value is beyond f64's range (as f64 arithmetic gives)."""
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


def as_double(v):
    """The double nearest to an exact value (a Fraction), as a Fraction; ±∞ past the range (in
    an exact derivation the value itself)."""
    if not finite(v) or EXACT:
        return v
    f = to_float(v)
    return Fraction(f) if finite(f) else f


def notation_error(text: str, exact) -> str | None:
    """Whether a number is written in the printed form: plain `[−]D[.DDD]` for exponents
    −6..15 when the value is exact, and for a rounded value only while all its digits before
    the point are significant; otherwise `m·10ⁿ` with 1 ≤ m < 10; no trailing zeros after the
    point. `exact` is True (printed exactly), False (printed rounded) or None (not known)."""
    t = text.strip()
    if t.startswith("≈"):
        t = t[1:]
    if t.startswith("(") and t.endswith(")"):
        t = t[1:-1]
    if EXACT:
        return exact_notation_error(t, exact)
    if t in ("∞", "−∞", "NaN"):
        return None
    m = NUM_PARTS.fullmatch(t)
    if not m:
        return "not a number"
    ip, fp, sci = m.group(2), m.group(3), m.group(5)
    if fp is not None and fp.endswith("0"):
        return "a trailing zero after the point"
    if len(ip) > 1 and ip.startswith("0"):
        return "a leading zero"
    v = parse_value(t)
    if sci:
        if len(ip) != 1 or ip == "0":
            return "the mantissa of a power of ten is not between 1 and 10"
        if sci.startswith("⁰"):
            return "a leading zero in the exponent"
    if v == 0:
        return None if not sci and fp is None and m.group(1) == "" else "zero written other than `0`"
    e = exp10(v)
    if sci:
        if -6 <= e <= 15:
            # only a rounded value whose digits before the point would not all be significant
            if e < 0 or exact is True or e + 1 <= precision(t):
                return f"exponent {e} is written plainly (exactly, or rounded while its digits before the point are significant)"
        return None
    if e > 15 or e < -6:
        return f"exponent {e} is written with a power of ten"
    # a rounded value written plainly has all its digits before the point significant: its
    # precision counts them all (`12344200` reads as 8 significant digits, and the arithmetic is
    # checked to them; at 6 it would be `1.23442·10⁷`)
    return None


def exact_notation_error(t: str, exact) -> str | None:
    """The printed form of a number of an exact derivation: an integer, or a fraction a/b in
    lowest terms with b > 1 (`−5/32`); no decimal point (but where `exact` is "decimal": a
    decimal quoted as Given wrote it, leaky_relu's α), no power of ten, no ∞ or NaN (an exact
    value is always finite)."""
    if t in ("∞", "−∞", "NaN"):
        return "an exact value is always a finite number"
    f = FRAC_PARTS.fullmatch(t)
    if f:
        a, b = f.group(2), f.group(3)
        if (len(a) > 1 and a.startswith("0")) or b.startswith("0"):
            return "a leading zero"
        if int(a) == 0:
            return "zero written other than `0`"
        if int(b) == 1:
            return "an integer written as a fraction"
        if math.gcd(int(a), int(b)) != 1:
            return f"the fraction is not in lowest terms ({show(Fraction(int(a), int(b)))})"
        return None
    m = NUM_PARTS.fullmatch(t)
    if not m:
        return "not a number"
    if m.group(5):
        return "an exact derivation writes no power of ten"
    if m.group(3) is not None and exact != "decimal":
        return "an exact derivation writes integers and fractions, not decimals"
    if m.group(3) is not None and m.group(3).endswith("0"):
        return "a trailing zero after the point"
    if len(m.group(2)) > 1 and m.group(2).startswith("0"):
        return "a leading zero"
    if parse_value(t) == 0 and t != "0":
        return "zero written other than `0`"
    return None


def round_sig(v: Fraction, p: int) -> Fraction:
    """v rounded to p significant digits (half to even), exactly."""
    if v == 0:
        return v
    q = Fraction(10) ** (exp10(v) - p + 1)
    return round(v / q) * q


def collide6(a_text, a, a_rounded, b_text, b, b_rounded) -> bool:
    """Whether two printed values could print alike with 6 significant digits (each stands for
    any double within its rounding)."""
    def span(t, v, r):
        rad = radius(t, v, r)
        return round_sig(v - rad, SIGNIFICANT), round_sig(v + rad, SIGNIFICANT)
    lo_a, hi_a = span(a_text, a, a_rounded)
    lo_b, hi_b = span(b_text, b, b_rounded)
    return lo_a <= hi_b and lo_b <= hi_a


def fmt_sig(v: Fraction, p: int) -> str:
    """v rounded to p significant digits, in the printed form (trailing zeros dropped)."""
    r = round_sig(v, p)
    if r == 0:
        return "0"
    e = exp10(r)
    neg = "−" if r < 0 else ""
    r = abs(r)
    digits = str(round(r / Fraction(10) ** (e - p + 1))).rstrip("0") or "0"
    if e > 15 or e < -6 or e + 1 > p:
        m = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        ex = "".join(SUP[int(c)] for c in str(abs(e)))
        return f"{neg}{m}·10{'⁻' if e < 0 else ''}{ex}"
    if e >= 0:
        ip = digits[: e + 1].ljust(e + 1, "0")
        fp = digits[e + 1:]
    else:
        ip, fp = "0", "0" * (-e - 1) + digits
    return neg + ip + ("." + fp if fp else "")


def frac_text(v: Fraction) -> str:
    """A fraction as an exact derivation prints it: `−5/32`, `2`."""
    t = str(abs(v.numerator)) + (f"/{v.denominator}" if v.denominator != 1 else "")
    return ("−" if v < 0 else "") + t


def show(v) -> str:
    """A value for a message: exact when it is a short decimal, else 12 significant digits (in
    an exact derivation: the fraction)."""
    if EXACT and isinstance(v, Fraction):
        return frac_text(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "∞" if v > 0 else "−∞"
        return show(Fraction(v))
    else:
        d = v.denominator
        while d % 2 == 0:
            d //= 2
        while d % 5 == 0:
            d //= 5
        s = None
        if d == 1:
            # terminating decimal: print it exactly if it is not too long
            for places in range(0, 25):
                scaled = v * 10**places
                if scaled.denominator == 1:
                    n = abs(scaled.numerator)
                    digits = str(n).rjust(places + 1, "0")
                    s = digits if places == 0 else digits[:-places] + "." + digits[-places:]
                    if v < 0:
                        s = "-" + s
                    break
            if s is not None and len(s) > 45:
                s = None
        if s is None:
            for p in (12, 17, 40):
                if round_sig(v, p) == v:
                    return fmt_sig(v, p)
            return "≈" + fmt_sig(v, 12)
    return s.replace("-", "−")


# Roundedness of a printed value: False (exact: the decimal is the double's own), True
# (rounded), or MAYBE (not known from the text: an entry of a Given matrix marked `≈`, or the
# result of a `≈` equation whose printed operands give it up to f64 rounding error only, which
# may be the double itself: σ(40) ≈ 1, ½[(1 − 10²²)² + …] ≈ 5·10⁴³). A result its printed
# operands give exactly but marked `≈` is rounded (else it would say `=`). MAYBE counts as
# rounded for provenance (its interval holds the exact double too); the first standalone
# quote of it (with or without `≈`) settles it, and the others must agree.
MAYBE = "maybe"


def is_shortest(v) -> bool:
    """Whether a decimal is a shortest round-trip decimal of the double nearest to it (the
    form an exact value is printed in): it reads back as that double, with no more digits than
    the shortest one (two decimals of that length may both read back: 1000000000000001.2 and
    …1.3 are both the double 1000000000000001.25)."""
    if not finite(v) or EXACT:
        return True
    f = to_float(v)
    if not finite(f):
        return False
    if Fraction(repr(f)) == v:
        return True
    return to_float(v) == f and sig_digits(show(v).lstrip("≈")) <= sig_digits(show(Fraction(repr(f))).lstrip("≈"))


class Val:
    """A printed value: its text, its value, whether it was printed rounded, and where."""

    __slots__ = ("text", "value", "rounded", "line", "pending", "approx", "prints")

    def __init__(self, text: str, rounded, line: int, approx=None):
        if EXACT:
            rounded = False  # an exact derivation's values are what they are printed as
        self.text = text.strip("()≈") if text is not None else None
        self.value = parse_value(self.text) if text is not None else None
        self.rounded = rounded
        self.line = line
        self.pending = text is None  # a value not printed yet (a step that is not written out)
        self.approx = (rounded is not False) if approx is None else approx  # its equation said `≈`
        self.prints = [self]  # the other printings of this value seen so far

    def fill(self, text: str, rounded, line: int):
        """A placeholder takes the first printing of its value as its own."""
        self.text = text.strip("()≈")
        self.value = parse_value(self.text)
        self.rounded = False if EXACT else rounded
        self.line = line
        self.pending = False

    def exact(self) -> bool:
        """Printed exactly: the text is the double's own decimal (non-finite values are too)."""
        return self.rounded is False or not finite(self.value)

    def marked(self) -> str:
        """The value as a standalone number: `≈` in front when it is rounded."""
        return ("≈" if self.rounded is True and finite(self.value) else "") + self.text


def radius(text: str, value, rounded) -> Fraction:
    """How far the double a printing stands for may lie from the printed decimal."""
    if rounded is False or not finite(value) or EXACT:
        return Fraction(0)
    return half_unit(value, precision(text))


def agree(a_text: str, a_val, a_rounded, b_text: str, b_val, b_rounded) -> bool:
    """Whether two printings can be of one double. An exact printing stands for the double
    nearest to it; a rounded one (p = max(6, digits shown) significant digits) for any double
    within half a unit in its p-th digit. Two roundings to the same precision of one double are
    the same text (and an exact one rounds to itself); otherwise the intervals must meet:
    |a − b| ≤ r(a) + r(b). In an exact derivation two printings are of one value when they are
    equal."""
    if EXACT:
        return same(a_val, b_val)
    if not finite(a_val) or not finite(b_val):
        return same(a_val, b_val)
    a_exact, b_exact = a_rounded is False, b_rounded is False
    if a_exact and b_exact:
        return as_double(a_val) == as_double(b_val)
    if a_exact or b_exact:
        (x, xv), (y, yv, yr) = ((a_text, a_val), (b_text, b_val, b_rounded)) if a_exact else \
            ((b_text, b_val), (a_text, a_val, a_rounded))
        d = as_double(xv)
        if not finite(d):
            return False
        return abs(d - yv) <= radius(y, yv, yr)
    if precision(a_text) == precision(b_text):
        # two roundings to the same precision of one double print alike, and an exact decimal
        # rounds to itself (either may be the other where it is not known which it is)
        return a_val == b_val
    return abs(a_val - b_val) <= radius(a_text, a_val, True) + radius(b_text, b_val, True)


def agree_vals(a: Val, b: Val) -> bool:
    return agree(a.text, a.value, a.rounded, b.text, b.value, b.rounded)


# ---------------------------------------------------------------------------------------------
# Arithmetic expressions as printed: numbers, + − · / ², ( ), [ ], ⌊ ⌋ and ½


class ExprError(Exception):
    pass


def tokenize(s: str):
    toks = []
    i = 0
    while i < len(s):
        ch = s[i]
        if ch == " ":
            i += 1
            continue
        m = NUM_RE.match(s, i)
        if m and (ch != "−" or (i + 1 < len(s) and (s[i + 1].isdigit() or s[i + 1] == "∞"))):
            toks.append(("num", m.group(0)))
            i = m.end()
            continue
        if ch in "+−·/²()[]⌊⌋½":
            toks.append((ch, ch))
            i += 1
            continue
        raise ExprError(f"unexpected character {ch!r} in {s!r}")
    return toks


class Parser:
    """expr := term ((+|−) term)* ; term := power ((·|/|juxtaposed [) power)* ;
    power := atom ²* ; atom := number | ( expr ) | [ expr ] | ⌊ expr ⌋ | ½"""

    def __init__(self, text: str):
        self.toks = tokenize(text)
        self.pos = 0
        self.leaves: list[str] = []

    def peek(self):
        return self.toks[self.pos][0] if self.pos < len(self.toks) else None

    def take(self, kind):
        if self.peek() != kind:
            raise ExprError(f"expected {kind!r} at token {self.pos}")
        tok = self.toks[self.pos]
        self.pos += 1
        return tok

    def parse(self):
        node = self.expr()
        if self.pos != len(self.toks):
            raise ExprError(f"unexpected {self.toks[self.pos][1]!r}")
        return node

    def expr(self):
        node = self.term()
        while self.peek() in ("+", "−"):
            op = self.take(self.peek())[0]
            node = ("add" if op == "+" else "sub", node, self.term())
        return node

    def term(self):
        node = self.power()
        while self.peek() in ("·", "/", "["):
            if self.peek() == "[":
                node = ("mul", node, self.power())
                continue
            op = self.take(self.peek())[0]
            node = ("mul" if op == "·" else "div", node, self.power())
        return node

    def power(self):
        node = self.atom()
        while self.peek() == "²":
            self.take("²")
            node = ("sq", node)
        return node

    def atom(self):
        kind = self.peek()
        if kind == "num":
            text = self.take("num")[1]
            self.leaves.append(text)
            return ("num", len(self.leaves) - 1)
        if kind == "½":
            self.take("½")
            return ("const", Fraction(1, 2))
        for open_, close in (("(", ")"), ("[", "]"), ("⌊", "⌋")):
            if kind == open_:
                self.take(open_)
                node = self.expr()
                self.take(close)
                return ("floor", node) if open_ == "⌊" else node
        raise ExprError(f"expected a number, got {kind!r}")


def evaluate(node, leaves):
    """(value, A): the exact value of the printed expression, its operands taken as the exact
    decimals they are printed as (a Fraction; a float once ±∞ or NaN is involved), and A, the
    value with every operand and operation replaced by its absolute value (Σ|monomials|), the
    scale of the floating-point error of computing it."""
    kind = node[0]
    if kind == "num":
        v = parse_value(leaves[node[1]])
        return v, abs(v)
    if kind == "const":
        return node[1], abs(node[1])
    if kind == "sq":
        v, a = evaluate(node[1], leaves)
        return v * v, a * a
    if kind == "floor":
        v, a = evaluate(node[1], leaves)
        return (Fraction(math.floor(v)) if finite(v) else v), a
    x, ax = evaluate(node[1], leaves)
    y, ay = evaluate(node[2], leaves)
    if not (finite(ax) and finite(ay)):
        ax, ay = to_float(ax), to_float(ay)
    if not (finite(x) and finite(y)):
        # IEEE arithmetic for ±∞ and NaN, the finite operand taken exactly: never overflowing
        # to ∞ itself (10²⁰⁰·10²⁰⁰ + (−∞) is −∞ exactly, where f64 would give NaN), so only its
        # sign (or its being 0) can matter
        def sign(v):
            return v if not finite(v) else (0.0 if v == 0 else (1.0 if v > 0 else -1.0))
        if kind in ("add", "sub"):
            x0, y0 = (x if not finite(x) else 0.0), (y if not finite(y) else 0.0)
            return (x0 + y0 if kind == "add" else x0 - y0), ax + ay
        if kind == "mul":
            return sign(x) * sign(y), ax * ay
        if kind == "div":
            if y == 0:
                return math.nan, math.inf
            if finite(x):
                return (Fraction(0) if not math.isnan(y) else math.nan), ax / abs(to_float(y))
            return sign(x) / sign(y), ax / abs(to_float(y))
        raise ExprError(kind)
    if kind == "add":
        return x + y, ax + ay
    if kind == "sub":
        return x - y, ax + ay
    if kind == "mul":
        return x * y, ax * ay
    if kind == "div":
        if y == 0:
            return math.nan, math.inf
        return x / y, ax / abs(y)
    raise ExprError(kind)


def spread(node, leaves, radii):
    """(value, r): how far the exact value of the expression may move when each operand moves
    within its radius (`radii`, by leaf), at most; ∞ where that cannot be bounded."""
    kind = node[0]
    if kind == "num":
        return parse_value(leaves[node[1]]), radii[node[1]]
    if kind == "const":
        return node[1], Fraction(0)
    if kind == "sq":
        v, e = spread(node[1], leaves, radii)
        return (v * v if finite(v) else v), (2 * abs(v) * e + e * e if finite(v) and finite(e) else math.inf)
    if kind == "floor":
        v, e = spread(node[1], leaves, radii)
        return v, (Fraction(0) if e == 0 else math.inf)
    x, ex = spread(node[1], leaves, radii)
    y, ey = spread(node[2], leaves, radii)
    if not all(finite(t) for t in (x, y, ex, ey)):
        return math.nan, math.inf
    if kind in ("add", "sub"):
        return (x + y if kind == "add" else x - y), ex + ey
    if kind == "mul":
        return x * y, abs(x) * ey + abs(y) * ex + ex * ey
    if abs(y) <= ey:
        return math.nan, math.inf
    return x / y, (abs(x) * ey + abs(y) * ex) / (abs(y) * (abs(y) - ey))


def evaluate_f64(node, leaves) -> float:
    """The printed expression evaluated in f64 (Python's float), left to right as printed: where
    terms overflow to ∞ and −∞, NaN."""
    kind = node[0]
    if kind == "num":
        return to_float(parse_value(leaves[node[1]]))
    if kind == "const":
        return float(node[1])
    if kind == "sq":
        v = evaluate_f64(node[1], leaves)
        return v * v
    if kind == "floor":
        v = evaluate_f64(node[1], leaves)
        return float(math.floor(v)) if math.isfinite(v) else v
    x, y = evaluate_f64(node[1], leaves), evaluate_f64(node[2], leaves)
    if kind == "add":
        return x + y
    if kind == "sub":
        return x - y
    if kind == "mul":
        return x * y
    return x / y


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def outside_brackets(text: str) -> str:
    """`text` without what its square brackets hold: a sum's `+` stands between terms, an index's
    (`y[c,2p + i, 2q + j]`, in a definition line) inside brackets."""
    out, depth = [], 0
    for c in text:
        if c == "[":
            depth += 1
        elif c == "]":
            depth = max(depth - 1, 0)
        elif depth == 0:
            out.append(c)
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Line forms

IDX = r"\[(\d+),(\d+)\]"
SYMNAME = r"(?:x\[\d+,\d+\]|w\[\d+,\d+\]|b|δ̃?\[\d+,\d+\]|∂L/∂y\[\d+,\d+\])"
NAMED_SUM = re.compile(
    rf"^(z{IDX}|∂L/∂w{IDX}|∂L/∂b|g{IDX}|g_b) = ({SYMNAME}(?:·{SYMNAME})?(?: \+ {SYMNAME}(?:·{SYMNAME})?)*)$"
)
EMPTY_SUM = re.compile(rf"^(z{IDX}|∂L/∂w{IDX}|g{IDX}) = 0   \(the window lies entirely on zero padding\)$")
# a sum printed with numbers only (symbolic form, and the g lines of the mistakes): no `[`
NUM_SUM = re.compile(rf"^(z{IDX}|∂L/∂w{IDX}|∂L/∂b|g{IDX}|g_b) = ([^\[\]]*) {SIGN} ({NUM})$")
# a line of the symbolic form: symbols only, no result
SYM_LINE = re.compile(r"^(y\[\d+,\d+\]|L|∂L/∂y\[\d+,\d+\]|f′\(z\[\d+,\d+\]\)|δ̃?\[\d+,\d+\]|e\[\d+,\d+\]|w\[\d+,\d+\]|b) (=|←) (.*)$")
E_LINE = re.compile(rf"^e{IDX} = (.*) {SIGN} ({NUM})$")
DTILDE_LINE = re.compile(rf"^δ̃{IDX} = ({FAC})·({FAC}) {SIGN} ({NUM})$")
CONT = re.compile(rf"^= (.*) {SIGN} ({NUM})$")
MAT_HEAD = re.compile(r"^(X \(input, (\d+)×(\d+)\)|W \(filter, (\d+)×(\d+)\)|t \(target, (\d+)×(\d+)\)|z|y|δ|δ̃|e|g|∂L/∂W|W|final W) (=|≈) \[(.*) \]$")
MAT_ROW = re.compile(r"^\[(.*) \]$")
Y_LINE = re.compile(rf"^y{IDX} = (.*) {SIGN} ({NUM})$")
L_LINE = re.compile(rf"^L = (.*) {SIGN} ({NUM})$")
DY_LINE = re.compile(rf"^∂L/∂y{IDX} = (.*) {SIGN} ({NUM})$")
FP_LINE = re.compile(rf"^f′\(z{IDX}\) (=|≈) (.*)$")
DELTA_LINE = re.compile(rf"^δ{IDX} = ({FAC})·({FAC}) {SIGN} ({NUM})$")
UPD_LINE = re.compile(rf"^(w{IDX}|b) ← ({NUM}) − ({FAC})·({FAC}) {SIGN} ({NUM})$")
OUT_LINE = re.compile(rf"^(OH|OW) = (.*) = (\d+)$")
# a softmax's probability of a class the target wants, below the smallest normal f64: its log is
# written as computed, log p[k] = z[k] − m − log(S)
UNDERFLOW_NOTE = re.compile(r"(.+) (underflows|underflow) below the smallest normal f64, where its log would be lost: "
                            r"(its logarithm is|their logarithms are) computed as log p\[k\] = z\[k\] − m − log\(S\), "
                            r"which stays finite, and the loss from (it|them)\.")
F64_MIN_NORMAL = Fraction(2) ** -1022
RISE_NOTE = re.compile(rf"the loss rose from {MNUM} to {MNUM} with step (\d+)'s update: the step overshot \(η may be too large\)\.")
# (an exact derivation adds the losses in decimals, as a decimal one prints them, where one is not
# an integer: `L: 2 → 3/2 (decreased; in decimals 2 → 1.5)`)
LOSS_TREND = re.compile(rf"L: {MNUM} → {MNUM} \((decreased|increased|unchanged|not finite)"
                        rf"(?:; in decimals {MNUM} → {MNUM})?\)")
# An exact derivation notes fractions grown past reading (more than READABLE_DIGITS digits,
# numerator and denominator together), and stops a run whose update made a parameter one of
# more than MAX_FRACTION_DIGITS
READABLE_DIGITS, MAX_FRACTION_DIGITS = 30, 1000
GROWTH_NOTE = re.compile(r"Note: the fractions grow with every step: (step \d+|the final forward pass) is the first "
                         r"with one of more than (\d+) digits \(numerator and denominator together: (\d+)\)(?:, and "
                         r"the largest, in (step \d+|the final forward pass), has (\d+))?\. Every value is still exact, "
                         r"but past a few steps it is a check for a computer rather than for a pencil\.")
OUTGROWN_NOTE = re.compile(r"Note: training stopped after step (\d+) of (\d+): its update made a parameter a fraction "
                           r"of (\d+) digits \(numerator and denominator together\), past the (\d+) at which exact "
                           r"arithmetic stops\. Every step adds digits, and where layers multiply their parameters it "
                           r"multiplies them, so the next steps would take far longer to compute than to read\. Take "
                           r"fewer steps, or compute in f64 \(remove `arithmetic: exact`\)\.")
OUTGROWN_TITLE = re.compile(r"(\d+) of (\d+) steps of gradient descent \(then the fractions had grown too large\)")
# an equation's result at the end of its line (before the reason of a piecewise branch or a tie)
LINE_RESULT = re.compile(rf" = ({NUM})(?:   \(.*\))?$")


def digits_of(text: str) -> int:
    """The digits of a printed exact value, numerator and denominator together (`−5/32`: 3)."""
    return sum(len(part) for part in text.lstrip("−").split(FRAC_SLASH))


# the part of a line of an exact derivation that is in decimals, where `≈` may stand
IN_DECIMALS = re.compile(r"; in decimals [^()]*\)$")

SIGN_PROSE = (
    'Sign: this is output minus target. The "error" e = t − y is its negative. Descent',
    "subtracts η·∂L/∂W, built from y − t; building it from t − y and still subtracting",
    "moves W uphill and increases the loss.",
)


def scale_text(s: Fraction) -> str:
    if s == Fraction(1, 2):
        return "½"
    if s.denominator == 1:
        return str(s.numerator)
    return f"({s.numerator}/{s.denominator})"


def parse_scale(text: str) -> Fraction:
    if text == "½":
        return Fraction(1, 2)
    m = re.fullmatch(r"\((\d+)[/⁄](\d+)\)", text)
    if m:
        return Fraction(int(m.group(1)), int(m.group(2)))
    return Fraction(int(text))


def split_scale(rhs: str):
    """`(2/4)·(…)` → ((2/4) as text, 2/4, `(…)`); no prefix → (None, 1, rhs). (In an exact
    derivation a factor in front of numbers was read as a fraction, `(2⁄4)`: it is the same.)"""
    m = re.match(r"^(½|\(\d+[/⁄]\d+\)|\d+)(?=\[|·\()", rhs)
    if not m:
        return None, Fraction(1), rhs
    body = rhs[m.end():]
    if body.startswith("·"):
        body = body[1:]
    elif body.startswith("[") and body.endswith("]"):
        body = body[1:-1]
    return m.group(1).replace(FRAC_SLASH, "/"), parse_scale(m.group(1)), body


def names_of(lst: str) -> list[str]:
    """`z[1,0], z[1,1] and z[0,0]` → the names."""
    parts = re.split(r", | and ", lst.strip())
    return [p for p in parts if p]


FACTOR_RE = re.compile(rf"\({NUM}\)|{NUM}")
# the reason at the end of an equation whose printed result is the f64 value, not the exact one
REASON = re.compile(rf"^(.*\S)   \(f64 rounding: exactly, these numbers give (≈?)({NUM})\)$")
WIDTH = 120  # no line of a printed sum is longer (a single term longer than a line aside)


def split_factors(term: str):
    """`(1·10²⁰⁰)·(−1)` → ['(1·10²⁰⁰)', '(−1)']: the factors of a printed product (a number
    with a power of ten is one factor), or None if it is not a product of numbers."""
    out, i = [], 0
    while True:
        m = FACTOR_RE.match(term, i)
        if not m:
            return None
        out.append(m.group(0))
        i = m.end()
        if i == len(term):
            return out
        if term[i] != "·":
            return None
        i += 1


def form_error(text: str, ctx: str) -> str | None:
    """The printed form of an operand: inside a product (and squared) a negative number or one
    with a power of ten is in parentheses (`2·(1.5·10⁷)`, `(−1)·3`); after `+`/`−` (and as
    the first term of a sum) only a negative one is (`0 − 1·10¹⁵⁰`, `+ (−0.5)`); the first
    operand of a difference or an update, and a lone number, never are. A fraction of an exact
    derivation is as a number with a power of ten (`(1/4)·(21/10)`, `+ 4/3`)."""
    paren = text.startswith("(") and text.endswith(")")
    inner = text[1:-1] if paren else text
    neg, sci = inner.startswith("−"), "·10" in inner or FRAC_SLASH in inner
    want = {"factor": neg or sci, "term": neg, "lead": False}[ctx]
    if paren == want:
        return None
    what = {"factor": "inside a product a negative number, a fraction or one with a power of ten is in parentheses, "
                      "no other",
            "term": "after + or − only a negative number is in parentheses",
            "lead": "the first operand is not in parentheses"}[ctx]
    return f"operand {text!r} is not in the printed form ({what})"


def sym_kind(key: str) -> str:
    """`z[0,1]` → `z`, `f′(z[0,1])` → `f′(z`, `w[0,1] ←` → `w ←`, `L` → `L`."""
    if key.endswith(" ←"):
        return key[0] + " ←"
    return key.split("[")[0]


# ---------------------------------------------------------------------------------------------
# The checker of one derivation


class Base:
    """What every derivation's checker shares: reporting, wrapped sums, the printed form and
    provenance of numbers, the arithmetic rule, values and their roundedness, sums of named
    terms, the symbolic form's bookkeeping, the equations of activations, losses, differences
    and updates, matrices and tables. `lookup`, `expected_terms` and `check_place` are the
    subclass's: what a name stands for, which terms a sum has, where an equation belongs."""

    def __init__(self, fname: str, lines: list[tuple[int, str]], report, pedantic: bool,
                 allow_trailing: bool = False):
        self.fname = fname
        self.lines = lines
        self.report = report  # callable(kind, line, message)
        self.pedantic = pedantic
        self.allow_trailing = allow_trailing
        self.count = {"equations": 0, "operands": 0, "matrices": 0, "structure": 0, "notes": 0}
        self.failures = 0
        self.ctx = "given"
        self.step = 0
        self.sv: dict[str, Val] = {}  # the values printed in the current section, by name
        self.first_nonfinite = None  # (symbol, text, line, where) of the first value printed that is not finite
        self.after_first_nonfinite = None
        self.mistake_first_nonfinite = None
        self.noted: set[str] = set()  # kinds of notes seen in the current section
        self.deferred: list = []
        # symbolic form: the entries whose symbolic line was printed and whose numbers line is
        # still to come (key → (line, terms of a sum or None)); kinds seen in this section
        self.symbolic = False
        self.pending: dict[str, tuple] = {}
        self.sym_kinds: set[str] = set()
        # the number format
        self.reasons: dict[int, tuple] = {}  # line → (mark, X) of an f64-rounding reason
        self.verdicts: dict[int, object] = {}  # line → roundedness of the result its arithmetic shows
        self.marked_at: dict[int, int] = {}  # id(Val) → line of the quote that said it is rounded

    def exact_rules(self):
        """What holds of every line of an exact derivation: it says `=`, never `≈` (each
        equation is an identity of fractions, each quote the value itself), and no f64
        rounding is ever called on."""
        for ln, raw in self.lines:
            self.count["structure"] += 1
            if "≈" in IN_DECIMALS.sub("", raw):
                self.fail(ln, "an exact derivation says `=` everywhere (every value is a fraction, every "
                              "equation an identity): `≈` printed", "=", "≈")
            if "f64 rounding" in raw:
                self.fail(ln, "an exact derivation has no f64 rounding to explain")
        self.exact_growth()

    def exact_growth(self):
        """The notes on an exact derivation's fractions, from the results its equations print:
        per section written out (each step, then the final forward pass) the most digits of one
        (numerator and denominator together); a note where the first section past
        READABLE_DIGITS is, naming it, its digits and the largest section's where that has more,
        after `L: a → b`, and none where no section is past them; a run that stopped, as its title
        says, because step K's update made a parameter one of more than MAX_FRACTION_DIGITS
        digits: its note right under the result's heading, K the last step, the digits those of
        step K's updates, those of the step before within MAX_FRACTION_DIGITS."""
        sections, updates = [], {}
        place, cur = None, 0
        growth = outgrown = None
        title = heading = trend = None
        for idx, (ln, raw) in enumerate(self.lines):
            text = raw.strip()
            if raw and not raw.startswith(" "):
                if place is not None:
                    sections.append((place, cur))
                place, cur = None, 0
                m = re.fullmatch(r"Step (\d+)", raw)
                if m:
                    place = f"step {m.group(1)}"
                    updates[int(m.group(1))] = []
                if raw.startswith("Result"):
                    heading = idx
                if idx == 0:
                    title = OUTGROWN_TITLE.search(raw)
                continue
            if text == "A last forward pass, with the final parameters:":
                place, cur = "the final forward pass", 0
                continue
            if place == "the final forward pass" and (text.startswith("final ") or text.startswith("L: ")):
                sections.append((place, cur))
                place = None
            if text.startswith("L: ") and heading is not None:
                trend = idx
            if GROWTH_NOTE.fullmatch(text):
                growth = (idx, ln, GROWTH_NOTE.fullmatch(text))
                continue
            if OUTGROWN_NOTE.fullmatch(text):
                outgrown = (idx, ln, OUTGROWN_NOTE.fullmatch(text))
                continue
            if place is None or text.startswith("Note:"):
                continue
            m = LINE_RESULT.search(raw)
            if m:
                cur = max(cur, digits_of(m.group(1)))
                if " ← " in raw and place.startswith("step "):
                    updates[int(place[5:])].append(digits_of(m.group(1)))
        if place is not None:
            sections.append((place, cur))
        # the note on fractions grown past reading
        self.count["structure"] += 1
        first = next(((p, d) for p, d in sections if d > READABLE_DIGITS), None)
        want = None
        if first is not None:
            big = max(d for _, d in sections)
            big_at = next(p for p, d in sections if d == big)
            grown = f", and the largest, in {big_at}, has {big}" if big > first[1] else ""
            want = (f"Note: the fractions grow with every step: {first[0]} is the first with one of more than "
                    f"{READABLE_DIGITS} digits (numerator and denominator together: {first[1]}){grown}. Every value is "
                    f"still exact, but past a few steps it is a check for a computer rather than for a pencil.")
        if growth is None and want is not None:
            # (reported where it belongs: under `L: a → b` and the notes right after it)
            at = trend + 1 if trend is not None else len(self.lines)
            while at < len(self.lines) and self.lines[at][1].strip().startswith("Note:"):
                at += 1
            self.fail(self.lines[at][0] if at < len(self.lines) else self.lines[-1][0] + 1,
                      f"{first[0]} has a fraction of more than {READABLE_DIGITS} digits ({first[1]}), but no note "
                      f"says the fractions grow", want, "none")
        elif growth is not None:
            idx, ln, m = growth
            if want is None:
                self.fail(ln, f"a note that the fractions grow, but no result printed has more than {READABLE_DIGITS} "
                              f"digits", "none", m.group(0))
            elif m.group(0) != want:
                self.fail(ln, "the note on the fractions' growth does not name the sections and digits the results "
                              "show", want, m.group(0))
            if trend is None or idx < trend:
                self.fail(ln, "the note on the fractions' growth comes after `L: a → b`")
        # a run stopped because its fractions outgrew MAX_FRACTION_DIGITS
        self.count["structure"] += 1
        if (title is None) != (outgrown is None):
            where = outgrown[1] if outgrown else self.lines[0][0]
            self.fail(where, "an exact run stopped because its fractions outgrew reading says so in its title and in "
                             "a note under the result's heading, both or neither",
                      "both", "the note only" if outgrown else "the title only")
        if outgrown is not None:
            idx, ln, m = outgrown
            k, n, d, limit = (int(m.group(g)) for g in (1, 2, 3, 4))
            last = max(updates, default=0)
            if heading is None or idx != heading + 1:
                self.fail(ln, "the note that training stopped comes right under the result's heading")
            if limit != MAX_FRACTION_DIGITS:
                self.fail(ln, "the note names another limit than exact arithmetic's", MAX_FRACTION_DIGITS, limit)
            if title is not None and (int(title.group(1)), int(title.group(2))) != (k, n):
                self.fail(ln, "the note's steps differ from the title's", f"{title.group(1)} of {title.group(2)}",
                          f"{k} of {n}")
            if k != last or not k < n:
                self.fail(ln, "training stopped after the last step written out, before the steps asked for",
                          f"{last} of more than {last}", f"{k} of {n}")
            got = max(updates.get(k) or [0])
            if got != d or d <= MAX_FRACTION_DIGITS:
                self.fail(ln, f"the note's digits are not the most of step {k}'s updates (past {MAX_FRACTION_DIGITS})",
                          got, d)
            before = updates.get(k - 1)
            if before and max(before) > MAX_FRACTION_DIGITS:
                self.fail(ln, f"step {k - 1}'s update already made a parameter one of more than "
                              f"{MAX_FRACTION_DIGITS} digits ({max(before)}): training stops there")

    # lines that are not sums, however long (prose is never wrapped)
    UNWRAPPED: tuple[str, ...] = ("Note:", "L: ")

    def lookup(self, sym: str) -> Val | None:
        """The value printed earlier for the name `sym` (the subclass's)."""
        raise NotImplementedError

    def update_done(self, key) -> bool:
        """Whether the update `key` (`w[0,0] ←`) was printed in this section."""
        return False

    def expected_terms(self, lhs: str) -> list[str]:
        """The terms the definition gives the sum `lhs` (the subclass's)."""
        raise NotImplementedError

    def check_place(self, ln, key: str) -> bool:
        """Whether an equation for `key` belongs where it is printed (the subclass's)."""
        raise NotImplementedError

    # -- the equations of activations, losses, differences -----------------------------------

    def activation_value(self, ln, key, zsym, act, alpha, rhs, sign, result):
        """`y = max(0, v) = r`, `σ(v) ≈ r`, `tanh(v) ≈ r`, `leaky_relu(v) = α·v = r`: the
        activation `act` (slope `alpha`) of the printed `zsym`; stores `key`."""
        forms = {
            "relu": rf"max\(0, ({NUM})\)",
            "sigmoid": rf"σ\(({NUM})\)",
            "tanh": rf"tanh\(({NUM})\)",
            "leaky_relu": rf"leaky_relu\(({NUM})\)(?: = ({FAC})·({FAC}))?",
        }
        form = forms.get(act)
        mm = re.fullmatch(form, rhs) if form else None
        if not mm:
            self.fail(ln, f"{key}: not the form of the {act} activation: {rhs!r}")
            self.store(key, ln, result, sign)
            return
        z_text = mm.group(1)
        z_exact = self.operand(ln, zsym, z_text, key, "lead")
        z = parse_value(z_text)
        printed = parse_value(result)
        if act == "relu":
            exact = (Fraction(0) if z == -math.inf else z) if not finite(z) else max(Fraction(0), z)
            self.compare(ln, key, exact, abs(z) if finite(z) else 0, sign, result, z_exact, 1)
        elif act in ("sigmoid", "tanh"):
            self.number(ln, key, result, True if sign == "=" else None)
            self.reasons.pop(ln, None) and self.fail(ln, f"{key}: an f64-rounding reason on an activation")
            if not finite(z):
                exact = {math.inf: 1.0, -math.inf: 0.0 if act == "sigmoid" else -1.0}.get(z, math.nan)
                if not same(exact, printed):
                    self.fail(ln, f"{key}: wrong result", show(exact), result)
            else:
                zf = to_float(z)
                f = sigmoid(zf) if act == "sigmoid" else math.tanh(zf)
                zero = Fraction(1, 2) if act == "sigmoid" else Fraction(0)
                if z == 0:
                    if sign != "=" or printed != zero:
                        self.fail(ln, f"{key}: {act}(0) = {show(zero)} exactly", f"= {show(zero)}", f"{sign} {result}")
                elif sign == "=":
                    # σ(z) and tanh(z) are irrational for every rational z ≠ 0
                    self.fail(ln, f"{key}: {act}({z_text}) is irrational; it cannot equal {result} exactly "
                                  f"(`≈` expected)", f"≈ {f:.12g}".replace("-", "−"), f"= {result}")
                else:
                    # evaluated in float: a margin of a few units in its last place
                    tol = float(half_unit(printed, precision(result))) + 8 * 2.0 ** -53 * abs(f) + 1e-300
                    if abs(f - to_float(printed)) > tol:
                        self.fail(ln, f"{key}: {act}({z_text}) is not {result} to its {precision(result)} "
                                      f"significant digits", f"{f:.17g}".replace("-", "−"), result)
                    self.verdicts[ln] = MAYBE if f == to_float(printed) else True
        else:  # leaky_relu
            a_text, z2_text = mm.group(2), mm.group(3)
            negative = finite(z) and z < 0 or z == -math.inf
            if negative and a_text is None:
                self.fail(ln, f"{key}: z < 0, so the line should show α·z", f"leaky_relu({z_text}) = α·({z_text})", rhs)
            if not negative and a_text is not None:
                self.fail(ln, f"{key}: z ≥ 0, so leaky_relu(z) = z and no α·z", f"leaky_relu({z_text})", rhs)
            if a_text is not None:
                self.count["operands"] += 1
                if EXACT:
                    # (Given writes α as the spec did; an equation writes it as the fraction it is)
                    self.number(ln, f"{key}: α", a_text.strip("()"), True)
                if alpha is None or not agree(a_text, parse_value(a_text), True, alpha.text,
                                                   alpha.value, alpha.rounded):
                    self.fail(ln, f"{key}: α differs from Given", alpha.text if alpha else None, a_text)
                err = form_error(a_text, "factor")
                if err:
                    self.fail(ln, f"{key}: {err}")
                z2_exact = self.operand(ln, zsym, z2_text, key, "factor")
                a_exact = alpha.rounded is False if alpha else False
                self.judge(ln, key, f"{a_text}·{z2_text}", [a_exact, z2_exact], sign, result)
                self.count["equations"] -= 1
            else:
                self.compare(ln, key, z, abs(z) if finite(z) else 0, sign, result, z_exact, 1)
        self.store(key, ln, result, sign)

    def loss_value(self, ln, rhs, sign, result, syms, lscale):
        """`L = s·[(y − t)² + …] = v` over the pairs of names `syms`, with Given's factor
        `lscale`; stores `L`."""
        stext, scale, body = split_scale(rhs)
        self.count["structure"] += 1
        if scale != lscale:
            self.fail(ln, "L: the factor differs from Given's loss", scale_text(lscale), stext or "1")
        terms = body.split(" + ")
        if len(terms) != len(syms):
            self.fail(ln, "L: the number of (y − t)² terms differs from the number of outputs", len(syms), len(terms))
            return
        exact = []
        for (ys, ts), term in zip(syms, terms):
            mm = re.fullmatch(rf"\(({NUM}) − ({FAC})\)²", term)
            if not mm:
                self.fail(ln, f"L: term {term!r} is not of the form (y − t)²")
                self.reasons.pop(ln, None)
                return
            exact.append(self.operand(ln, ys, mm.group(1), "L", "lead"))
            exact.append(self.operand(ln, ts, mm.group(2), "L", "term"))
        if len(terms) == 1 and stext and not body.startswith("("):
            self.fail(ln, "L: a single (y − t)² after the loss's factor is written `s·(y − t)²`")
        self.judge(ln, "L", body, exact, sign, result, scale)
        self.store("L", ln, result, sign)

    def difference_value(self, ln, key, syms, shown, rhs, sign, result, gscale, gname):
        """`key = a − b`, or `s·(a − b)` with Given's factor `gscale` of the loss's gradient
        (called `gname`): a and b printings of the names `syms` (written `shown` in messages);
        stores `key`."""
        first, second = shown
        stext, scale, body = split_scale(rhs)
        self.count["structure"] += 1
        if scale != gscale:
            self.fail(ln, f"{key}: the factor differs from Given's {gname}", scale_text(gscale), stext or "1")
        form = rf"\(({NUM}) − ({FAC})\)" if stext else rf"({NUM}) − ({FAC})"
        mm = re.fullmatch(form, body)
        if not mm:
            shape = f"s·({first} − {second})" if stext else f"{first} − {second}"
            self.fail(ln, f"{key}: not of the form {shape}: {rhs!r}")
            self.store(key, ln, result, sign)
            return
        exact = [self.operand(ln, syms[0], mm.group(1), key, "lead"),
                 self.operand(ln, syms[1], mm.group(2), key, "term")]
        self.judge(ln, key, body, exact, sign, result, scale)
        self.store(key, ln, result, sign)

    def slope_value(self, ln, key, zsym, ysym, yname, act, alpha, g0, fsign, rest):
        """`f′(z) = y·(1 − y) = a·(1 − b) ≈ v` (sigmoid), `= 1 − y² = 1 − a² ≈ v` (tanh), with the
        output written `yname`; or `f′(z) = v   (z = … > 0)` with the case that gives v (relu
        with relu_grad_at_zero `g0`, leaky_relu with slope `alpha`); stores `key`."""
        self.count["equations"] += 1
        if act == "sigmoid":
            mm = re.fullmatch(rf"{re.escape(yname)}·\(1 − {re.escape(yname)}\) = ({FAC})·\(1 − ({FAC})\) {SIGN} ({NUM})", rest)
            if not mm:
                self.fail(ln, f"{key}: not of the form {yname}·(1 − {yname}) = …: {rest!r}")
                return
            r1 = self.operand(ln, ysym, mm.group(1), key, "factor")
            r2 = self.operand(ln, ysym, mm.group(2), key, "term")
            self.judge(ln, key, f"{mm.group(1)}·(1 − {mm.group(2)})", [r1, True, r2], mm.group(3), mm.group(4))
            self.count["equations"] -= 1
            self.store(key, ln, mm.group(4), mm.group(3))
            return
        if act == "tanh":
            mm = re.fullmatch(rf"1 − {re.escape(yname)}² = 1 − ({FAC})² {SIGN} ({NUM})", rest)
            if not mm:
                self.fail(ln, f"{key}: not of the form 1 − {yname}² = …: {rest!r}")
                return
            r1 = self.operand(ln, ysym, mm.group(1), key, "factor")
            self.judge(ln, key, f"1 − {mm.group(1)}²", [True, r1], mm.group(2), mm.group(3))
            self.count["equations"] -= 1
            self.store(key, ln, mm.group(3), mm.group(2))
            return
        mm = re.fullmatch(rf"({NUM})(?:   \((\S+) ([=≈]) ({NUM})(?: (> 0|< 0|< 0: the slope α)|: (leaky_relu takes its slope α at 0|the convention relu_grad_at_zero = ({NUM})))\))?", rest)
        if not mm:
            self.fail(ln, f"{key}: not of the form `value   (z = … reason)`: {rest!r}")
            return
        value_t = mm.group(1)
        self.store(key, ln, value_t, fsign)
        if mm.group(2) is None:
            # no reason: only for a z that is not a number (NaN passes through)
            zrec = self.lookup(zsym)
            if not (zrec and not finite(zrec.value) and not finite(parse_value(value_t))):
                self.fail(ln, f"{key}: no reason given for a piecewise derivative", f"{value_t}   (z = … )", rest)
            return
        if mm.group(2) != zsym:
            self.fail(ln, f"{key}: the reason quotes another z", zsym, mm.group(2))
        z_t = mm.group(4)
        self.quote(ln, key, zsym, self.lookup(zsym), "" if mm.group(3) == "=" else "≈", z_t)
        z = parse_value(z_t)
        v = parse_value(value_t)
        self.number(ln, key, value_t, fsign == "=")
        case, zero_reason, conv = mm.group(5), mm.group(6), mm.group(7)
        alpha = alpha.value if alpha else None
        if case == "> 0":
            ok_case, want = (finite(z) and z > 0) or z == math.inf, Fraction(1)
        elif case == "< 0":
            ok_case, want = (finite(z) and z < 0) or z == -math.inf, Fraction(0)
            if act != "relu":
                self.fail(ln, f"{key}: reason form `z < 0` belongs to relu, the activation is {act}")
        elif case is not None:  # < 0: the slope α
            ok_case, want = (finite(z) and z < 0) or z == -math.inf, alpha
            if act != "leaky_relu":
                self.fail(ln, f"{key}: reason names the slope α, but the activation is {act}")
        elif zero_reason.startswith("leaky"):
            ok_case, want = finite(z) and z == 0, alpha
            if act != "leaky_relu":
                self.fail(ln, f"{key}: reason names leaky_relu, but the activation is {act}")
        else:
            ok_case = finite(z) and z == 0
            want = g0.value if g0 else None
            self.count["operands"] += 1
            if act != "relu" or g0 is None or conv != g0.text:
                self.fail(ln, f"{key}: the quoted relu_grad_at_zero differs from Given",
                          g0.text if g0 else None, conv)
        if not ok_case:
            self.fail(ln, f"{key}: the stated case does not hold for z = {z_t}")
        elif want is not None and not same(v, want):
            if fsign == "≈" and finite(want) and abs(want - v) <= half_unit(v, precision(value_t)):
                pass  # α itself printed rounded
            else:
                self.fail(ln, f"{key}: wrong derivative for this case", show(want), value_t)
        elif fsign == "≈" and want is not None and not (alpha and want == alpha.value):
            self.fail(ln, f"{key}: an exact derivative printed with `≈`", f"= {value_t}", f"≈ {value_t}")

    def parse_activation(self, ln, s):
        """An activation as Given describes it (`relu, y = max(0, z); …`): (name, α, the
        relu_grad_at_zero), or None (a failure) if it is not one."""
        m = re.fullmatch(rf"relu, y = max\(0, z\); f′ = 1 where z > 0, 0 where z < 0, and ({NUM}) at z = 0 \(relu_grad_at_zero\)", s)
        if m:
            g0 = Val(m.group(1), False, ln)
            if g0.value not in (0, 1):
                self.fail(ln, "relu_grad_at_zero must be 0 or 1", "0 or 1", m.group(1))
            return "relu", None, g0
        if s == "linear, y = z":
            return "linear", None, None
        if s == "sigmoid, y = σ(z) = 1/(1 + e^(−z)); f′ = y·(1 − y)":
            return "sigmoid", None, None
        if s == "tanh, y = tanh(z); f′ = 1 − y²":
            return "tanh", None, None
        m = re.fullmatch(rf"leaky_relu\(({NUM})\), y = z where z > 0, ({NUM})·z elsewhere; f′ = 1 where z > 0, ({NUM}) elsewhere", s)
        if m:
            alpha = Val(m.group(1), MAYBE, ln)  # written without `=`/`≈`: either
            # (an exact derivation quotes it as Given's spec wrote it: a decimal may stand there)
            self.number(ln, "leaky_relu's slope", m.group(1), "decimal" if EXACT else None)
            for k in (2, 3):
                if m.group(k) != m.group(1):
                    self.fail(ln, "the leaky_relu slope is quoted inconsistently", m.group(1), m.group(k))
            return "leaky_relu", alpha, None
        self.fail(ln, f"activation line not understood: {s!r}")
        return None

    # -- matrices ---------------------------------------------------------------------------

    def read_matrix(self, i, label, sign, first):
        """The rows of the matrix whose first line is line i (`label sign [ first ]`): (rows,
        cells, values, index after it); values is None when its entries cannot be read. Checks
        the layout: right-aligned columns, one space after `[`, two between columns, the rows
        under the first one's `[`."""
        ln, raw = self.lines[i]
        indent = raw[: len(raw) - len(raw.lstrip(" "))]
        head = f"{label} {sign} "
        rows = [(ln, raw, first)]
        j = i + 1
        while j < len(self.lines):
            ln2, raw2 = self.lines[j]
            mm = MAT_ROW.match(raw2.strip())
            if not mm:
                break
            rows.append((ln2, raw2, mm.group(1)))
            j += 1
        self.count["matrices"] += 1
        cells = [r[2].split() for r in rows]
        ncols = len(cells[0])
        if any(len(c) != ncols for c in cells):
            self.fail(ln, f"matrix {label}: rows have different numbers of entries",
                      ncols, [len(c) for c in cells])
            return rows, cells, None, j
        try:
            vals = [[parse_value(c) for c in row] for row in cells]
        except ValueError as e:
            self.fail(ln, f"matrix {label}: {e}")
            return rows, cells, None, j
        widths = [max(len(cells[r][c]) for r in range(len(cells))) for c in range(ncols)]
        for r, (ln2, raw2, _) in enumerate(rows):
            want = indent + (head if r == 0 else " " * len(head)) + "["
            for c in range(ncols):
                gap = 1 if c == 0 else 2
                want += " " * (gap + widths[c] - len(cells[r][c])) + cells[r][c]
            want += " ]"
            if raw2.rstrip("\n") != want:
                self.fail(ln2, f"matrix {label}: row {r} is not column-aligned", repr(want.strip() if r else want.lstrip()), repr(raw2.strip() if r else raw2.lstrip()))
        return rows, cells, vals, j

    def matrix_entries(self, label, rows, cells, vals, get, symname) -> bool:
        """The entries of a computed matrix against the values their equations printed (`get(r,
        c)` → Val, named `symname(r, c)`): as printed, or rounded to 6 digits where the equation
        showed more. Returns whether one of those equations said `≈`."""
        any_rounded = False
        for r in range(len(cells)):
            for c in range(len(cells[r])):
                rec = get(r, c)
                self.count["operands"] += 1
                sym = symname(r, c)
                if rec is None:
                    self.fail(rows[r][0], f"matrix {label}: no equation for {sym} was printed before it",
                              "an equation", cells[r][c])
                    continue
                any_rounded |= rec.approx
                cell = cells[r][c]
                if rec.text != cell:
                    # a value its equation printed with more digits than 6 is listed with 6
                    # (an exact one too, past the digits an exact value is written with)
                    ok = not EXACT and (rec.rounded is not False or sig_digits(rec.text) > EXACT_DIGITS) \
                        and sig_digits(cell) <= SIGNIFICANT < sig_digits(rec.text) \
                        and agree(cell, vals[r][c], True, rec.text, rec.value, rec.rounded) \
                        and self.number(rows[r][0], f"matrix {label}", cell, False)
                    if not ok:
                        self.fail(rows[r][0], f"matrix {label}: entry {sym} is not the value its equation on line "
                                              f"{rec.line} printed" + (" (an exact value, as printed)" if EXACT else
                                                                       f" (as printed, or rounded to {SIGNIFICANT} digits)"),
                                  rec.text, cell)
        return any_rounded

    # -- sums of named terms ----------------------------------------------------------------

    def check_terms(self, ln, lhs, terms, names):
        # structure: the terms the definition calls for
        self.count["structure"] += 1
        want = self.expected_terms(lhs)
        if sorted(terms) != sorted(want):
            missing = [t for t in want if t not in terms]
            extra = [t for t in terms if t not in want]
            self.fail(ln, f"{lhs}: the terms differ from the definition (missing {missing or 'none'}, unexpected {extra or 'none'})",
                      " + ".join(want), names)
        elif terms != want:
            self.note(ln, f"{lhs}: terms in an unusual order")

    def named_sum(self, i, ln, raw, lhs, names) -> int:
        """`lhs = a·b + c·d …`, the names of a sum's terms: the numbers follow on the next line
        (`= 1·2 + … = v`, under the `=`), or, in the symbolic form, further down."""
        self.check_place(ln, lhs)
        terms = names.split(" + ")
        self.check_terms(ln, lhs, terms, names)
        c = CONT.match(self.lines[i + 1][1].strip()) if i + 1 < len(self.lines) else None
        if not c:
            # the symbolic form: the numbers come on their own line further down
            self.mark_symbolic(ln, lhs, terms)
            return i + 1
        ln2, raw2 = self.lines[i + 1]
        lead = raw[: len(raw) - len(raw.lstrip(" "))]
        want_lead = lead + " " * len(lhs) + " = "
        if not raw2.startswith(want_lead):
            self.fail(ln2, f"{lhs}: the `=` of the numbers line is not under the `=` of the names line")
        self.sum_numbers(ln2, lhs, terms, c.group(1), c.group(2), c.group(3))
        return i + 2

    def sum_numbers(self, ln2, lhs, terms, body, sign, result, scale=Fraction(1), alone_ctx="lead"):
        """Checks the numbers of a sum against its terms, operand by operand, and its result
        (the sum times `scale`; a lone term's form is `alone_ctx`'s)."""
        nterms = body.split(" + ")
        if len(nterms) != len(terms):
            self.fail(ln2, f"{lhs}: the numbers line has {len(nterms)} terms, the names line {len(terms)}",
                      len(terms), len(nterms))
            self.store(lhs, ln2, result, sign)
            return
        exact = []
        alone = len(terms) == 1
        for k, (sym_t, num_t) in enumerate(zip(terms, nterms)):
            syms = sym_t.split("·")
            nums = split_factors(num_t)
            if nums is None or len(syms) != len(nums):
                self.fail(ln2, f"{lhs}: term {k + 1} is `{num_t}`, the names say `{sym_t}`")
                self.reasons.pop(ln2, None)
                self.store(lhs, ln2, result, sign)
                return
            for s, t in zip(syms, nums):
                ctx = "factor" if len(syms) > 1 else (alone_ctx if alone else "term")
                exact.append(self.operand(ln2, s, t, f"{lhs} (term {k + 1}, {sym_t})", ctx))
        self.judge(ln2, lhs, body, exact, sign, result, scale)
        self.store(lhs, ln2, result, sign)
        self.summed(lhs, terms)

    def summed(self, lhs, terms):
        """A hook after a sum's numbers are checked."""


    # -- reporting --------------------------------------------------------------------------

    def fail(self, line: int, msg: str, expected=None, printed=None):
        self.failures += 1
        extra = ""
        if expected is not None or printed is not None:
            extra = f" (expected {expected}, printed {printed})"
        self.report("fail", line, msg + extra)

    def note(self, line: int, msg: str):
        self.report("note", line, msg)

    # -- wrapped sums -----------------------------------------------------------------------

    def join_wrapped(self, lines):
        """Joins the continuation lines of a long sum (`+ …` exactly under the `=` of its first
        line) into one logical line, checking the alignment, the 120-character limit and that
        each line is filled (the next term would not have fit); takes off an f64-rounding reason
        at the end of a line (kept in self.reasons for the equation it belongs to)."""
        out = []
        i = 0
        while i < len(lines):
            ln, raw = lines[i]
            group = [(ln, raw)]
            j = i + 1
            while j < len(lines) and lines[j][1].lstrip().startswith("+ "):
                group.append(lines[j])
                j += 1
            if len(group) > 1:
                self.check_wrap(group)
            elif len(raw) > WIDTH and " + " in outside_brackets(raw) and "=" in raw and "Σ" not in raw \
                    and not raw.lstrip().startswith(self.UNWRAPPED):
                self.count["structure"] += 1
                self.fail(ln, f"a sum line of {len(raw)} characters: longer sums continue on the next line "
                              f"(at most {WIDTH} characters a line)")
            text = raw + "".join(" + " + r.strip()[2:] for _, r in group[1:])
            m = REASON.match(text)
            if m:
                self.reasons[ln] = (m.group(2), m.group(3))
                text = m.group(1)
            out.append((ln, text))
            i = j
        return out

    def check_wrap(self, group):
        ln0, raw0 = group[0]
        self.count["structure"] += 1
        if "=" not in raw0:
            self.fail(group[1][0], "a continuation line `+ …` after a line that is not an equation")
            return
        col = raw0.index("=")
        for k, (lnk, rawk) in enumerate(group):
            if k > 0 and (rawk[:col].strip() or rawk[col:col + 2] != "+ "):
                self.fail(lnk, "continuation of a sum: its `+` is not exactly under the `=` of the first line",
                          f"`+` in column {col + 1}", f"column {len(rawk) - len(rawk.lstrip()) + 1}")
            body = rawk[col + 2:] if k > 0 else rawk[col + 1:]
            if len(rawk) > WIDTH and " + " in body.strip():
                self.fail(lnk, f"a line of a sum is longer than {WIDTH} characters", f"≤ {WIDTH}", len(rawk))
            if k + 1 < len(group):
                nxt = group[k + 1][1].strip()[2:]
                chunk = nxt.split(" + ")[0]
                if len(rawk) + 3 + len(chunk) <= WIDTH:
                    self.fail(group[k + 1][0], f"a sum wrapped early: its next term would have fit on the line before "
                                               f"({len(rawk) + 3 + len(chunk)} ≤ {WIDTH} characters)")

    def number(self, line: int, what: str, text: str, exact) -> bool:
        """Checks the printed form of a number (see notation_error)."""
        err = notation_error(text, exact)
        if err:
            self.fail(line, f"{what}: {text.strip('()')} is not in the printed form of numbers ({err})")
            return False
        return True

    def operand(self, line: int, sym: str, text: str, what: str, ctx: str | None = None) -> bool:
        """Checks that `text` is a printing of the value printed earlier for `sym` (and of every
        other printing of it in this section), and its form (`ctx`: factor, term or lead);
        returns whether it stands for a value printed exactly."""
        self.count["operands"] += 1
        if ctx is not None:
            err = form_error(text, ctx)
            if err:
                self.fail(line, f"{what}: {err}")
        rec = self.lookup(sym)
        text = text.strip("()")
        try:
            v = parse_value(text)
        except ValueError:
            self.fail(line, f"{what}: operand {text!r} is not a number")
            return False
        if rec is None:
            self.fail(line, f"{what}: operand {sym} has no value printed before this line",
                      "an earlier value", text)
            return False
        if rec.pending:
            # a parameter left by a step that is not written out: its first printing stands
            rec.fill(text, MAYBE, line)
            self.number(line, what, text, None)
            return False
        # an exact value's own decimal is written plainly; a shortening of it is a rounding
        self.number(line, what, text, True if rec.rounded is False and text == rec.text else None)
        prints = rec.prints
        for other in prints:
            # an operand may be printed with fewer digits than its value has, even an exact one
            if text != other.text and not agree(text, v, True, other.text, other.value, other.rounded):
                where = "its value printed" if other is rec else "another printing of it"
                self.fail(line, f"{what}: operand {sym} is not a printing of {where} on line {other.line} "
                                + ("(an exact value: the same number)" if EXACT else
                                   "(two printings of one value lie within half a unit of their last digits)"),
                          other.text, text)
                return rec.exact()
        if text != rec.text and len(prints) < 8:
            prints.append(Val(text, True, line))
        return rec.exact()

    def quote(self, line: int, what: str, sym: str, rec, mark: str, text: str) -> bool:
        """A standalone number (in a note, a table, the result line) quoting the value printed
        for `sym`, with as many digits as it needs. Without `≈` it says its decimal is the
        double itself (the shortest round-trip decimal); with `≈` that it is a rounding of it.
        So: a printing its equation showed to be rounded is not quoted bare with the same
        digits; a decimal known to be the double's own is not quoted with `≈`; a bare quote is
        a shortest decimal within the rounding of every printing of the value, and then it is
        the value's exact decimal for every later quote and operand. ∞ and NaN are exact."""
        self.count["operands"] += 1
        try:
            v = parse_value(text)
        except ValueError:
            self.fail(line, f"{what}: {text!r} is not a number")
            return False
        rq = mark == "≈"
        if rec is None:
            self.fail(line, f"{what}: {sym} has no value printed before", "an earlier value", mark + text)
            return False
        if rec.pending:
            rec.fill(text, rq, line)
            self.number(line, what, text, not rq)
            return True
        if not finite(rec.value) or not finite(v):
            if not same(rec.value, v):
                self.fail(line, f"{what}: {sym} is not the value printed on line {rec.line}", rec.text, mark + text)
            elif rq:
                self.fail(line, f"{what}: {sym} = {text} is exact (not a finite number), so no `≈`",
                          text, mark + text)
            return True
        self.number(line, what, text, not rq)
        prints = rec.prints
        for other in prints:
            if not agree(text, v, rq, other.text, other.value, other.rounded):
                self.fail(line, f"{what}: {sym} is not a printing of its value {other.marked()} "
                                f"(line {other.line})", other.marked(), mark + text)
                return False
        known = rec.text if rec.rounded is False else next(
            (o.text for o in prints if o.rounded is False), None)
        if rq:
            if known is not None and v == parse_value(known):
                self.fail(line, f"{what}: {sym} = {known} is its exact value (line {rec.line}), so no `≈`",
                          text, "≈" + text)
                return False
            if rec.rounded is MAYBE and v == rec.value and precision(text) == precision(rec.text):
                rec.rounded = True  # this very decimal is said to be a rounding
                self.marked_at[id(rec)] = line
            return True
        if known is not None:
            if as_double(v) != as_double(parse_value(known)):
                self.fail(line, f"{what}: {sym}'s exact value is {known}", known, text)
                return False
            return True
        if rec.rounded is True and v == rec.value:
            at = self.marked_at.get(id(rec))
            if at:
                self.fail(line, f"{what}: {sym} ≈ {text} is quoted with `≈` on line {at}; the same decimal "
                                f"cannot be exact here and rounded there", "≈" + text, text)
            else:
                self.fail(line, f"{what}: {sym} ≈ {text} on line {rec.line} is a rounding (its printed operands "
                                f"show it), so it is quoted with `≈`", "≈" + text, text)
            return False
        if not is_shortest(v):
            self.fail(line, f"{what}: {text} (without `≈`) is not the shortest decimal of a double, so it is "
                            f"not exact", "≈" + text, text)
            return False
        if rec.rounded is MAYBE and v == rec.value:
            rec.rounded = False
        else:
            prints.append(Val(text, False, line))
        return True

    def judge(self, line: int, what: str, expr: str, leaves_exact, sign: str, result: str,
              scale: Fraction = Fraction(1), lhs_old=None):
        """Evaluates the printed expression `expr` (times `scale`) exactly, its operands taken
        as the decimals they are printed as, and compares it with the printed result under
        `sign`. Returns the exact value."""
        self.count["equations"] += 1
        try:
            p = Parser(expr)
            node = p.parse()
        except ExprError as e:
            self.fail(line, f"{what}: cannot parse the expression {expr!r}: {e}")
            self.reasons.pop(line, None)
            return None
        try:
            value, A = evaluate(node, p.leaves)
        except (ValueError, ZeroDivisionError, OverflowError) as e:
            self.fail(line, f"{what}: cannot evaluate {expr!r}: {e}")
            self.reasons.pop(line, None)
            return None
        if scale != 1:
            value = value * scale if finite(value) else float(value) * float(scale)
            A = A * scale if finite(A) else A
        exact_ops = all(leaves_exact) if isinstance(leaves_exact, (list, tuple)) else bool(leaves_exact)
        f64_nan = False
        if result.strip("()") == "NaN" and not (isinstance(value, float) and math.isnan(value)):
            # terms that overflow f64 to ∞ and −∞ give NaN there, whatever their exact sum
            try:
                f64_nan = math.isnan(evaluate_f64(node, p.leaves) * float(scale))
            except (ZeroDivisionError, OverflowError, ValueError):
                f64_nan = False
        # how far the operands' own rounding may take the value: where it explains a gap between
        # the printed result and the value of the printed operands, that gap tells nothing of
        # whether the result is itself a rounding
        R = Fraction(0)
        if isinstance(leaves_exact, (list, tuple)) and len(leaves_exact) == len(p.leaves) and not exact_ops:
            radii = []
            for t, ex in zip(p.leaves, leaves_exact):
                v = parse_value(t)
                radii.append(Fraction(0) if ex or not finite(v) else radius(t, v, True))
            _, R = spread(node, p.leaves, radii)
            if finite(R) and scale != 1:
                R *= abs(scale)
        self.compare(line, what, value, A, sign, result, exact_ops, len(p.leaves), f64_nan, R)
        return value

    def compare(self, line, what, exact, A, sign, result, operands_exact=False, nleaves=2, f64_nan=False,
                spread_r=Fraction(0)):
        """The arithmetic rule: `= v` says the printed operands give v exactly; `≈ v` that they
        give v to v's precision (half a unit in its p-th significant digit, p = max(6, digits
        shown)); `≈ ∞` an overflow; `≈ NaN` (`f64_nan`) terms that overflow f64 to ∞ and −∞
        in the printed order. With `(f64 rounding: exactly, these numbers give X)` the
        operands give X (exactly, or to X's precision after `≈`) and v is the f64 result, off
        from it by floating-point error only (≤ 2·(number of operands + 1)·2⁻⁵²·Σ|terms|)."""
        printed = parse_value(result)
        self.number(line, what, result, True if sign == "=" else None)
        reason = self.reasons.pop(line, None)
        bound = 2 * (nleaves + 1) * EPS * (A if finite(A) else Fraction(0))
        if not finite(printed):
            self.verdicts[line] = False
        elif sign == "≈" and finite(exact):
            self.verdicts[line] = True if exact == printed or (finite(spread_r) and abs(exact - printed) > bound +
                                                               spread_r) else MAYBE
        if reason is not None:
            self.verdicts[line] = MAYBE
            self.f64_reason(line, what, exact, A, sign, result, printed, reason, nleaves)
            return
        if not finite(exact) or not finite(printed):
            if finite(exact) and not math.isnan(printed) and abs(exact) >= F64_OVERFLOW \
                    and (exact > 0) == (printed > 0):
                if sign != "≈":
                    self.fail(line, f"{what}: the exact value {show(exact)[:14]}… overflows f64 to {result}: "
                                    f"`≈` expected", f"≈ {result}", f"= {result}")
                return
            if f64_nan and math.isnan(printed):
                if sign != "≈":
                    self.fail(line, f"{what}: the exact value is {show(exact)[:14]}{'…' if finite(exact) else ''}, its "
                                    f"finite terms overflow f64 to ∞ and −∞, which give NaN: `≈` expected",
                              "≈ NaN", "= NaN")
                return
            if not same(exact, printed):
                self.fail(line, f"{what}: wrong result", show(exact), result)
            elif sign == "≈":
                self.fail(line, f"{what}: the printed operands give {result} exactly (no overflow): `=` expected",
                          f"= {result}", f"≈ {result}")
            return
        if sign == "=":
            if exact != printed:
                self.fail(line, f"{what}: result after `=` is not the exact value of the printed expression",
                          show(exact), result)
            return
        tol = half_unit(printed, precision(result))
        if abs(exact - printed) > tol:
            if printed == 0 and abs(exact) < Fraction(2) ** -1075:
                return  # underflow to 0
            self.fail(line, f"{what}: the printed operands do not give the rounded result to its "
                            f"{precision(result)} significant digits (at most {show(tol)} off)",
                      show(exact), result)
            self.verdicts[line] = MAYBE  # (its roundedness is not told by arithmetic that fails)
        elif self.pedantic and exact == printed and operands_exact:
            self.note(line, f"{what}: printed `≈`, but its operands are all exact and give exactly {result}")

    def f64_reason(self, line, what, exact, A, sign, result, printed, reason, nleaves):
        mark, xtext = reason
        self.count["structure"] += 1
        if sign != "≈":
            self.fail(line, f"{what}: an f64-rounding reason on an `=` equation")
        try:
            X = parse_value(xtext)
        except ValueError:
            self.fail(line, f"{what}: the reason's value {xtext!r} is not a number")
            return
        self.number(line, f"{what} (the reason)", xtext, None if mark else True)
        if not (finite(exact) and finite(printed) and finite(X)):
            self.fail(line, f"{what}: an f64-rounding reason with values that are not finite")
            return
        if mark == "":
            if exact != X:
                self.fail(line, f"{what}: the reason says the printed operands give exactly {xtext}",
                          show(exact), xtext)
        else:
            if exact == X:
                self.fail(line, f"{what}: the reason says `≈{xtext}`, but the printed operands give it exactly",
                          xtext, "≈" + xtext)
            elif abs(exact - X) > half_unit(X, precision(xtext)):
                self.fail(line, f"{what}: the reason's value is not what the printed operands give, to its "
                                f"{precision(xtext)} significant digits", show(exact), "≈" + xtext)
        if abs(exact - printed) <= half_unit(printed, precision(result)) and self.pedantic:
            self.note(line, f"{what}: an f64-rounding reason, but the printed operands give the printed result "
                            f"to its precision (the reason is not needed)")
        bound = 2 * (nleaves + 1) * EPS * (A if finite(A) else Fraction(0))
        if abs(exact - printed) > bound:
            self.fail(line, f"{what}: the printed result is off from what its operands give by more than "
                            f"f64 rounding can explain (≤ {show(bound)})", show(exact), result)

    def result_val(self, line: int, text: str, sign: str) -> Val:
        """The value an equation printed, with what its arithmetic tells of its roundedness."""
        rounded = self.verdicts.pop(line, sign == "≈")
        if sign == "=":
            rounded = False
        return Val(text, rounded, line, approx=sign == "≈")

    def store(self, key: str, line: int, text: str, sign: str):
        if key in self.sv:
            self.fail(line, f"{key} printed twice in this section (first on line {self.sv[key].line})")
        self.sv[key] = self.result_val(line, text, sign)
        self.saw_value(key, self.sv[key])

    def saw_value(self, key: str, v: Val):
        if not finite(v.value):
            where = {"given": "given", "step": self.step, "after": "after"}.get(self.ctx, self.ctx)
            if self.first_nonfinite is None:
                self.first_nonfinite = (key, v.text, v.line, where)
            if self.ctx == "after" and self.after_first_nonfinite is None:
                self.after_first_nonfinite = (key, v.text, v.line)
            if self.ctx == "mistake" and self.mistake_first_nonfinite is None:
                self.mistake_first_nonfinite = (key, v.text, v.line)


    def mark_symbolic(self, ln, key, terms=None):
        self.count["structure"] += 1
        if key in self.pending:
            self.fail(ln, f"{key}: symbolic line printed twice (first on line {self.pending[key][0]})")
        if key in self.sv or (key.endswith(" ←") and self.update_done(key)):
            self.fail(ln, f"{key}: symbolic line after the numbers it stands for")
        self.pending[key] = (ln, terms)
        self.sym_kinds.add(sym_kind(key))
        if self.ctx in ("step", "after"):
            self.symbolic = True

    def numeric_done(self, ln, key):
        """A numbers line for `key`: in the symbolic form its symbolic line must come first."""
        if self.pending.pop(key, None) is not None:
            return
        if (self.symbolic and self.ctx in ("step", "after")) or sym_kind(key) in self.sym_kinds:
            self.fail(ln, f"{key}: a numbers line without its symbolic line before it")

    def flush_pending(self, ln):
        for key, (lns, _) in sorted(self.pending.items(), key=lambda kv: kv[1][0]):
            self.fail(lns, f"{key}: symbolic line without the numbers line after it")
        self.pending = {}
        self.sym_kinds = set()

    def update_value(self, ln, lhs, psym, gsym, w_t, lr_t, g_t, sign, result) -> Val:
        """`lhs ← p − η·g = v`: p a printing of the parameter `psym`, η of Given's, g of the
        gradient `gsym`, the change shown by the digits (update_digits); the new value."""
        exact = [self.operand(ln, psym, w_t, f"{lhs} ←", "lead"),
                 self.operand(ln, "η", lr_t, f"{lhs} ←", "factor"),
                 self.operand(ln, gsym, g_t, f"{lhs} ←", "factor")]
        f64 = ln in self.reasons
        E = self.judge(ln, f"{lhs} ←", f"{w_t} − {lr_t}·{g_t}", exact, sign, result)
        if E is not None and not f64 and sign == "≈":
            lr, g = self.lookup("η"), self.lookup(gsym)
            slack = Fraction(0)
            if lr is not None and g is not None and finite(lr.value) and finite(g.value):
                # how far η·g may lie from its printed operands' product
                g_r = True if g_t.strip("()") != g.text else g.rounded
                lr_r = True if lr_t != lr.text else lr.rounded
                slack = abs(lr.value) * radius(g_t.strip("()"), parse_value(g_t), g_r) \
                    + abs(g.value) * radius(lr_t, lr.value, lr_r)
            self.update_digits(ln, lhs, w_t, result, E, slack)
        v = self.result_val(ln, result, sign)
        self.saw_value(lhs, v)
        return v

    def update_digits(self, ln, lhs, p_t, v_t, E, slack=Fraction(0)):
        """An update prints the old and the new value with as many digits as make the printed
        change v − p have the sign of the true change and be within half of it, or shows no
        change where f64 could not represent one (|c| under half a unit in the last place of p).
        The true change is c = E − p to within `slack` (what the rounding of the printed η·g
        allows) and the rounding f64 makes of it (half a unit in the last place of v): a change
        of a few units in the last place is what f64 makes of it, not c itself."""
        p, v = parse_value(p_t), parse_value(v_t)
        if not (finite(p) and finite(v) and finite(E)):
            return
        self.count["structure"] += 1
        c, d = E - p, v - p
        if c == 0 and d == 0:
            return
        if d == 0:
            fp = to_float(p)
            if finite(fp) and abs(c) - slack <= Fraction(math.ulp(fp)) / 2:
                return  # f64 keeps p: the update is below its resolution
            self.fail(ln, f"{lhs} ←: the printed old and new values are equal, but the update changes it by "
                          f"{show(c)}: both need more digits", f"a change of {show(c)}", "none")
            return
        # the change f64 makes is c rounded to the resolution of v (and of the printed η·g): any
        # change within that of c will do
        u = Fraction(max(math.ulp(to_float(p)), math.ulp(to_float(v)))) / 2 + slack
        lo, hi = sorted((2 * d / 3, 2 * d))
        if max(lo, c - u) > min(hi, c + u):
            self.fail(ln, f"{lhs} ←: the printed change v − p = {show(d)} does not show the true change "
                          f"{show(c)} (same sign, within half of it): the old and new values need more digits",
                      show(c), show(d))

    def loss_trend(self, ln, m, first, after):
        """`L: a → b (word)` (matched by LOSS_TREND): a quotes step 1's loss `first`, b the final
        loss `after`, and the word is what they show."""
        self.count["equations"] += 1
        ta, tb = m.group(1), m.group(2)
        qa = self.quote(ln, "L: the first value (step 1's loss)", "L", first, "≈" if ta[0] == "≈" else "", ta.lstrip("≈"))
        qb = self.quote(ln, "L: the second value (the final loss)", "L", after, "≈" if tb[0] == "≈" else "",
                        tb.lstrip("≈"))
        a, b = parse_value(ta), parse_value(tb)
        trend = m.group(3)
        if (trend == "not finite") == (finite(a) and finite(b)):
            self.fail(ln, "L: `not finite` must be said exactly when a loss is not finite",
                      "not finite" if trend != "not finite" else "a trend", trend)
        elif finite(a) and finite(b):
            self.trend(ln, "L", ta, tb, trend)
            if qa and qb and trend == "unchanged" and first is not None and after is not None \
                    and not agree_vals(first, after):
                self.fail(ln, f"L: `unchanged`, but step 1's loss (line {first.line}) and the final loss "
                              f"(line {after.line}) are printed as different values",
                          "decreased or increased, with the digits to show it", trend)
        self.trend_line = ln
        self.in_decimals(ln, m, a, b, trend)

    def in_decimals(self, ln, m, a, b, trend):
        """An exact derivation's `(…; in decimals A → B)` after `L: a → b`: there exactly when a
        or b is not an integer; A and B the doubles nearest to a and b as a decimal derivation
        quotes a value (bare: the double's shortest decimal; with `≈`: a rounding of it, never of
        the shortest decimal itself, to its digits), and, where the doubles differ, showing the
        same trend."""
        da, db = m.group(4), m.group(5)
        if not EXACT:
            if da is not None:
                self.fail(ln, "L: the losses in decimals belong to an exact derivation", "none", da)
            return
        self.count["structure"] += 1
        want = finite(a) and finite(b) and not (a.denominator == 1 and b.denominator == 1)
        if want != (da is not None):
            self.fail(ln, "L: an exact derivation gives the losses in decimals exactly when one is not an integer",
                      "`; in decimals …`" if want else "none", da or "none")
        if da is None or not (finite(a) and finite(b)):
            return
        doubles = []
        for which, exact_v, t in (("first", a, da), ("final", b, db)):
            self.count["operands"] += 1
            d = to_float(exact_v)
            mark, dt = ("≈", t[1:]) if t.startswith("≈") else ("", t)
            set_exact(False)  # read as a decimal derivation reads a standalone number
            try:
                err = notation_error(dt, not mark)
                v = parse_value(dt)
                if err:
                    self.fail(ln, f"L: the {which} loss in decimals, {dt}, is not in the printed form of numbers ({err})")
                elif not math.isfinite(d):
                    self.fail(ln, f"L: the {which} loss is beyond f64's range; no decimal of a double prints it",
                              "none", t)
                elif not mark:
                    if not (is_shortest(v) and as_double(v) == Fraction(d)):
                        self.fail(ln, f"L: the {which} loss in decimals is not the shortest decimal of the double "
                                      f"nearest to {show(exact_v)} (with `≈` where it is a rounding)",
                                  repr(d).replace("-", "−"), t)
                elif Fraction(repr(d)) == v:
                    self.fail(ln, f"L: the {which} loss in decimals, {dt}, is the double's own decimal, so no `≈`",
                              dt, t)
                elif abs(v - Fraction(d)) > half_unit(v, precision(dt)):
                    self.fail(ln, f"L: the {which} loss in decimals is not the double nearest to it, to its "
                                  f"{precision(dt)} significant digits", f"≈{fmt_sig(Fraction(d), SIGNIFICANT)}", t)
            finally:
                set_exact(True)
            doubles.append((d, dt))
        (fa, ta), (fb, tb) = doubles
        if math.isfinite(fa) and math.isfinite(fb) and fa != fb and trend != "not finite":
            self.trend(ln, "L (in decimals)", ta, tb, trend)

    def summary_digits(self, rows, cells, values, header):
        """A summary cell has more digits than 6 only where it would otherwise print as its
        neighbour does, and neighbours that print alike are of the same value. `values[r][c]`
        is (text, value, rounded, the Val it quotes or None) of the cell under `header[c + 1]`
        in row r + 1 (row 0 is the header)."""
        for r, row in enumerate(values):
            for c, cell in enumerate(row):
                if cell is None:
                    continue
                t, v, rq, rec = cell
                neigh = [values[r2][c] for r2 in (r - 1, r + 1)
                         if 0 <= r2 < len(values) and c < len(values[r2]) and values[r2][c] is not None]
                if rq and finite(v) and sig_digits(t) > SIGNIFICANT and not any(
                        finite(n[1]) and collide6(n[0], n[1], n[2], t, v, rq) for n in neigh):
                    self.fail(rows[r + 1][0], f"summary row {cells[r + 1][0]}, {header[c + 1]}: more than "
                                              f"{SIGNIFICANT} digits, though its neighbours differ at {SIGNIFICANT}",
                              f"≈{fmt_sig(v, SIGNIFICANT)}", "≈" + t)
                if r > 0 and c < len(values[r - 1]) and values[r - 1][c] is not None:
                    up = values[r - 1][c]
                    if up[0] == t and up[2] == rq and rec is not None and up[3] is not None \
                            and not agree_vals(rec, up[3]):
                        self.fail(rows[r + 1][0], f"summary row {cells[r + 1][0]}, {header[c + 1]}: prints as the row "
                                                  f"above, but the steps printed different values (lines "
                                                  f"{up[3].line} and {rec.line}): it needs more digits",
                                  f"{up[3].marked()} and {rec.marked()}", t)

    def rise_values(self, ln, k, ta, tb, before, after, unprinted=False):
        """`the loss rose from a to b with step k's update`: a quotes step k's loss `before`, b
        this loss `after`, and b > a. With `unprinted`, step k was not written out (`before` is
        None): a is only read as a number."""
        if not unprinted:
            self.quote(ln, f"note: the loss before (step {k}'s L)", "L", before, "≈" if ta[0] == "≈" else "", ta.lstrip("≈"))
        else:
            self.count["operands"] += 1
            self.number(ln, "note: the loss before", ta.lstrip("≈"), not ta.startswith("≈"))
        self.quote(ln, "note: the loss after (this L)", "L", after, "≈" if tb[0] == "≈" else "", tb.lstrip("≈"))
        a, b = parse_value(ta), parse_value(tb)
        if finite(a) and finite(b):
            self.trend(ln, "note: the loss rose", ta, tb, "increased")
        elif not (finite(a) and b == math.inf):
            self.fail(ln, "note: says the loss rose, but the values do not show it", f"{tb} > {ta}", "no rise")

    def trend(self, ln, what, ta, tb, word):
        """`a → b (word)`, `rose from a to b`: the printed values show the direction of the change
        (distinct, in that order). Their precision cannot be told apart (trailing zeros are
        dropped: `2.5·10⁷³` may stand for 2.50000000·10⁷³ next to 2.49999998·10⁷³), so distinct
        printings are taken as roundings to the same precision, which keep the order."""
        a, b = parse_value(ta), parse_value(tb)
        if word == "unchanged":
            if a != b:
                self.fail(ln, f"{what}: `unchanged`, but the printed values differ", "equal values", f"{ta} → {tb}")
            return
        want = "decreased" if b < a else "increased" if b > a else "unchanged"
        if word != want:
            self.fail(ln, f"{what}: the trend contradicts the printed values"
                          f"{' (equal: they need more digits to show the change)' if a == b else ''}", want, word)

    def table_cells(self, rows):
        """Cells of a table whose columns are right-aligned and at least two spaces apart."""
        return [re.split(r"\s{2,}", raw.strip()) for _, raw in rows]

    def check_aligned(self, rows, cells, what):
        widths = [max(len(r[c]) for r in cells if c < len(r)) for c in range(max(len(r) for r in cells))]
        for (lnr, raw), got in zip(rows, cells):
            want = "    " + "  ".join(g.rjust(widths[c]) for c, g in enumerate(got))
            if raw.rstrip() != want.rstrip():
                self.fail(lnr, f"{what} is not column-aligned", repr(want.strip()), repr(raw.strip()))

    # -- finite differences (shared) ----------------------------------------------------------

    def fd_cells(self, lnr, entry, bp_t, cd_t, diff_t, cur):
        """A row of a finite-difference table after its backpropagation value's provenance: the
        central difference's form, and the difference |backpropagation − central difference|
        within the rounding of the three printed numbers (and of the f64 subtraction), or `not
        compared` where a value is not finite; the row is kept in cur["rows"]."""
        bp_m, bp_s = ("≈", bp_t[1:]) if bp_t.startswith("≈") else ("", bp_t)
        cd_m, cd_s = ("≈", cd_t[1:]) if cd_t.startswith("≈") else ("", cd_t)
        try:
            bp, cd = parse_value(bp_s), parse_value(cd_s)
        except ValueError as e:
            self.fail(lnr, f"{entry}: {e}")
            return
        self.number(lnr, f"{entry}: the central difference", cd_s, cd_m == "")
        if cd_m and not finite(cd):
            self.fail(lnr, f"{entry}: `≈` on a value that is not a finite number", cd_s, cd_t)
        if entry in cur["rows"]:
            self.fail(lnr, f"{entry} listed twice")
        cur["rows"][entry] = {"line": lnr, "bp": bp, "cd": cd, "diff": diff_t, "bp_t": bp_t, "cd_t": cd_t}
        if not (finite(bp) and finite(cd)):
            self.count["structure"] += 1
            if diff_t != "not compared":
                self.fail(lnr, f"{entry}: values that are not finite numbers are not compared", "not compared", diff_t)
            return
        if diff_t == "not compared":
            return
        d_m, d_s = ("≈", diff_t[1:]) if diff_t.startswith("≈") else ("", diff_t)
        if not re.fullmatch(NUM, d_s):
            self.fail(lnr, f"{entry}: the difference is neither a number nor `not compared`", "a number", diff_t)
            return
        d = parse_value(d_s)
        self.number(lnr, f"{entry}: the difference", d_s, d_m == "")
        cur["rows"][entry]["d"] = d
        self.count["equations"] += 1
        if not finite(d):
            self.fail(lnr, f"{entry}: the difference of two finite numbers is printed as not finite", "a number", diff_t)
            return
        if d < 0:
            self.fail(lnr, f"{entry}: the difference is an absolute value, it cannot be negative", "≥ 0", diff_t)
        # each printed number stands for a double within its rounding (an exact one for
        # itself); the subtraction itself is rounded too
        b2 = bp if bp_m else as_double(bp)
        c2 = cd if cd_m else as_double(cd)
        exact = abs(b2 - c2)
        tol = radius(bp_s, bp, bool(bp_m)) + radius(cd_s, cd, bool(cd_m)) + radius(d_s, d, bool(d_m)) \
            + EPS * (abs(b2) + abs(c2))
        if abs(exact - d) > tol:
            self.fail(lnr, f"{entry}: the difference is not |backpropagation − central difference| "
                           f"(at most {show(tol)} off)", show(exact), diff_t)

    def fd_flag(self, ln, cur, entry):
        row = cur["rows"].get(entry)
        if row is None:
            self.fail(ln, f"note: {entry} is not in the table above")
        elif row["diff"] != "not compared":
            self.fail(ln, f"note: says {entry} is not compared, but the table compares it", "not compared", row["diff"])
        if entry in cur["flagged"]:
            self.fail(ln, f"note: {entry} flagged twice")
        cur["flagged"][entry] = ln
        return row

    def fd_nonfinite_note(self, ln, cur, entry, lst):
        """`… is not compared, as these are not finite numbers: backpropagation gives ∞,
        L(w + h) = ∞, L(w − h) = ∞, the central difference is NaN.`: the ones of the four that
        are not finite, in that order; L(w ± h) are printed only here, so they are checked against
        the central difference they give."""
        row = self.fd_flag(ln, cur, entry)
        forms = [("bp", rf"backpropagation gives ({NUM})"), ("plus", rf"L\(w \+ h\) = ({NUM})"),
                 ("minus", rf"L\(w − h\) = ({NUM})"), ("cd", rf"the central difference is ({NUM})")]
        parts = lst.split(", ")
        got = {}
        k = 0
        for part in parts:
            while k < len(forms) and not re.fullmatch(forms[k][1], part):
                k += 1
            if k == len(forms):
                self.fail(ln, f"note: cannot read {part!r} (the order is backpropagation, L(w + h), L(w − h), "
                              f"the central difference)")
                return
            got[forms[k][0]] = parse_value(re.fullmatch(forms[k][1], part).group(1))
            k += 1
        if row is None:
            return
        self.count["operands"] += len(got)
        for key, v in got.items():
            if finite(v):
                self.fail(ln, f"note: lists a finite number as not finite", "∞ or NaN", part)
        for key, name in (("bp", "backpropagation"), ("cd", "the central difference")):
            val = row[key]
            if finite(val) != (key not in got) or (key in got and not same(val, got[key])):
                self.fail(ln, f"note: {name} is {row[key + '_t']} in the table", row[key + "_t"],
                          show(got[key]) if key in got else "not listed")
        # the central difference (L(w + h) − L(w − h))/(2h) from what the note says of L(w ± h)
        plus, minus = got.get("plus"), got.get("minus")
        if plus is None and minus is None:
            ok = not (isinstance(row["cd"], float) and math.isnan(row["cd"]))
        else:
            a = plus if plus is not None else 0.0
            b = minus if minus is not None else 0.0
            want = a - b
            ok = same(want, row["cd"]) or (finite(row["cd"]) is False and not math.isnan(want) and
                                           math.isinf(row["cd"]) and (want > 0) == (row["cd"] > 0))
        if not ok:
            self.fail(ln, "note: the central difference in the table cannot come from the L(w ± h) the note lists",
                      "consistent values", lst)

    def fd_largest_check(self, ln, compared):
        """The end of a finite-difference check: `No entry could be compared.` only where no table
        compares one, else a `Largest difference` line that names the largest compared difference
        (`compared`: (difference, step, entry, row) of every compared row) and where it is."""
        none = getattr(self, "fd_none", None)
        if none is not None:
            if compared:
                self.fail(none, "`No entry could be compared.`, but the tables compare some")
            return
        if self.fd_largest is None:
            self.fail(ln, "finite differences: no `Largest difference` line" if compared else
                      "finite differences: no entry was compared, but no line says so")
            return
        lnl, v_t, entry, k = self.fd_largest
        self.count["operands"] += 1
        if not compared:
            self.fail(lnl, "`Largest difference` but nothing was compared")
            return
        top = max(compared, key=lambda c: c[0])
        if entry is None or (EXACT and top[0] == 0):
            # an exact check where every compared difference is 0 says so, without naming one
            if not (EXACT and top[0] == 0 and entry is None):
                self.fail(lnl, "an exact check says `Every compared entry agrees exactly …` exactly where every "
                               "compared difference is 0" if EXACT else "`Every compared entry agrees exactly …` "
                               "belongs to an exact derivation",
                          EXACT_FD_ZERO if EXACT and top[0] == 0 else f"Largest difference: {top[3]['diff']}, at …",
                          "Largest difference: …" if entry is not None else EXACT_FD_ZERO)
            return
        # the rows that may hold the largest difference: those whose printing (within its
        # rounding) reaches the largest printed one's (`≈5·10⁴¹` may be above or below `5·10⁴¹`)
        rad = lambda row: radius(row["diff"].lstrip("≈"), row["d"], row["diff"].startswith("≈"))
        low = top[0] - rad(top[3])
        cands = [c for c in compared if c[0] + rad(c[3]) >= low]
        named = next((c for c in cands if c[1] == k and c[2] == entry), None)
        best = named or top
        if parse_value(v_t) != best[0] or v_t != best[3]["diff"]:
            self.fail(lnl, "the largest difference is not the largest compared difference",
                      f"{top[3]['diff']} (at {top[2]} of step {top[1]})", v_t)
        row = self.fd_steps.get(k, {}).get("rows", {}).get(entry)
        if row is None or "d" not in row or named is None:
            self.fail(lnl, "the largest difference is not at the entry named",
                      f"{top[2]} of step {top[1]}", f"{entry} of step {k}")


class Checker(Base):
    """The derivation of one convolutional layer (`Training one convolutional layer: …`)."""

    def __init__(self, fname: str, lines: list[tuple[int, str]], report, pedantic: bool,
                 allow_trailing: bool = False):
        super().__init__(fname, lines, report, pedantic, allow_trailing)
        # Given
        self.X: dict[tuple[int, int], Val] = {}
        self.T: dict[tuple[int, int], Val] = {}
        self.W0: dict[tuple[int, int], Val] = {}
        self.xshape = self.wshape = self.tshape = None
        self.bias: Val | None = None
        self.has_bias = None
        self.eta: Val | None = None
        self.act = None  # 'relu' | 'linear' | 'sigmoid' | 'tanh' | 'leaky_relu'
        self.alpha: Val | None = None
        self.g0: Val | None = None
        self.loss = None
        self.lscale = self.gscale = None
        self.kernel = None
        self.stride = self.padding = None
        self.nsteps = None
        # state
        self.cur_w: dict[tuple[int, int], Val] = {}
        self.cur_b: Val | None = None
        self.new_w: dict[tuple[int, int], Val] = {}
        self.new_b: Val | None = None
        self.history: list[dict] = []  # per step: L, w (start), b (start), new_w, new_b
        self.after_L: Val | None = None
        self.unused_note = None
        self.x_used_after: set = set()
        self.final_w_seen = False
        self.after_ended = False
        # the sections after the result
        self.fd_seen = False
        self.fd_steps: dict[int, dict] = {}
        self.fd_cur = None
        self.fd_largest = None
        self.mistakes_seen = False
        self.mistake = None  # number of the mistake section being read
        self.mistake_kind = None  # 'sign' | 'noact' | 'flip'
        self.mstate = None  # 'grad' (before `A forward pass …`) | 'forward'
        self.mistakes: dict[int, dict] = {}
        self.base_sv: dict[str, Val] = {}
        self.compared_seen = False
        self.compared_rows = None
        self.compared_note = None
        self.compared_nonfinite = None
        self.compared_nonfinite_noted = False
        self.title = None  # ('all', n) | ('stopped', taken, asked) | ('none', asked)
        self.skipped: list[tuple[int, int, int]] = []  # (first, last, line) of steps not written out
        self.first_rose = None  # (line, step, a, b) of `the loss first rose at step …`
        self.final_b_seen = False
        self.saw_nonfinite_note = False

    # -- lookups ----------------------------------------------------------------------------

    def lookup(self, sym: str) -> Val | None:
        m = re.fullmatch(r"([xwt])\[(\d+),(\d+)\]", sym)
        if m:
            key = (int(m.group(2)), int(m.group(3)))
            table = {"x": self.X, "w": self.cur_w, "t": self.T}[m.group(1)]
            return table.get(key)
        if sym == "b":
            return self.cur_b
        if sym == "η":
            return self.eta
        rec = self.sv.get(sym)
        if rec is None and self.ctx == "mistake":
            # a mistake section refers to step 1's values where it prints none of its own
            rec = self.base_sv.get(sym)
        return rec

    # -- expected structure -----------------------------------------------------------------

    def z_terms(self, p: int, q: int) -> list[str]:
        (H, Wd), (KH, KW) = self.xshape, self.wshape
        (sh, sw), (ph, pw) = self.stride, self.padding
        out = []
        for i in range(KH):
            for j in range(KW):
                r, c = p * sh + i - ph, q * sw + j - pw
                if 0 <= r < H and 0 <= c < Wd:
                    wi, wj = (i, j) if self.kernel == "correlation" else (KH - 1 - i, KW - 1 - j)
                    out.append(f"x[{r},{c}]·w[{wi},{wj}]")
        if self.has_bias:
            out.append("b")
        return out

    def gw_terms(self, fi: int, fj: int) -> list[str]:
        (H, Wd), (KH, KW) = self.xshape, self.wshape
        (sh, sw), (ph, pw) = self.stride, self.padding
        (OH, OW) = self.tshape
        oi, oj = (fi, fj) if self.kernel == "correlation" else (KH - 1 - fi, KW - 1 - fj)
        out = []
        for p in range(OH):
            for q in range(OW):
                r, c = p * sh + oi - ph, q * sw + oj - pw
                if 0 <= r < H and 0 <= c < Wd:
                    out.append(f"δ[{p},{q}]·x[{r},{c}]")
        return out

    def gb_terms(self) -> list[str]:
        OH, OW = self.tshape
        return [f"δ[{p},{q}]" for p in range(OH) for q in range(OW)]

    # -- main loop --------------------------------------------------------------------------

    def run(self):
        self.lines = self.join_wrapped(self.lines)
        i = 0
        n = len(self.lines)
        while i < n:
            ln, raw = self.lines[i]
            text = raw.strip()
            if self.ctx == "after" and text == "" and self.after_L is not None:
                # the result section has no blank line inside: it ends here; what follows must
                # be one of the sections known to come after it
                self.end_after(ln)
                self.ctx = "tail"
                i += 1
                continue
            if self.ctx == "tail" and text and self.allow_trailing and text not in (
                    "Check: finite differences", "Common mistakes, applied to step 1's numbers"):
                rest = [t for _, t in self.lines[i:] if t.strip()]
                self.note(ln, f"{len(rest)} line(s) after the end of the derivation are not checked")
                break
            try:
                i = self.dispatch(i, ln, raw, text)
            except (ValueError, ExprError, KeyError, IndexError, TypeError, ZeroDivisionError) as e:
                self.fail(ln, f"could not check this line ({type(e).__name__}: {e}): {text!r}")
                i += 1
            upto = self.lines[i][0] if i < n else math.inf
            for rl in [r for r in self.reasons if r < upto]:
                self.fail(rl, "an f64-rounding reason on a line whose equation it does not belong to")
                del self.reasons[rl]
        self.finish()

    POST = ("fd", "mistakes_intro", "mistake", "compared")

    def dispatch(self, i, ln, raw, text) -> int:
        if text == "":
            if self.ctx in self.POST:
                # the sections after the result have no blank line inside
                self.end_post(ln)
                self.ctx = "tail"
            return i + 1
        if i == 0 and text.startswith("Training one convolutional layer: "):
            self.title_line(ln, text)
            return i + 1
        if text == "Given" and self.ctx == "given":
            return i + 1
        # the sections after the result, each after a blank line
        if text == "Check: finite differences":
            self.count["structure"] += 1
            if self.ctx != "tail" or self.fd_seen or self.mistakes_seen:
                self.fail(ln, "finite-difference check out of place (it comes once, after the result and before the mistakes)")
            self.fd_seen = True
            self.ctx = "fd"
            return i + 1
        if text == "Common mistakes, applied to step 1's numbers":
            self.count["structure"] += 1
            if self.ctx != "tail" or self.mistakes_seen or not self.history:
                self.fail(ln, "mistakes section out of place (it comes once, after the result)")
            self.mistakes_seen = True
            self.ctx = "mistakes_intro"
            return i + 1
        m = re.fullmatch(r"Mistake (\d+): (.+)", text)
        if m:
            self.begin_mistake(ln, int(m.group(1)), m.group(2))
            return i + 1
        if text == "Mistakes compared":
            self.count["structure"] += 1
            if self.ctx != "tail" or not self.mistakes or self.compared_seen:
                self.fail(ln, "`Mistakes compared` out of place (it comes once, after the mistakes)")
            self.compared_seen = True
            self.ctx = "compared"
            return i + 1
        if self.ctx == "fd":
            return self.fd_line(i, ln, raw, text)
        if self.ctx == "compared":
            return self.compared_line(i, ln, raw, text)
        if self.ctx == "mistakes_intro":
            if text != "Each recipe below replaces one part of the correct step; everything else is as in step 1.":
                self.fail(ln, f"line not understood in the mistakes introduction: {text!r}")
            return i + 1
        if self.ctx == "tail":
            self.fail(ln, f"line not understood after the end of the derivation (an unknown section is not checked): {text!r}")
            return i + 1
        m = MAT_HEAD.match(text)
        if m:
            return self.matrix(i, m)
        if text.startswith("Note: "):
            self.check_note(ln, text[6:])
            return i + 1
        if self.ctx == "given":
            r = self.given_line(ln, text)
            if r:
                return i + 1
        m = re.fullmatch(r"Step (\d+)", text)
        if m and self.ctx in ("given", "step", "skipped"):
            self.begin_step(ln, int(m.group(1)))
            return i + 1
        m = re.fullmatch(r"Result after (\d+) (steps?)|Result: no step taken", text)
        if m and self.ctx in ("given", "step"):
            k = int(m.group(1)) if m.group(1) else 0
            if m.group(1) and (k == 0 or (m.group(2) == "step") != (k == 1)):
                self.fail(ln, "result heading: the count of steps is not written as the format says",
                          "Result after 1 step / Result after N steps / Result: no step taken", text)
            self.begin_after(ln, k)
            return i + 1
        m = re.fullmatch(r"Steps (\d+) to (\d+)", text)
        if m and self.ctx in ("step", "skipped"):
            self.begin_skip(ln, int(m.group(1)), int(m.group(2)))
            return i + 1
        if self.ctx == "skipped":
            m = re.fullmatch(r"Not written out: each of these (\d+) steps repeats the computation above with the "
                             r"parameters the step before left\. The summary at the end gives the loss and the "
                             r"parameters of some of them\.", text)
            if m:
                a, b, _ = self.skipped[-1]
                self.count["structure"] += 1
                if int(m.group(1)) != b - a + 1:
                    self.fail(ln, "the count of steps not written out", b - a + 1, m.group(1))
                return i + 1
        if self.ctx == "mistake":
            r = self.mistake_line(i, ln, raw, text)
            if r is not None:
                return r
        if self.ctx in ("step", "after", "mistake"):
            r = self.step_line(i, ln, raw, text)
            if r is not None:
                return r
        if self.ctx == "after":
            r = self.after_line(i, ln, text)
            if r is not None:
                return r
        # nothing may pass unchecked: a line of prose that is not known is a failure too
        if re.search(r"\d", text):
            self.fail(ln, f"line not understood, its numbers are unchecked: {text!r}")
        else:
            self.fail(ln, f"line not understood (in section {self.ctx}): {text!r}")
        return i + 1

    # -- Given ------------------------------------------------------------------------------

    def given_line(self, ln, text) -> bool:
        m = re.fullmatch(rf"b \(bias\) ([=≈]) ({NUM})", text)
        if m:
            self.bias = Val(m.group(2), m.group(1) == "≈", ln)
            self.number(ln, "b (bias)", m.group(2), m.group(1) == "=")
            self.saw_value("b", self.bias)
            self.has_bias = True
            return True
        if text == "no bias term":
            self.has_bias = False
            return True
        m = re.fullmatch(rf"η \(learning rate\) ([=≈]) ({NUM})", text)
        if m:
            self.eta = Val(m.group(2), m.group(1) == "≈", ln)
            self.number(ln, "η (learning rate)", m.group(2), m.group(1) == "=")
            return True
        if text.startswith("activation: "):
            self.given_activation(ln, text[len("activation: "):])
            return True
        if text.startswith("loss: "):
            self.given_loss(ln, text[len("loss: "):])
            return True
        m = re.fullmatch(r"kernel: (correlation|convolution) \((.*)\)", text)
        if m:
            self.kernel = m.group(1)
            want = ("z = X ⋆ W: W slides over X as given, not flipped" if self.kernel == "correlation"
                    else "z = X ∗ W: W is rotated by 180° before it slides over X")
            if m.group(2) != want:
                self.fail(ln, "kernel description does not match the kernel", want, m.group(2))
            return True
        m = re.fullmatch(r"stride: (\d+|\((\d+), (\d+)\) \(rows, columns\)), padding: (\d+|\((\d+), (\d+)\) \(rows, columns\))", text)
        if m:
            def pair(whole, a, b):
                if a is not None:
                    if a == b:
                        self.fail(ln, "a pair with equal entries should be written as one number", a, whole)
                    return int(a), int(b)
                return int(whole), int(whole)
            self.stride = pair(m.group(1), m.group(2), m.group(3))
            self.padding = pair(m.group(4), m.group(5), m.group(6))
            return True
        if text == "Output size: ⌊(input + 2·padding − filter)/stride⌋ + 1":
            return True
        m = OUT_LINE.match(text)
        if m:
            self.output_size(ln, m)
            return True
        return False

    def given_activation(self, ln, s):
        got = self.parse_activation(ln, s)
        if got is not None:
            self.act, self.alpha, self.g0 = got

    def given_loss(self, ln, s):
        m = re.fullmatch(r"(half_sse|sse|mse), L = (?:(½|\(\d+/\d+\)|\d+)·)?Σ\(y − t\)², so ∂L/∂y = (?:(½|\(\d+/\d+\)|\d+)·\(y − t\)|y − t)", s)
        if not m:
            self.fail(ln, f"loss line not understood: {s!r}")
            return
        self.loss = m.group(1)
        self.lscale = parse_scale(m.group(2)) if m.group(2) else Fraction(1)
        self.gscale = parse_scale(m.group(3)) if m.group(3) else Fraction(1)
        self.lscale_text, self.gscale_text = m.group(2), m.group(3)
        n = self.tshape[0] * self.tshape[1] if self.tshape else None
        want = {"half_sse": (Fraction(1, 2), Fraction(1)), "sse": (Fraction(1), Fraction(2))}.get(self.loss)
        if self.loss == "mse" and n:
            want = (Fraction(1, n), Fraction(2, n))
        self.count["equations"] += 1
        if want and (self.lscale, self.gscale) != want:
            self.fail(ln, f"{self.loss}: scales of L and ∂L/∂y are wrong",
                      f"{show(want[0])} and {show(want[1])}", f"{show(self.lscale)} and {show(self.gscale)}")
        if self.gscale != 2 * self.lscale:
            self.fail(ln, "∂L/∂y's factor must be twice L's factor (d/dy of s·(y − t)² is 2s·(y − t))",
                      show(2 * self.lscale), show(self.gscale))

    def output_size(self, ln, m):
        which, expr, out = m.group(1), m.group(2), m.group(3)
        k = 0 if which == "OH" else 1
        if not (self.xshape and self.wshape and self.stride and self.padding):
            self.fail(ln, "output size printed before the shapes, stride and padding")
            return
        inp, flt = self.xshape[k], self.wshape[k]
        s, pad = self.stride[k], self.padding[k]
        plain = re.fullmatch(r"\((\d+) \+ 2·(\d+) − (\d+)\)/(\d+) \+ 1", expr)
        floor = re.fullmatch(r"⌊\((\d+) \+ 2·(\d+) − (\d+)\)/(\d+)⌋ \+ 1 = ⌊(\d+)/(\d+)⌋ \+ 1", expr)
        mm = plain or floor
        if not mm:
            self.fail(ln, f"output-size line not understood: {expr!r}")
            return
        for got, want, name in zip(mm.groups()[:4], (inp, pad, flt, s), ("input", "padding", "filter", "stride")):
            self.count["operands"] += 1
            if int(got) != want:
                self.fail(ln, f"{which}: the {name} operand differs from Given", want, got)
        if floor:
            self.count["operands"] += 2
            span, s2 = int(floor.group(5)), int(floor.group(6))
            self.count["equations"] += 1
            a, p2, f = (int(floor.group(j)) for j in (1, 2, 3))
            if span != a + 2 * p2 - f:
                self.fail(ln, f"{which}: input + 2·padding − filter", a + 2 * p2 - f, span)
            if s2 != int(floor.group(4)):
                self.fail(ln, f"{which}: the stride is quoted inconsistently", floor.group(4), s2)
            self.judge(ln, which, f"⌊{span}/{s2}⌋ + 1", [False, False, False], "=", out)
            self.judge(ln, which, f"⌊({floor.group(1)} + 2·{floor.group(2)} − {floor.group(3)})/{floor.group(4)}⌋ + 1",
                       [False] * 6, "=", out)
        else:
            self.judge(ln, which, expr, [False] * 6, "=", out)
        self.count["structure"] += 1
        if self.tshape and int(out) != self.tshape[k]:
            self.fail(ln, f"{which} differs from the target's shape", self.tshape[k], out)

    # -- matrices ---------------------------------------------------------------------------

    def matrix(self, i, m) -> int:
        ln, raw = self.lines[i]
        label, sign, first = m.group(1), m.group(8), m.group(9)
        rows, cells, vals, j = self.read_matrix(i, label, sign, first)
        if vals is None:
            return j
        shape = (len(cells), len(cells[0]))
        given = re.match(r"^(X|W|t) \(\w+, (\d+)×(\d+)\)$", label)
        if given:
            name = given.group(1)
            declared = (int(given.group(2)), int(given.group(3)))
            self.count["structure"] += 1
            if declared != shape:
                self.fail(ln, f"matrix {name}: declared shape differs from its rows", f"{declared[0]}×{declared[1]}",
                          f"{shape[0]}×{shape[1]}")
            # which entries of a Given matrix marked `≈` are rounded cannot be told from the
            # text (−0.6221601977 prints as −0.62216; 1.000000248396 as 1): a note quoting one
            # tells, else any printing of it within its rounding is one of it
            table = {}
            for r in range(shape[0]):
                for c in range(shape[1]):
                    table[(r, c)] = Val(cells[r][c], MAYBE if sign == "≈" else False, rows[r][0])
                    self.number(rows[r][0], f"matrix {name}", cells[r][c], None if sign == "≈" else True)
            for (r, c), v in table.items():
                self.saw_value(f"{name.lower()}[{r},{c}]", v)
            if name == "X":
                self.X, self.xshape = table, shape
            elif name == "W":
                self.W0, self.wshape = table, shape
                self.cur_w = dict(table)
            else:
                self.T, self.tshape = table, shape
            return j
        # computed matrices: compare with the values their equations printed
        kinds = {"z": "z", "y": "y", "δ": "δ", "∂L/∂W": "∂L/∂w", "e": "e", "δ̃": "δ̃", "g": "g"}
        if label in kinds:
            expect_shape = self.wshape if label in ("∂L/∂W", "g") else self.tshape
            get = lambda r, c: self.sv.get(f"{kinds[label]}[{r},{c}]")
        elif label == "W":
            expect_shape = self.wshape
            get = lambda r, c: self.new_w.get((r, c))
        else:  # final W
            expect_shape = self.wshape
            last = self.history[-1]["new_w"] if self.history else self.W0
            get = lambda r, c: last.get((r, c))
            self.final_w_seen = True
        if shape != expect_shape:
            self.fail(ln, f"matrix {label}: wrong shape", expect_shape, shape)
            return j
        any_rounded = self.matrix_entries(label, rows, cells, vals, get,
                                          lambda r, c: f"{kinds.get(label, 'w')}[{r},{c}]")
        want_sign = "≈" if any_rounded else "="
        if sign != want_sign:
            self.fail(ln, f"matrix {label}: sign should be `{want_sign}` "
                          f"({'an entry is' if any_rounded else 'no entry is'} rounded)", want_sign, sign)
        return j

    # -- steps ------------------------------------------------------------------------------

    def rec_of(self, k: int):
        """The record of step k if it was written out."""
        for rec in self.history:
            if rec["k"] == k:
                return rec
        return None

    def missing_notes(self, ln):
        """Notes the renderer owes: a rise of the loss (against the step before, when it was
        written out), and (in a step) ReLU outputs that are off or exactly at the kink, and
        sigmoid or tanh outputs saturated to exactly 0 or ±1."""
        L = self.sv.get("L")
        prev = None
        if self.ctx == "step" and self.step > 1:
            r = self.rec_of(self.step - 1)
            prev = r.get("L") if r else None
        elif self.ctx == "after" and self.history and self.history[-1]["k"] == self.step:
            prev = self.history[-1].get("L")
        if L and prev and finite(L.value) and finite(prev.value) and L.value > prev.value \
                and not agree_vals(L, prev) and "rose" not in self.noted:
            self.fail(ln, f"the loss rose from {prev.text} to {L.text} but no note says so")
        if self.ctx != "step":
            return
        zs = {k: v for k, v in self.sv.items() if k.startswith("z[")}
        if self.act == "relu" and "negative" not in self.noted and any(
                finite(v.value) and v.value < 0 or v.value == -math.inf for v in zs.values()):
            self.fail(ln, f"step {self.step}: some z < 0 (the ReLU is off there) but no note says so")
        if self.act in ("relu", "leaky_relu") and "zero" not in self.noted and any(
                same(v.value, Fraction(0)) for v in zs.values()):
            self.fail(ln, f"step {self.step}: some z = 0 exactly (the kink) but no note says so")
        if self.act in ("sigmoid", "tanh") and "saturated" not in self.noted and self.saturated_ys():
            self.fail(ln, f"step {self.step}: {', '.join(self.saturated_ys())} saturated (f′ = 0 exactly) "
                          f"but no note says so")

    def saturated_ys(self) -> list[str]:
        """The outputs whose derivative f′ = y·(1 − y) or 1 − y² is exactly 0: y is exactly 0 or
        ±1 in f64 (σ and tanh of a finite z never are, mathematically)."""
        out = []
        for key, f in self.sv.items():
            m = re.fullmatch(r"f′\(z\[(\d+),(\d+)\]\)", key)
            if m and same(f.value, Fraction(0)) and not f.rounded:
                y = self.sv.get(f"y[{m.group(1)},{m.group(2)}]")
                if y is not None and finite(y.value):
                    out.append(f"y[{m.group(1)},{m.group(2)}]")
        return out

    def close_step(self, ln):
        """Ends the current step: its updated W and b become the current parameters."""
        if self.ctx == "given" and self.act and self.tshape and "unreachable" not in self.noted:
            rng = {"relu": (0, math.inf, True), "sigmoid": (0, 1, False), "tanh": (-1, 1, False)}.get(self.act)
            if rng and any(finite(v.value) and (v.value < rng[0] or v.value >= rng[1] or
                                                (not rng[2] and v.value == rng[0])) for v in self.T.values()):
                self.fail(ln, "a target lies outside the activation's range but no note says so")
            self.noted = set()
        if self.ctx != "step":
            return
        self.flush_pending(ln)
        self.missing_notes(ln)
        rec = self.history[-1]
        rec["sv"] = dict(self.sv)
        if "L" not in self.sv:
            self.fail(ln, f"step {self.step}: no loss line")
        rec["L"] = self.sv.get("L")
        KH, KW = self.wshape
        for i in range(KH):
            for j in range(KW):
                if (i, j) not in self.new_w:
                    self.fail(ln, f"step {self.step}: no update printed for w[{i},{j}]")
                    self.new_w[(i, j)] = self.cur_w[(i, j)]
        if self.has_bias and self.new_b is None:
            self.fail(ln, f"step {self.step}: no update printed for b")
            self.new_b = self.cur_b
        rec["new_w"], rec["new_b"] = dict(self.new_w), self.new_b
        for check in self.deferred:
            check()
        self.deferred = []
        self.cur_w, self.cur_b = dict(self.new_w), self.new_b

    def begin_step(self, ln, k):
        if self.ctx == "given":
            self.setup(ln)
        self.close_step(ln)
        self.count["structure"] += 1
        if k != self.step + 1:
            self.fail(ln, "steps are not numbered consecutively", self.step + 1, k)
        self.ctx, self.step = "step", k
        self.sv, self.new_w, self.new_b = {}, {}, None
        self.noted = set()
        self.history.append({"k": k, "w": dict(self.cur_w), "b": self.cur_b, "line": ln})

    def begin_skip(self, ln, a, b):
        """`Steps a to b`: a long run leaves these out; the parameters the next step starts from
        are known only from their printing in that step."""
        self.close_step(ln)
        self.count["structure"] += 1
        if a != self.step + 1 or b < a:
            self.fail(ln, "steps not written out: not the ones after the last step printed", self.step + 1, a)
        if self.step != 5 or (self.nsteps is not None and self.nsteps <= 20):
            self.fail(ln, "a run of more than 20 steps writes out its first 5 steps and its last; "
                          "a shorter one is written out in full", "steps 6 to N − 1 of N > 20", f"steps {a} to {b}")
        self.skipped.append((a, b, ln))
        self.ctx, self.step = "skipped", b
        self.sv, self.new_w, self.new_b = {}, {}, None
        self.noted = set()
        self.cur_w = {key: Val(None, MAYBE, ln) for key in self.cur_w}
        self.cur_b = Val(None, MAYBE, ln) if self.has_bias else None

    def setup(self, ln):
        missing = [n for n, v in (("X", self.xshape), ("W", self.wshape), ("t", self.tshape),
                                  ("η", self.eta), ("activation", self.act), ("loss", self.loss),
                                  ("kernel", self.kernel), ("stride", self.stride),
                                  ("bias", self.has_bias)) if v is None]
        if missing:
            raise ValueError(f"Given section lacks {', '.join(missing)}")
        self.cur_b = self.bias
        self.cur_w = dict(self.W0)

    def title_line(self, ln, text):
        s = text[len("Training one convolutional layer: "):]
        self.count["structure"] += 1
        m = re.fullmatch(r"(\d+) (steps?) of gradient descent", s)
        if m:
            n = int(m.group(1))
            if (m.group(2) == "step") != (n == 1):
                self.fail(ln, "title: singular/plural mismatch", f"{n} step{'s' if n != 1 else ''}", m.group(0))
            self.title = ("all", n)
            self.nsteps = n
            return
        m = re.fullmatch(r"(\d+) of (\d+) steps of gradient descent \(then a value stopped being finite\)", s)
        if m:
            k, n = int(m.group(1)), int(m.group(2))
            if not 1 <= k < n:
                self.fail(ln, "title: the steps taken must be fewer than the ones asked for", f"< {n}", k)
            self.title = ("stopped", k, n)
            self.nsteps = n
            return
        m = OUTGROWN_TITLE.fullmatch(s)
        if m and EXACT:
            # (its note and its steps: exact_growth)
            k, n = int(m.group(1)), int(m.group(2))
            self.title = ("outgrown", k, n)
            self.nsteps = n
            return
        m = re.fullmatch(r"no step of gradient descent \((\d+) asked for; a given value is not finite\)", s)
        if m:
            self.title = ("none", int(m.group(1)))
            self.nsteps = int(m.group(1))
            return
        self.fail(ln, f"title not understood: {text!r}")

    def begin_after(self, ln, k):
        if self.ctx == "given":
            self.setup(ln)
        if self.ctx == "skipped" or (self.skipped and self.history[-1]["k"] != self.skipped[-1][1] + 1):
            self.fail(ln, "a long run writes out its last step right after the ones it leaves out")
        self.close_step(ln)
        self.count["structure"] += 1
        if k != self.step:
            self.fail(ln, "`Result after N steps` does not match the number of steps printed", self.step, k)
        kind = self.title[0] if self.title else None
        if kind == "all" and k != self.title[1]:
            self.fail(ln, "the title says every step was taken, but the result says otherwise", self.title[1], k)
        if kind == "outgrown" and k != self.title[1]:
            self.fail(ln, "the title's count of steps taken differs from the result", self.title[1], k)
        if kind == "stopped":
            if k != self.title[1]:
                self.fail(ln, "the title's count of steps taken differs from the result", self.title[1], k)
            if not self.saw_nonfinite_note:
                self.fail(ln, "the title says a value stopped being finite, but no step's note says which")
        if kind == "none":
            if k != 0:
                self.fail(ln, "the title says no step was taken", "Result: no step taken", f"Result after {k}")
            if not self.saw_nonfinite_note:
                self.fail(ln, "the title says a given value is not finite, but no note in Given says which")
        if kind in ("all", None) and self.saw_nonfinite_note and k < (self.nsteps or 0):
            self.fail(ln, "training stopped early, but the title does not say so")
        self.ctx = "after"
        self.sv, self.new_w, self.new_b = {}, {}, None
        self.noted = set()


    def step_line(self, i, ln, raw, text):
        if self.symbolic_line(ln, text):
            return i + 1
        m = re.fullmatch(r"Forward: z = X ([⋆∗]) W( \+ b)?", text)
        if m:
            self.count["structure"] += 1
            want_op = "⋆" if self.kernel == "correlation" else "∗"
            if m.group(1) != want_op or bool(m.group(2)) != self.has_bias:
                self.fail(ln, "forward header does not match the kernel or the bias",
                          f"X {want_op} W{' + b' if self.has_bias else ''}", text[len('Forward: z = '):])
            return i + 1
        if text.startswith("z[p,q] = Σ "):
            self.index_formula(ln, text, forward=True)
            return i + 1
        if text.startswith("∂L/∂w[i,j] = Σ "):
            self.index_formula(ln, text, forward=False)
            return i + 1
        m = NAMED_SUM.match(text)
        if m:
            return self.named_sum(i, ln, raw, m.group(1), m.group(m.lastindex))
        m = EMPTY_SUM.match(text)
        if m:
            lhs = m.group(1)
            self.count["structure"] += 1
            want = self.expected_terms(lhs)
            if want:
                self.fail(ln, f"{lhs}: printed as an empty sum, but its sum has terms", " + ".join(want), "0")
            self.count["equations"] += 1
            self.check_place(ln, lhs)
            self.pending.pop(lhs, None)
            self.store(lhs, ln, "0", "=")
            return i + 1
        m = NUM_SUM.match(text)
        if m:
            self.num_sum(ln, m)
            return i + 1
        m = re.fullmatch(r"Activation: (linear, y = z|y = (.*))", text)
        if m:
            want = {"relu": "max(0, z)", "sigmoid": "σ(z)", "tanh": "tanh(z)",
                    "leaky_relu": f"z where z > 0, {self.alpha.text if self.alpha else '?'}·z elsewhere"}.get(self.act)
            self.count["structure"] += 1
            if m.group(1).startswith("linear"):
                if self.act != "linear":
                    self.fail(ln, "activation header says linear but Given does not", self.act, "linear")
                for key, v in list(self.sv.items()):
                    if key.startswith("z["):
                        self.sv["y" + key[1:]] = v
            elif m.group(2) != want:
                self.fail(ln, "activation header does not match Given", want, m.group(2))
            return i + 1
        m = Y_LINE.match(text)
        if m:
            self.y_line(ln, m)
            return i + 1
        m = re.fullmatch(r"Loss: L = (?:(.+)·)?Σ\(y − t\)²", text)
        if m:
            self.count["structure"] += 1
            if (parse_scale(m.group(1)) if m.group(1) else 1) != self.lscale:
                self.fail(ln, "loss header's factor differs from Given", scale_text(self.lscale), m.group(1) or "1")
            return i + 1
        m = L_LINE.match(text)
        if m:
            self.loss_line(ln, m)
            return i + 1
        if self.ctx in ("after", "mistake"):
            return None
        m = re.fullmatch(r"Gradient of the loss: ∂L/∂y = (?:(.+)·\(y − t\)|y − t)", text)
        if m:
            self.count["structure"] += 1
            if (parse_scale(m.group(1)) if m.group(1) else 1) != self.gscale:
                self.fail(ln, "∂L/∂y header's factor differs from Given", scale_text(self.gscale), m.group(1) or "1")
            return i + 1
        if text in SIGN_PROSE:
            return i + 1
        m = DY_LINE.match(text)
        if m:
            self.dy_line(ln, m)
            return i + 1
        if text == "Activation derivative f′(z)":
            if self.act == "linear":
                self.fail(ln, "linear activation should not list f′ values")
            return i + 1
        if text == "Activation derivative: f′(z) = 1 everywhere (linear), so δ = ∂L/∂y":
            self.count["structure"] += 1
            if self.act != "linear":
                self.fail(ln, "says f′ = 1 everywhere, but the activation is not linear", self.act, "linear")
            OH, OW = self.tshape
            for p in range(OH):
                for q in range(OW):
                    self.sv[f"f′(z[{p},{q}])"] = Val("1", False, ln)
            return i + 1
        m = FP_LINE.match(text)
        if m:
            self.fp_line(ln, m)
            return i + 1
        if text == "δ = ∂L/∂z = ∂L/∂y ⊙ f′(z)":
            return i + 1
        m = DELTA_LINE.match(text)
        if m:
            self.delta_line(ln, m)
            return i + 1
        if text.startswith("Filter gradient: "):
            want = ("∂L/∂W = X ⋆ δ, the input correlated with δ" if self.kernel == "correlation" else
                    "∂L/∂W = rot180(X ⋆ δ), the input correlated with δ, then rotated by 180°")
            self.count["structure"] += 1
            if text[len("Filter gradient: "):] != want:
                self.fail(ln, "filter-gradient header does not match the kernel", want, text[len('Filter gradient: '):])
            return i + 1
        if text == "(the forward pass used W rotated, so w[i,j] met the inputs of kernel offset (KH−1−i, KW−1−j))":
            if self.kernel != "convolution":
                self.fail(ln, "rotation remark printed for a correlation kernel")
            return i + 1
        m = re.fullmatch(r"\(with stride (.+), the entries of δ are spread (.+) apart over the input\)", text)
        if m:
            self.count["structure"] += 1
            sh, sw = self.stride
            want = str(sh) if sh == sw else f"({sh}, {sw}) (rows, columns)"
            if m.group(1) != want or m.group(2) != want or self.stride == (1, 1):
                self.fail(ln, "stride remark does not match Given", want, f"{m.group(1)} / {m.group(2)}")
            return i + 1
        if text == "Bias gradient: ∂L/∂b = Σ δ":
            if not self.has_bias:
                self.fail(ln, "bias gradient printed for a layer without bias")
            return i + 1
        m = re.fullmatch(r"Update: W ← W − η·∂L/∂W(, b ← b − η·∂L/∂b)?", text)
        if m:
            if bool(m.group(1)) != self.has_bias:
                self.fail(ln, "update header does not match the bias")
            return i + 1
        m = UPD_LINE.match(text)
        if m:
            self.update_line(ln, m)
            return i + 1
        return None

    def index_formula(self, ln, text, forward: bool):
        """Checks `z[p,q] = Σ x[3p + i − 1, …]·w[2 − i, 2 − j]` (and the ∂L/∂w one) against the
        definition, for every output and filter position."""
        self.count["structure"] += 1
        (H, Wd), (KH, KW), (OH, OW) = self.xshape, self.wshape, self.tshape
        (sh, sw), (ph, pw) = self.stride, self.padding
        if forward:
            pad_note = "" if (ph, pw) == (0, 0) else " (terms on zero padding are 0 and left out)"
            m = re.fullmatch(r"z\[p,q\] = Σ x\[([^],]+), ([^],]+)\]·w\[([^],]+), ?([^],]+)\]( \+ b)?, over all filter entries \(i,j\)(.*)", text)
        else:
            pad_note = ""
            m = re.fullmatch(r"∂L/∂w\[i,j\] = Σ δ\[p,q\]·x\[([^],]+), ([^],]+)\], over all outputs \(p,q\)()()()()", text)
        if not m:
            self.fail(ln, f"index formula not understood: {text!r}")
            return
        if forward and (bool(m.group(5)) != self.has_bias or m.group(6) != pad_note):
            self.fail(ln, "index formula: bias or padding remark does not match Given")

        def ev(expr, env):
            e = expr.replace("−", "-")
            e = re.sub(r"(\d)([pqij])", r"\1*\2", e)
            if not re.fullmatch(r"[0-9pqij+\-* ]+", e):
                raise ValueError(expr)
            return eval(e, {"__builtins__": {}}, env)  # noqa: S307 (digits, p q i j, + - * only)

        conv = self.kernel == "convolution"
        # a general formula: test it beyond the actual ranges too, so that a 1-wide output or
        # filter (p = 0 only) still pins down its coefficients
        for p in range(max(OH, 2)):
            for q in range(max(OW, 2)):
                for i in range(max(KH, 2)):
                    for j in range(max(KW, 2)):
                        env = {"p": p, "q": q, "i": i, "j": j}
                        if forward:
                            # z[p,q] = Σ_(i,j) xpad[s·p + i, s·q + j]·w'[i,j], w' = W or rot180(W)
                            want = (p * sh + i - ph, q * sw + j - pw,
                                    (KH - 1 - i) if conv else i, (KW - 1 - j) if conv else j)
                            got = tuple(ev(m.group(k), env) for k in (1, 2, 3, 4))
                        else:
                            # ∂L/∂w[i,j] = Σ_(p,q) δ[p,q]·xpad[s·p + o_i, s·q + o_j], o = the
                            # kernel offset at which w[i,j] met the input
                            oi, oj = ((KH - 1 - i), (KW - 1 - j)) if conv else (i, j)
                            want = (p * sh + oi - ph, q * sw + oj - pw)
                            got = tuple(ev(m.group(k), env) for k in (1, 2))
                        if got != want:
                            self.fail(ln, f"index formula wrong at p={p}, q={q}, i={i}, j={j}",
                                      want, got)
                            return

    def expected_terms(self, lhs: str) -> list[str]:
        m = re.fullmatch(r"(z|∂L/∂w|g)\[(\d+),(\d+)\]", lhs)
        if m:
            a, b = int(m.group(2)), int(m.group(3))
            if m.group(1) == "z":
                return self.z_terms(a, b)
            if m.group(1) == "∂L/∂w":
                return self.gw_terms(a, b)
            KH, KW = self.wshape
            if self.mistake_kind == "flip":
                # the other kernel orientation: the terms of ∂L/∂w[KH−1−i, KW−1−j]
                return self.gw_terms(KH - 1 - a, KW - 1 - b)
            terms = self.gw_terms(a, b)
            return [t.replace("δ[", "δ̃[" if self.mistake_kind == "sign" else "∂L/∂y[") for t in terms]
        if lhs == "g_b":
            return [t.replace("δ[", "δ̃[" if self.mistake_kind == "sign" else "∂L/∂y[") for t in self.gb_terms()]
        return self.gb_terms()

    def check_place(self, ln, key: str) -> bool:
        """Is an equation for `key` in its place: the forward pass (z, y, L) in a step, in the
        result and in a mistake's forward pass; the backward pass in a step; e, δ̃, g, g_b and
        the updates of a mistake before its forward pass."""
        kind = sym_kind(key)
        forward = kind in ("z", "y", "L")
        if self.ctx == "step":
            ok = kind not in ("e", "δ̃", "g", "g_b")
        elif self.ctx == "after":
            ok = forward
        elif self.ctx == "mistake":
            if self.mstate == "forward":
                ok = forward
            else:
                allowed = {"sign": ("e", "δ̃", "g", "g_b"), "noact": ("g", "g_b"), "flip": ("g",)}[self.mistake_kind]
                ok = kind in allowed or kind in ("w ←", "b ←")
        else:
            ok = False
        if not ok:
            where = {"after": "the final forward pass", "mistake": f"mistake {self.mistake} ({self.mstate} part)"}.get(self.ctx, self.ctx)
            self.fail(ln, f"{key} printed in {where}, where it does not belong")
        return ok

    def summed(self, lhs, terms):
        """The input entries the final forward pass reads (for the note on unused rows)."""
        if lhs.startswith("z[") and self.ctx == "after":
            for t in terms:
                mx = re.match(r"x\[(\d+),(\d+)\]", t)
                if mx:
                    self.x_used_after.add((int(mx.group(1)), int(mx.group(2))))

    def num_sum(self, ln, m):
        """A sum printed with numbers only: its terms are those of its symbolic line (symbolic
        form) or, for g and g_b in a mistake, those the mistake's recipe calls for."""
        lhs, body, sign, result = m.group(1), m.group(8), m.group(9), m.group(10)
        self.check_place(ln, lhs)
        pend = self.pending.pop(lhs, None)
        if pend is not None:
            terms = pend[1]
        else:
            terms = self.expected_terms(lhs)
            if not (self.ctx == "mistake" and sym_kind(lhs) in ("g", "g_b")) or sym_kind(lhs) in self.sym_kinds:
                self.fail(ln, f"{lhs}: a numbers line without its symbolic line before it "
                              f"(or without the names line above it)")
            else:
                self.count["structure"] += 1  # the terms are implied by the recipe
        self.sum_numbers(ln, lhs, terms, body, sign, result)

    # -- the symbolic form ------------------------------------------------------------------

    def update_done(self, key) -> bool:
        if key == "b ←":
            return self.new_b is not None
        m = re.match(r"w\[(\d+),(\d+)\]", key)
        return bool(m) and (int(m.group(1)), int(m.group(2))) in self.new_w

    def symbolic_line(self, ln, text) -> bool:
        """`y[0,0] = max(0, z[0,0])`, `δ[0,0] = ∂L/∂y[0,0]·f′(z[0,0])`, `w[0,0] ← w[0,0] − η·∂L/∂w[0,0]`,
        …: checks that it is the right formula for its entry."""
        m = SYM_LINE.match(text)
        if not m:
            return False
        lhs, op, rhs = m.groups()
        if re.search(rf" [=≈] {NUM}$", rhs) or "   (z[" in rhs:
            return False
        if not (re.search(r"\[\d+,\d+\]", rhs) or "η" in rhs):
            return False
        if (op == "←") != (lhs.startswith("w[") or lhs == "b"):
            return False
        key = f"{lhs} ←" if op == "←" else lhs
        self.count["equations"] += 1
        self.check_place(ln, key)
        idx = re.search(IDX, lhs)
        p, q = (int(idx.group(1)), int(idx.group(2))) if idx else (None, None)
        want = None
        scale_of = None  # (Given's factor, its text) for the forms with a loss factor
        kind = sym_kind(key)
        if kind == "y":
            want = {"relu": f"max(0, z[{p},{q}])", "sigmoid": f"σ(z[{p},{q}])", "tanh": f"tanh(z[{p},{q}])",
                    "leaky_relu": f"leaky_relu(z[{p},{q}])"}.get(self.act)
        elif kind == "L":
            OH, OW = self.tshape
            body = " + ".join(f"(y[{a},{b}] − t[{a},{b}])²" for a in range(OH) for b in range(OW))
            want = f"{self.lscale_text}[{body}]" if self.lscale_text else body
            scale_of = (self.lscale, body)
        elif kind in ("∂L/∂y", "e"):
            diff = f"y[{p},{q}] − t[{p},{q}]" if kind == "∂L/∂y" else f"t[{p},{q}] − y[{p},{q}]"
            want = f"{self.gscale_text}·({diff})" if self.gscale_text else diff
            scale_of = (self.gscale, f"({diff})" if self.gscale_text else diff)
        elif kind == "f′(z":
            want = {"relu": f"relu′(z[{p},{q}])", "leaky_relu": f"leaky_relu′(z[{p},{q}])",
                    "sigmoid": f"y[{p},{q}]·(1 − y[{p},{q}])", "tanh": f"1 − y[{p},{q}]²"}.get(self.act)
        elif kind == "δ":
            want = f"∂L/∂y[{p},{q}]·f′(z[{p},{q}])"
        elif kind == "δ̃":
            want = f"e[{p},{q}]·f′(z[{p},{q}])"
        elif kind == "w ←":
            g = "g" if self.ctx == "mistake" else "∂L/∂w"
            want = f"w[{p},{q}] − η·{g}[{p},{q}]"
        elif kind == "b ←":
            if not self.has_bias:
                self.fail(ln, "b updated in a layer without bias")
            g = "∂L/∂b" if self.ctx != "mistake" or self.mistake_kind == "flip" else "g_b"
            want = f"b − η·{g}"
        if want is None:
            self.fail(ln, f"{key}: no symbolic line of this kind belongs to the {self.act} activation: {rhs!r}")
        elif rhs != want:
            ok = False
            if scale_of is not None:
                # a factor written differently (as (2/4) for (1/2)) is still the same factor
                stext, scale, body = split_scale(rhs)
                ok = stext is not None and scale == scale_of[0] and body in (scale_of[1], scale_of[1].strip("[]"))
            if not ok:
                self.fail(ln, f"{key}: the symbolic line is not the formula for this entry", want, rhs)
        self.mark_symbolic(ln, key)
        return True

    def y_line(self, ln, m):
        p, q, rhs, sign, result = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4), m.group(5)
        key = f"y[{p},{q}]"
        zsym = f"z[{p},{q}]"
        self.count["equations"] += 1
        self.check_place(ln, key)
        self.numeric_done(ln, key)
        self.activation_value(ln, key, zsym, self.act, self.alpha, rhs, sign, result)

    def loss_line(self, ln, m):
        rhs, sign, result = m.group(1), m.group(2), m.group(3)
        self.check_place(ln, "L")
        self.numeric_done(ln, "L")
        OH, OW = self.tshape
        syms = [(f"y[{p},{q}]", f"t[{p},{q}]") for p in range(OH) for q in range(OW)]
        self.loss_value(ln, rhs, sign, result, syms, self.lscale)
        if self.ctx == "after" and "L" in self.sv:
            self.after_L = self.sv["L"]

    def dy_line(self, ln, m):
        self.scaled_difference(ln, m, "∂L/∂y", ("y", "t"))

    def scaled_difference(self, ln, m, name, operands):
        """`name[p,q] = a − b`, or `s·(a − b)` with Given's factor of ∂L/∂y: the lines of
        ∂L/∂y (`y − t`) and of a mistake's error e (`t − y`)."""
        p, q, rhs, sign, result = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4), m.group(5)
        key = f"{name}[{p},{q}]"
        first, second = operands
        self.check_place(ln, key)
        self.numeric_done(ln, key)
        self.difference_value(ln, key, (f"{first}[{p},{q}]", f"{second}[{p},{q}]"), operands, rhs, sign, result,
                              self.gscale, "∂L/∂y")

    def fp_line(self, ln, m):
        p, q, fsign, rest = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
        key = f"f′(z[{p},{q}])"
        self.check_place(ln, key)
        if self.act in ("sigmoid", "tanh") and key in self.pending and not rest.startswith(("y·", "1 − y² =")):
            # in the symbolic form the formula is on the symbolic line: `= 0.9·(1 − 0.9) ≈ …`
            rest = ("y·(1 − y) = " if self.act == "sigmoid" else "1 − y² = ") + rest
        self.numeric_done(ln, key)
        if self.act in ("sigmoid", "tanh") and fsign != "=":
            self.fail(ln, f"{key}: expected `= formula = numbers ≈ result`")
            return
        self.slope_value(ln, key, f"z[{p},{q}]", f"y[{p},{q}]", "y", self.act, self.alpha, self.g0, fsign, rest)

    def delta_line(self, ln, m):
        p, q = int(m.group(1)), int(m.group(2))
        a, b, sign, result = m.group(3), m.group(4), m.group(5), m.group(6)
        key = f"δ[{p},{q}]"
        self.check_place(ln, key)
        self.numeric_done(ln, key)
        exact = [self.operand(ln, f"∂L/∂y[{p},{q}]", a, key, "factor"),
                 self.operand(ln, f"f′(z[{p},{q}])", b, key, "factor")]
        self.judge(ln, key, f"{a}·{b}", exact, sign, result)
        self.store(key, ln, result, sign)

    def update_line(self, ln, m):
        lhs = m.group(1)
        w_t, lr_t, g_t, sign, result = m.group(4), m.group(5), m.group(6), m.group(7), m.group(8)
        self.check_place(ln, f"{lhs} ←")
        self.numeric_done(ln, f"{lhs} ←")
        mistake = self.ctx == "mistake"
        if lhs == "b":
            psym, gsym = "b", ("g_b" if mistake and self.mistake_kind != "flip" else "∂L/∂b")
            if not self.has_bias:
                self.fail(ln, "b updated in a layer without bias")
        else:
            psym, gsym = lhs, f"{'g' if mistake else '∂L/∂w'}[{m.group(2)},{m.group(3)}]"
        v = self.update_value(ln, lhs, psym, gsym, w_t, lr_t, g_t, sign, result)
        if lhs == "b":
            if self.new_b is not None:
                self.fail(ln, "b updated twice in this step")
            self.new_b = v
        else:
            key = (int(m.group(2)), int(m.group(3)))
            if key in self.new_w:
                self.fail(ln, f"{lhs} updated twice in this step")
            self.new_w[key] = v

    # -- result -----------------------------------------------------------------------------

    def after_line(self, i, ln, text):
        if text == "A last forward pass, with the final parameters:":
            return i + 1
        m = re.fullmatch(rf"final b ([=≈]) ({NUM})", text)
        if m:
            sign, shown = m.group(1), m.group(2)
            want = self.history[-1]["new_b"] if self.history else self.bias
            if want is None:
                self.count["operands"] += 1
                self.fail(ln, "final b printed for a layer without bias")
            else:
                # a standalone number: `≈` exactly when it is a rounding (not the update's sign)
                self.quote(ln, "final b", "b", want, "≈" if sign == "≈" else "", shown)
            self.final_b_seen = True
            return i + 1
        m = LOSS_TREND.fullmatch(text)
        if m:
            self.loss_trend(ln, m, self.history[0].get("L") if self.history else None, self.after_L)
            return i + 1
        m = re.fullmatch(r"Summary: the loss and the parameters each step started from"
                         r"(?: \(the first and last ten steps, and one step in every (\d+)\))?", text)
        if m:
            return self.summary(i, ln, int(m.group(1)) if m.group(1) else None)
        return None

    def summary_rows(self, every):
        """The steps the summary lists: all of them, or for a run of more than SUMMARY_STEPS
        steps asked for the first and last ten taken and one in every ⌈asked/20⌉ (steps 1,
        1 + n, 1 + 2n, …)."""
        S = self.step
        if every is None:
            return list(range(1, S + 1))
        sel = set(range(1, min(10, S) + 1)) | set(range(max(1, S - 9), S + 1))
        sel |= {k for k in range(1, S + 1) if (k - 1) % every == 0}
        return sorted(sel)

    def summary(self, i, ln, every) -> int:
        j = i + 1
        rows = []
        while j < len(self.lines) and self.lines[j][1].strip() and not self.lines[j][1].startswith("Training"):
            rows.append(self.lines[j])
            j += 1
        self.count["matrices"] += 1
        if not rows:
            self.fail(ln, "summary table is empty")
            return j
        cells = [r[1].split() for r in rows]
        KH, KW = self.wshape
        params = [(a, b) for a in range(KH) for b in range(KW)]
        header = ["step", "L"] + [f"w[{a},{b}]" for a, b in params] + (["b"] if self.has_bias else [])
        if cells[0] != header:
            self.fail(rows[0][0], "summary header", " ".join(header), " ".join(cells[0]))
        ncol = len(header)
        S = self.step
        N = self.nsteps or S  # the steps asked for (a run can stop before them)
        self.count["structure"] += 1
        n_every = -(-N // 20)
        long_run = N > SUMMARY_STEPS and len(self.summary_rows(n_every)) < S
        if long_run != (every is not None) or (every is not None and every != n_every):
            self.fail(ln, f"summary heading: a run of more than {SUMMARY_STEPS} steps (asked for) lists the first and "
                          f"last ten steps and one in every ⌈steps/20⌉, a shorter one every step",
                      f"one step in every {n_every}" if long_run else "every step",
                      f"one step in every {every}" if every else "every step")
        steps = self.summary_rows(every)
        want_names = [str(k) for k in steps] + ["final"]
        got_names = [c[0] if c else "" for c in cells[1:]]
        if got_names != want_names:
            missing = [n for n in want_names if n not in got_names]
            extra = [n for n in got_names if n not in want_names]
            self.fail(ln, f"summary: the rows are not the steps its heading says (missing {', '.join(missing) or 'none'}; "
                          f"unexpected {', '.join(extra) or 'none'})", ", ".join(want_names), ", ".join(got_names))
        # what each row must say: step k's L and the parameters it started from; then the final row
        skipped_first = {a for a, _, _ in self.skipped}
        last = self.history[-1] if self.history else {"new_w": self.W0, "new_b": self.bias}
        sources = []  # per row: [L, w…, b] as Val or None (not printed in the derivation)
        for name in got_names:
            if name == "final":
                src = [self.after_L] + [last["new_w"].get(p) for p in params]
                src += [last["new_b"]] if self.has_bias else []
            elif name.isdigit() and self.rec_of(int(name)):
                h = self.rec_of(int(name))
                src = [h.get("L")] + [h["w"].get(p) for p in params] + ([h["b"]] if self.has_bias else [])
            elif name.isdigit() and int(name) in skipped_first and self.rec_of(int(name) - 1):
                h = self.rec_of(int(name) - 1)
                src = [None] + [h["new_w"].get(p) for p in params] + ([h["new_b"]] if self.has_bias else [])
            else:
                src = [None] * (ncol - 1)
            sources.append(src)
        values = []  # per row: the cells' (text, value, rounded)
        for (lnr, raw), got, src in zip(rows[1:], cells[1:], sources):
            if len(got) != ncol:
                self.fail(lnr, f"summary row {got[0] if got else '?'}: wrong number of columns", ncol, len(got))
            row = []
            for c, g in enumerate(got[1:], start=1):
                what = f"summary row {got[0]}, {header[c] if c < len(header) else f'column {c}'}"
                mark, t = ("≈", g[1:]) if g.startswith("≈") else ("", g)
                try:
                    v = parse_value(t)
                except ValueError:
                    self.fail(lnr, f"{what}: not a number", "a number", g)
                    row.append(None)
                    continue
                rec = src[c - 1] if c - 1 < len(src) else None
                sym = "L" if c == 1 else header[c] if c < len(header) else "?"
                if rec is not None:
                    self.quote(lnr, what, sym, rec, mark, t)
                else:
                    self.count["operands"] += 1
                    self.number(lnr, what, t, mark == "")
                row.append((t, v, mark == "≈", rec))
            values.append(row)
        self.summary_digits(rows, cells, values, header)
        if self.first_rose is not None:
            flr, k, ta, tb = self.first_rose
            for name, want_t, what in ((str(k - 1), ta, "the loss before"), (str(k), tb, "the loss after")):
                if name in got_names:
                    cell = values[got_names.index(name)][0] if values[got_names.index(name)] else None
                    if cell is not None and not agree(cell[0], cell[1], cell[2], want_t.lstrip("≈"),
                                                      parse_value(want_t), want_t.startswith("≈")):
                        self.fail(flr, f"note: {what} differs from step {name}'s L in the summary", cell[0], want_t)
        # the first rise of the loss, where two listed steps follow each other
        if self.first_rose is None:
            for r in range(1, len(values)):
                a_name, b_name = got_names[r - 1], got_names[r]
                if a_name.isdigit() and b_name.isdigit() and int(b_name) == int(a_name) + 1 \
                        and not self.rec_of(int(b_name)) and values[r][0] and values[r - 1][0]:
                    (ta, va, ra_, _), (tb, vb, rb_, _) = values[r - 1][0], values[r][0]
                    if finite(va) and finite(vb) and vb > va and not agree(ta, va, ra_, tb, vb, rb_) \
                            and not self.rose_noted_before(int(b_name)):
                        self.fail(ln, f"summary: the loss rose from step {a_name} to step {b_name}, among the steps "
                                      f"not written out, but no note says where it first rose")
                        break
        # alignment: right-aligned columns, two spaces apart, indented by 4
        self.check_aligned(rows, cells, "summary table")
        return j

    def rose_noted_before(self, k) -> bool:
        return any(r.get("rose") and r["k"] < k for r in self.history)


    # -- the sections after the result -------------------------------------------------------

    def end_post(self, ln):
        if self.ctx == "fd":
            self.end_fd(ln)
        elif self.ctx == "mistake":
            self.end_mistake(ln)
        elif self.ctx == "compared":
            self.end_compared(ln)

    def fd_line(self, i, ln, raw, text):
        intro = ("Each gradient entry next to the central difference (L(w + h) − L(w − h))/(2h), "
                 "with L computed by the same forward pass at the nudged parameter.")
        if text in (intro, intro + EXACT_FD):
            self.count["structure"] += 1
            if (text != intro) != EXACT:
                self.fail(ln, "the finite-difference check's introduction: an exact derivation (and only one) says "
                              "why its central differences are exact", intro + (EXACT_FD if EXACT else ""), text)
            return i + 1
        m = re.fullmatch(rf"Step (\d+), h ([=≈]) ({NUM})", text)
        if m:
            self.fd_end_step(ln)
            k = int(m.group(1))
            self.count["structure"] += 1
            written = [r["k"] for r in self.history]
            later = [x for x in written if x > max(self.fd_steps, default=0)]
            want = later[0] if later else None
            if k != want:
                self.fail(ln, "finite-difference steps are not the steps written out, in order", want, k)
            if self.rec_of(k) is None or "sv" not in self.rec_of(k):
                self.fail(ln, f"finite differences for step {k}, which was not printed")
                self.fd_cur = None
                return i + 1
            h = Val(m.group(3), m.group(2) == "≈", ln)
            self.number(ln, "h", m.group(3), m.group(2) == "=")
            if not (finite(h.value) and h.value > 0):
                self.fail(ln, "h must be a positive number", "> 0", m.group(3))
            else:
                # h = 10⁻⁶·max(1, the largest |parameter| the step started from)
                r = self.rec_of(k)
                ps = list(r["w"].values()) + ([r["b"]] if r.get("b") is not None else [])
                if all(not p.pending and finite(p.value) for p in ps):
                    big = max([Fraction(1)] + [abs(p.value) for p in ps])
                    rb = max([Fraction(0)] + [radius(p.text, p.value, p.rounded) for p in ps if abs(p.value) == big])
                    want = big / 10**6
                    tol = radius(h.text, h.value, h.rounded) + rb / 10**6 + 4 * EPS * want
                    self.count["structure"] += 1
                    if abs(h.value - want) > tol:
                        self.fail(ln, "h is not 10⁻⁶·max(1, the largest |parameter| of the step)", show(want), h.text)
            self.fd_cur = {"k": k, "h": h, "line": ln, "rows": {}, "flagged": {}, "table": False}
            self.fd_steps[k] = self.fd_cur
            return i + 1
        if text.startswith("entry"):
            return self.fd_table(i, ln)
        if text.startswith("Note: "):
            self.fd_note(ln, text[6:])
            return i + 1
        m = re.fullmatch(rf"Largest difference: {MNUM}, at (∂L/∂w{IDX}|∂L/∂b) of step (\d+)\.", text)
        if m:
            self.fd_end_step(ln)
            if self.fd_largest is not None or getattr(self, "fd_none", None):
                self.fail(ln, "a second conclusion of the finite-difference check")
            self.fd_largest = (ln, m.group(1), m.group(2), int(m.group(5)))
            return i + 1
        if text == "No entry could be compared.":
            self.fd_end_step(ln)
            if self.fd_largest is not None or getattr(self, "fd_none", None):
                self.fail(ln, "a second conclusion of the finite-difference check")
            self.fd_none = ln
            return i + 1
        if text == EXACT_FD_ZERO:
            self.fd_end_step(ln)
            if self.fd_largest is not None or getattr(self, "fd_none", None):
                self.fail(ln, "a second conclusion of the finite-difference check")
            self.fd_largest = (ln, "0", None, None)
            return i + 1
        self.fail(ln, f"line not understood in the finite-difference check: {text!r}")
        return i + 1

    def fd_entries(self):
        KH, KW = self.wshape
        return [f"∂L/∂w[{a},{b}]" for a in range(KH) for b in range(KW)] + (["∂L/∂b"] if self.has_bias else [])

    def fd_table(self, i, ln):
        j = i + 1
        while j < len(self.lines) and self.lines[j][1].strip().startswith("∂L/∂"):
            j += 1
        rows = self.lines[i:j]
        self.count["matrices"] += 1
        cur = self.fd_cur
        if cur is None or cur["table"]:
            self.fail(ln, "finite-difference table without its `Step k, h = …` line")
            return j
        cur["table"] = True
        cells = self.table_cells(rows)
        header = ["entry", "backpropagation", "central difference", "difference"]
        if cells[0] != header:
            self.fail(ln, "finite-difference table header", "  ".join(header), "  ".join(cells[0]))
        entries = self.fd_entries()
        got_entries = [c[0] for c in cells[1:]]
        if got_entries != entries:
            self.fail(ln, "finite-difference table: the entries are not every ∂L/∂w[i,j] (and ∂L/∂b) in order",
                      ", ".join(entries), ", ".join(got_entries))
        sv = self.rec_of(cur["k"])["sv"]
        for (lnr, _), row in zip(rows[1:], cells[1:]):
            if len(row) != 4:
                self.fail(lnr, "finite-difference row: expected 4 cells", 4, len(row))
                continue
            entry, bp_t, cd_t, diff_t = row
            rec = sv.get(entry)
            if rec is None:
                self.fail(lnr, f"{entry}: step {cur['k']} printed no such value")
                continue
            bp_m, bp_s = ("≈", bp_t[1:]) if bp_t.startswith("≈") else ("", bp_t)
            cd_m, cd_s = ("≈", cd_t[1:]) if cd_t.startswith("≈") else ("", cd_t)
            self.quote(lnr, f"{entry}: the backpropagation value (step {cur['k']})", entry, rec, bp_m, bp_s)
            self.fd_cells(lnr, entry, bp_t, cd_t, diff_t, cur)
        self.check_aligned(rows, cells, "finite-difference table")
        return j

    def fd_note(self, ln, s):
        self.count["notes"] += 1
        cur = self.fd_cur
        m = re.fullmatch(rf"(∂L/∂w{IDX}|∂L/∂b) is not compared, as these are not finite numbers: (.+)\.", s)
        if m and cur is not None:
            self.fd_nonfinite_note(ln, cur, m.group(1), m.group(4))
            return
        m = re.fullmatch(rf"(∂L/∂w{IDX}|∂L/∂b): (.+) (is|are) within reach of (relu|leaky_relu)'s kink at 0 when the "
                         r"parameter moves by ±h, so the central difference straddles the kink and is not compared\.", s)
        if not m or cur is None:
            self.fail(ln, f"note not understood in the finite-difference check: {s!r}")
            return
        entry, zs, verb, act = m.group(1), names_of(m.group(4)), m.group(5), m.group(6)
        if act != self.act:
            self.fail(ln, "note: names another activation than Given", self.act, act)
        if (verb == "is") != (len(zs) == 1):
            self.fail(ln, "note: singular/plural mismatch")
        row = self.fd_flag(ln, cur, entry)
        if row is not None and not (finite(row["bp"]) and finite(row["cd"])):
            self.fail(ln, f"note: {entry} has values that are not finite: the note says so, not the kink")
        sv = self.rec_of(cur["k"])["sv"]
        h = cur["h"].value
        xmax = max((abs(v.value) for v in self.X.values() if finite(v.value)), default=Fraction(0))
        reach = h * (max(xmax, Fraction(1)) if entry == "∂L/∂b" else xmax) if finite(h) else None
        for part in zs:
            mm = re.fullmatch(rf"(z{IDX}) ([=≈]) ({NUM})", part)
            if not mm:
                self.fail(ln, f"note: cannot read {part!r}")
                continue
            rec = sv.get(mm.group(1))
            self.quote(ln, f"note: {mm.group(1)} (step {cur['k']})", mm.group(1), rec,
                       "≈" if mm.group(4) == "≈" else "", mm.group(5))
            z = parse_value(mm.group(5))
            zr = radius(mm.group(5), z, mm.group(4) == "≈")
            if reach is not None and finite(z) and abs(z) - zr > reach * Fraction(1001, 1000):
                self.fail(ln, f"note: {mm.group(1)} = {mm.group(5)} is not within reach of the kink: a move by ±h "
                              f"changes z by at most h·max|x|", f"|z| ≤ {show(reach)}", mm.group(5))

    def fd_end_step(self, ln):
        cur, self.fd_cur = self.fd_cur, None
        if cur is None:
            return
        if not cur["table"]:
            self.fail(cur["line"], f"finite differences of step {cur['k']}: no table")
            return
        for entry, row in cur["rows"].items():
            if row["diff"] == "not compared" and entry not in cur["flagged"]:
                self.fail(row["line"], f"{entry} is not compared, but no note says why")
        if self.act not in ("relu", "leaky_relu"):
            return
        # a compared entry whose central difference straddles the kink: the renderer owes a note
        sv = self.rec_of(cur["k"])["sv"]
        h = cur["h"].value
        OH, OW = self.tshape
        for entry, row in cur["rows"].items():
            if row["diff"] == "not compared" or not finite(h):
                continue
            for p in range(OH):
                for q in range(OW):
                    if entry == "∂L/∂b":
                        coef = Fraction(1)
                    else:
                        w = entry[len("∂L/∂"):]
                        coef = Fraction(0)
                        for t in self.z_terms(p, q):
                            if t.endswith("·" + w):
                                coef = self.X[tuple(int(k) for k in re.findall(r"\d+", t.split("·")[0]))].value
                    zrec = sv.get(f"z[{p},{q}]")
                    if zrec is None or not finite(zrec.value) or not finite(coef) or coef == 0:
                        continue
                    if abs(zrec.value) < h * abs(coef) * Fraction(999, 1000):
                        self.fail(row["line"], f"{entry}: z[{p},{q}] = {zrec.text} is within reach of the kink "
                                               f"(a move by ±h changes it by {show(h * abs(coef))}), but the "
                                               f"central difference is compared and no note says so")

    def end_fd(self, ln):
        self.fd_end_step(ln)
        missing = [r["k"] for r in self.history if r["k"] not in self.fd_steps]
        if missing:
            self.note(ln, f"finite differences: no table for step(s) {', '.join(map(str, missing))}")
        compared = [(row["d"], k, e, row) for k, st in self.fd_steps.items() for e, row in st["rows"].items()
                    if "d" in row and finite(row["d"])]
        if getattr(self, "fd_none", None) is not None or self.fd_largest is not None:
            self.count["structure"] += 1
        self.fd_largest_check(ln, compared)

    # mistakes

    MISTAKES = {"the sign": "sign", "no activation derivative": "noact", "the filter gradient flipped": "flip"}

    def begin_mistake(self, ln, k, title):
        self.count["structure"] += 1
        if self.ctx != "tail" or not self.mistakes_seen or self.compared_seen:
            self.fail(ln, "mistake section out of place (after `Common mistakes, …` and before `Mistakes compared`)")
        if k != len(self.mistakes) + 1:
            self.fail(ln, "mistakes are not numbered consecutively", len(self.mistakes) + 1, k)
        kind = self.MISTAKES.get(title)
        if kind is None:
            self.fail(ln, f"unknown mistake {title!r}: its lines cannot be checked")
        elif any(mm["kind"] == kind for mm in self.mistakes.values()):
            self.fail(ln, f"mistake {title!r} shown twice")
        if not self.history or "sv" not in self.history[0]:
            raise ValueError("mistakes without a step 1")
        self.ctx = "mistake" if kind else "tail"
        self.mistake, self.mistake_kind, self.mstate = k, kind, "grad"
        self.sv, self.new_w, self.new_b = {}, {}, None
        self.noted = set()
        self.pending, self.sym_kinds = {}, set()
        self.base_sv = self.history[0]["sv"]
        self.cur_w, self.cur_b = dict(self.history[0]["w"]), self.history[0]["b"]
        self.mistakes[k] = {"kind": kind, "title": title, "line": ln, "seen": set()}
        self.mistake_first_nonfinite = None

    def mistake_texts(self):
        """The fixed lines (prose and headers) a mistake section prints: id → text."""
        kind, conv = self.mistake_kind, self.kernel == "convolution"
        rot = (lambda e: f"rot180({e})") if conv else (lambda e: e)
        out = {}
        if kind == "sign":
            out["prose"] = 'The "error" e = t − y is sent back where ∂L/∂y = y − t belongs, and the result is still subtracted.'
            out["e"] = f"e = {self.gscale_text}·(t − y)" if self.gscale_text else "e = t − y"
            out["δ̃"] = "δ̃ = e ⊙ f′(z)"
            out["g"] = f"g = {rot('X ⋆ δ̃')} in place of ∂L/∂W"
        elif kind == "noact":
            out["prose"] = ("∂L/∂y is sent back as it is, without multiplying by f′(z), so outputs the activation "
                            "blocks still move the filter.")
            out["g"] = f"g = {rot('X ⋆ ∂L/∂y')} in place of ∂L/∂W = {rot('X ⋆ (∂L/∂y ⊙ f′(z))')}"
        else:
            out["prose"] = ("The layer convolves, but the filter gradient is taken without the rotation: "
                            "g = X ⋆ δ in place of ∂L/∂W = rot180(X ⋆ δ)." if conv else
                            "The layer correlates, but the filter gradient is taken as a true convolution: "
                            "g = rot180(X ⋆ δ) in place of ∂L/∂W = X ⋆ δ.")
            out["g"] = "g, entry by entry"
        if self.has_bias and kind != "flip":
            out["g_b"] = "g_b in place of ∂L/∂b"
        out["update"] = "Update: W ← W − η·g" + (
            (", b ← b − η·∂L/∂b" if kind == "flip" else ", b ← b − η·g_b") if self.has_bias else "")
        out["forward"] = "A forward pass with these parameters:"
        return out

    def mistake_line(self, i, ln, raw, text):
        texts = self.mistake_texts()
        seen = self.mistakes[self.mistake]["seen"]
        # which fixed line this is meant to be, told by its beginning
        which = None
        for key, pat in (("prose", r"The \"error\"|∂L/∂y is sent back|The layer (correlates|convolves)"),
                         ("e", r"e = "), ("δ̃", r"δ̃ = "), ("g", r"g(, entry by entry| = .* in place of)"),
                         ("g_b", r"g_b in place of"), ("update", r"Update: "), ("forward", r"A forward pass")):
            if re.match(pat, text) and not re.match(r"(e|δ̃)\[", text):
                which = key
                break
        if which is not None:
            self.count["structure"] += 1
            if which not in texts:
                self.fail(ln, f"mistake {self.mistake}: a line this recipe does not have: {text!r}")
            elif text != texts[which]:
                self.fail(ln, f"mistake {self.mistake}: the line does not match the layer and the recipe",
                          repr(texts[which]), repr(text))
            if which in seen:
                self.fail(ln, f"mistake {self.mistake}: line printed twice: {text!r}")
            seen.add(which)
            if which == "forward":
                self.mistake_forward(ln)
            return i + 1
        if self.mstate == "grad" and re.match(r"(Forward:|z\[|Activation:|y\[|Loss:|L = )", text):
            self.fail(ln, f"mistake {self.mistake}: a forward-pass line before `A forward pass with these parameters:`")
            return i + 1
        if self.mstate == "forward":
            return None
        m = E_LINE.match(text)
        if m:
            self.e_line(ln, m)
            return i + 1
        m = DTILDE_LINE.match(text)
        if m:
            p, q = int(m.group(1)), int(m.group(2))
            a, b, sign, result = m.group(3), m.group(4), m.group(5), m.group(6)
            key = f"δ̃[{p},{q}]"
            self.check_place(ln, key)
            self.numeric_done(ln, key)
            exact = [self.operand(ln, f"e[{p},{q}]", a, key, "factor"),
                     self.operand(ln, f"f′(z[{p},{q}])", b, key, "factor")]
            self.judge(ln, key, f"{a}·{b}", exact, sign, result)
            self.store(key, ln, result, sign)
            return i + 1
        m = UPD_LINE.match(text)
        if m:
            self.update_line(ln, m)
            return i + 1
        return None

    def e_line(self, ln, m):
        self.scaled_difference(ln, m, "e", ("t", "y"))

    def mistake_forward(self, ln):
        """`A forward pass with these parameters:` the mistake's updated W and b replace step 1's."""
        KH, KW = self.wshape
        for a in range(KH):
            for b in range(KW):
                if (a, b) not in self.new_w:
                    self.fail(ln, f"mistake {self.mistake}: no update printed for w[{a},{b}]")
                    self.new_w[(a, b)] = self.cur_w[(a, b)]
        if self.has_bias and self.new_b is None:
            self.fail(ln, f"mistake {self.mistake}: no update printed for b")
            self.new_b = self.cur_b
        self.cur_w, self.cur_b = dict(self.new_w), self.new_b
        self.mstate = "forward"

    def end_mistake(self, ln):
        self.flush_pending(ln)
        rec = self.mistakes[self.mistake]
        OH, OW = self.tshape
        KH, KW = self.wshape
        texts = self.mistake_texts()
        for key in texts:
            if key not in rec["seen"]:
                self.fail(ln, f"mistake {self.mistake}: missing the line {texts[key]!r}")
        need = []
        if self.mistake_kind == "sign":
            need += [f"{s}[{p},{q}]" for s in ("e", "δ̃") for p in range(OH) for q in range(OW)]
        need += [f"g[{a},{b}]" for a in range(KH) for b in range(KW)]
        if self.has_bias and self.mistake_kind != "flip":
            need.append("g_b")
        need += [f"z[{p},{q}]" for p in range(OH) for q in range(OW)]
        if self.act != "linear":
            need += [f"y[{p},{q}]" for p in range(OH) for q in range(OW)]
        need.append("L")
        missing = [k for k in need if k not in self.sv]
        if missing:
            self.fail(ln, f"mistake {self.mistake}: no equation printed for {', '.join(missing)}")
        if self.mstate != "forward":
            self.mistake_forward(ln)
        f = self.mistake_first_nonfinite
        if f is not None and "nonfinite" not in self.noted:
            self.fail(ln, f"mistake {self.mistake}: {f[0]} = {f[1]} (line {f[2]}) is not a finite number, "
                          f"but no note says everything computed from it is meaningless")
        rec.update(new_w=dict(self.new_w), new_b=self.new_b, L=self.sv.get("L"))

    # the comparison of the mistakes

    def compared_line(self, i, ln, raw, text):
        if text == "The parameters after one step, and the loss they give":
            return i + 1
        if text.startswith("update  ") or text == "update":
            return self.compared_table(i, ln)
        if text.startswith("Note: "):
            self.compared_note_line(ln, text[6:])
            return i + 1
        self.fail(ln, f"line not understood in `Mistakes compared`: {text!r}")
        return i + 1

    def compared_table(self, i, ln):
        j = i + 1
        while j < len(self.lines) and self.lines[j][1].strip() and not self.lines[j][1].strip().startswith("Note:"):
            j += 1
        rows = self.lines[i:j]
        self.count["matrices"] += 1
        if self.compared_rows is not None:
            self.fail(ln, "a second comparison table")
        cells = self.table_cells(rows)
        KH, KW = self.wshape
        header = ["update"] + [f"w[{a},{b}]" for a in range(KH) for b in range(KW)] + \
                 (["b"] if self.has_bias else []) + ["loss after"]
        if cells[0] != header:
            self.fail(ln, "comparison table header", "  ".join(header), "  ".join(cells[0]))
        first = self.history[0]
        after = self.rec_of(2).get("L") if self.rec_of(2) else self.after_L

        params = [(a, c) for a in range(KH) for c in range(KW)]

        def row(name, w, b, L):
            return [name] + [w.get(p) for p in params] + ([b] if self.has_bias else []) + [L]
        want = [row("correct (step 1)", first["new_w"], first["new_b"], after)]
        for k in sorted(self.mistakes):
            mm = self.mistakes[k]
            want.append(row(f"mistake {k}: {mm['title']}", mm.get("new_w", {}), mm.get("new_b"), mm.get("L")))
        if len(cells) - 1 != len(want):
            self.fail(ln, "comparison table: wrong number of rows", len(want), len(cells) - 1)
        what = ["update"] + header[1:]
        for (lnr, _), got, exp in zip(rows[1:], cells[1:], want):
            if len(got) != len(exp):
                self.fail(lnr, f"comparison row {got[0]!r}: wrong number of columns", len(exp), len(got))
                continue
            if got[0] != exp[0]:
                self.fail(lnr, "comparison row: not the row expected here", exp[0], got[0])
            whose = "step 1 and the loss after it" if exp[0].startswith("correct") else "the mistake"
            for c in range(1, len(exp)):
                g, rec = got[c], exp[c]
                mark, t = ("≈", g[1:]) if g.startswith("≈") else ("", g)
                sym = "L" if c == len(exp) - 1 else what[c]
                if rec is None:
                    self.fail(lnr, f"comparison row {exp[0]!r}: {what[c]}: {whose} printed no such value")
                    continue
                self.quote(lnr, f"comparison row {exp[0]!r}, {what[c]} ({whose})", sym, rec, mark, t)
        self.check_aligned(rows, cells, "comparison table")
        self.compared_rows = True
        # The rows holding ∞ or NaN: the note after the table must name exactly these.
        self.compared_nonfinite = [
            " ".join(got[0].split(":")[0].split()[:2]) if got[0].startswith("mistake") else got[0]
            for got in cells[1:] if any(("∞" in c or "NaN" in c) for c in got[1:])]
        return j

    def compared_note_line(self, ln, s):
        self.count["notes"] += 1
        nf = re.fullmatch(r"the (rows?) of (.+) (holds?) values that are not finite numbers: "
                          r"(its loss is|their losses are) meaningless\.", s)
        if nf:
            plural = nf.group(1) == "rows"
            if (nf.group(3) == "hold") != plural or (nf.group(4) == "their losses are") != plural:
                self.fail(ln, "note: singular/plural mismatch")
            named = []
            for part in names_of(nf.group(2)):
                if part == "the correct update (see step 1)":
                    named.append("correct (step 1)")
                elif (mm := re.fullmatch(r"mistake (\d+) \(see its section\)", part)):
                    named.append(f"mistake {mm.group(1)}")
                else:
                    self.fail(ln, f"note: cannot read the row {part!r}")
            if len(named) != 1 and not plural or named != sorted(set(named), key=named.index):
                self.fail(ln, "note: the rows are not listed once each")
            want = sorted(self.compared_nonfinite or [], key=lambda r: (r != "correct (step 1)", r))
            if named != want:
                self.fail(ln, "note: the rows holding values that are not finite",
                          ", ".join(want) or "none", ", ".join(named) or "none")
            self.compared_nonfinite_noted = True
            return
        m = re.fullmatch(rf"(mistakes?) (.+) (leaves?) the loss higher than the L ([=≈]) ({NUM}) it started from\.", s)
        if not m:
            self.fail(ln, f"note not understood in `Mistakes compared`: {s!r}")
            return
        if self.compared_note is not None:
            self.fail(ln, "a second note on the mistakes")
        nums = names_of(m.group(2))
        plural = len(nums) > 1
        if (m.group(1) == "mistakes") != plural or (m.group(3) == "leave") != plural:
            self.fail(ln, "note: singular/plural mismatch")
        L0 = self.history[0].get("L")
        self.quote(ln, "note: the L it started from (step 1's L)", "L", L0, "≈" if m.group(4) == "≈" else "", m.group(5))
        try:
            listed = [int(n) for n in nums]
        except ValueError:
            self.fail(ln, f"note: cannot read the mistakes {m.group(2)!r}")
            return
        if listed != sorted(set(listed)):
            self.fail(ln, "note: the mistakes are not listed once each, in order")
        self.compared_note = (ln, set(listed))

    def end_compared(self, ln):
        if self.compared_nonfinite and not self.compared_nonfinite_noted:
            self.fail(ln, "rows of the comparison hold values that are not finite, but no note says so",
                      ", ".join(self.compared_nonfinite), "no note")
        L0 = self.history[0].get("L")
        if L0 is None or not finite(L0.value):
            return
        higher, unsure = set(), set()
        for k, mm in self.mistakes.items():
            L = mm.get("L")
            if L is None or (isinstance(L.value, float) and math.isnan(L.value)):
                unsure.add(k)
            elif not finite(L.value):
                if L.value > 0:
                    higher.add(k)
            elif agree_vals(L, L0):
                unsure.add(k)  # equal at their precision: cannot tell
            elif L.value > L0.value:
                higher.add(k)
        noted = self.compared_note[1] if self.compared_note else set()
        self.count["structure"] += 1
        if noted - unsure != higher - unsure or not noted <= higher | unsure:
            where = self.compared_note[0] if self.compared_note else ln
            self.fail(where, f"the mistakes that leave the loss higher than step 1's L {L0.marked()}",
                      ", ".join(map(str, sorted(higher))) or "none (no note)",
                      ", ".join(map(str, sorted(noted))) or "none (no note)")

    # -- notes ------------------------------------------------------------------------------

    def check_note(self, ln, s):
        if EXACT and (GROWTH_NOTE.fullmatch("Note: " + s) or OUTGROWN_NOTE.fullmatch("Note: " + s)):
            self.count["notes"] += 1
            return  # checked with the lines they speak of (exact_growth)
        self.count["notes"] += 1
        m = re.fullmatch(r"(.+): (relu never outputs a negative number|sigmoid outputs only numbers strictly between 0 and 1|tanh outputs only numbers strictly between −1 and 1), so y can never reach this target and L can never reach 0\.", s)
        if m:
            rng = {"relu": (0, math.inf, True), "sigmoid": (0, 1, False), "tanh": (-1, 1, False)}.get(self.act)
            if rng is None or not m.group(2).startswith(self.act):
                self.fail(ln, "note names another activation than Given", self.act, m.group(2).split()[0])
                return
            listed = set()
            for part in m.group(1).split(", "):
                mm = re.fullmatch(rf"t\[(\d+),(\d+)\] ([=≈]) ({NUM})", part)
                if not mm:
                    self.fail(ln, f"note: cannot read {part!r}")
                    continue
                key = (int(mm.group(1)), int(mm.group(2)))
                listed.add(key)
                self.quote(ln, "note", f"t[{key[0]},{key[1]}]", self.T.get(key), "≈" if mm.group(3) == "≈" else "",
                           mm.group(4))
            low, high, closed = rng
            outside = {k for k, v in self.T.items()
                       if finite(v.value) and (v.value < low or v.value >= high or (not closed and v.value == low))
                       or (not finite(v.value) and self.act != "relu" and not math.isnan(v.value))}
            self.noted.add("unreachable")
            if listed != outside:
                self.fail(ln, "note: the unreachable targets listed are not the ones outside the activation's range",
                          sorted(outside), sorted(listed))
            return
        m = re.fullmatch(r"(.+) < 0: the ReLU is off there and f′ = 0 blocks the gradient, so (.+) = 0 whatever the target; (that output sends|those outputs send) nothing back to W\.", s)
        if m:
            zs, ds = names_of(m.group(1)), names_of(m.group(2))
            if [d.replace("δ", "z") for d in ds] != zs:
                self.fail(ln, "note: the δ's named do not match the z's", ", ".join(z.replace("z", "δ") for z in zs), m.group(2))
            if (len(zs) == 1) != (m.group(3) == "that output sends"):
                self.fail(ln, "note: singular/plural mismatch")
            for z in zs:
                self.count["operands"] += 1
                rec = self.lookup(z)
                if rec is None or not (finite(rec.value) and rec.value < 0 or rec.value == -math.inf):
                    self.fail(ln, f"note: {z} < 0 is not what was printed", "< 0", rec.text if rec else None)
            negatives = sorted(k for k, v in self.sv.items() if k.startswith("z[") and
                               (finite(v.value) and v.value < 0 or v.value == -math.inf))
            if self.act == "relu" and sorted(zs) != negatives:
                self.fail(ln, "note: the z's listed are not all the negative z's", ", ".join(negatives), m.group(1))

            def later(ds=ds, ln=ln):
                for d in ds:
                    rec = self.sv.get(d)
                    if rec is None or not same(rec.value, Fraction(0)):
                        self.fail(ln, f"note: says {d} = 0", "0", rec.text if rec else None)
            self.deferred.append(later)
            self.noted.add("negative")
            return
        m = re.fullmatch(r"(.+) = 0 exactly, where the ReLU has no derivative; this derivation uses relu_grad_at_zero = (\d+) \(PyTorch, JAX and micrograd use 0; set relu_grad_at_zero: (\d+) for the other convention\)\.", s)
        if m:
            self.zero_note(ln, names_of(m.group(1)))
            self.noted.add("zero")
            if self.g0 is None or m.group(2) != self.g0.text or int(m.group(3)) != 1 - int(m.group(2)):
                self.fail(ln, "note: relu_grad_at_zero quoted wrongly", self.g0.text if self.g0 else None,
                          f"{m.group(2)} (other: {m.group(3)})")
            return
        m = re.fullmatch(rf"(.+) = 0 exactly: leaky_relu uses its slope ({NUM}) there, as PyTorch does\.", s)
        if m:
            self.zero_note(ln, names_of(m.group(1)))
            self.noted.add("zero")
            if self.alpha is None or m.group(2) != self.alpha.text:
                self.fail(ln, "note: α quoted wrongly", self.alpha.text if self.alpha else None, m.group(2))
            return
        m = re.fullmatch(r"(.+) exactly: (sigmoid|tanh) is saturated there\. Its true derivative is positive, but y "
                         r"has rounded to the bound in f64, so f′ = (y·\(1 − y\)|1 − y²) = 0, (.+) = 0, and the "
                         r"gradient vanishes: these outputs no longer move W\.", s)
        if m:
            self.saturated_note(ln, m)
            return
        m = RISE_NOTE.fullmatch(s)
        if m:
            k = int(m.group(3))
            self.noted.add("rose")
            before = self.rec_of(k).get("L") if self.rec_of(k) else None
            after = self.sv.get("L")
            if self.ctx == "step" and k != self.step - 1 or self.ctx == "after" and k != self.step \
                    or self.ctx not in ("step", "after"):
                self.fail(ln, "note: wrong step number", self.step - 1 if self.ctx == "step" else self.step, k)
            self.rise_values(ln, k, m.group(1), m.group(2), before, after)
            if self.ctx == "step" and self.history:
                self.history[-1]["rose"] = True
            return
        m = re.fullmatch(rf"the loss first rose at step (\d+), from {MNUM} to {MNUM}, after step (\d+)'s update \(η may be too large\)\.", s)
        if m:
            self.first_rose_note(ln, int(m.group(1)), m.group(2), m.group(3), int(m.group(4)))
            return
        m = (re.fullmatch(rf"(.+?)(?: ([=≈]) ({NUM}))? is not a finite number, so no step can be computed\.", s)
             or re.fullmatch(rf"(.+?)(?: ([=≈]) ({NUM}))? is not a finite number \(its first appearance\): training stops after this step\.", s)
             or re.fullmatch(rf"(.+?)(?: ([=≈]) ({NUM}))? is the first value that is not a finite number; everything computed from it is meaningless, so training stops after this step\.", s))
        if m:
            self.saw_nonfinite_note = True
            sym, mark, quoted = m.group(1), m.group(2), m.group(3)
            given = s.endswith("no step can be computed.")
            if given != (self.ctx == "given"):
                self.fail(ln, "note: `no step can be computed` belongs to Given, `training stops after this step` to a step")
            rec = self.lookup(sym) if self.ctx != "given" or sym[0] in "xwtb" else None
            if self.ctx == "given" and sym.startswith("w["):
                rec = self.W0.get(tuple(int(k) for k in re.findall(r"\d+", sym)))
            if rec is None or finite(rec.value):
                self.fail(ln, f"note: {sym} is said not to be finite", "NaN or ∞", rec.text if rec else None)
            elif quoted is not None:
                self.quote(ln, "note", sym, rec, "≈" if mark == "≈" else "", quoted)
            else:
                self.count["operands"] += 1
            first = self.first_nonfinite
            if first is not None and rec is not None and first[0] != sym:
                self.fail(ln, f"note: {sym} is not the first value that is not finite: {first[0]} = {first[1]} "
                              f"came before it, on line {first[2]}", first[0], sym)
            self.noted.add("nonfinite")
            return
        m = (re.fullmatch(rf"(.+?) ([=≈]) ({NUM}) is not a finite number either \(the first was (.+?) ([=≈]) ({NUM}), (in step (\d+)|given)\), so the final loss is meaningless\.", s)
             or re.fullmatch(rf"(.+?) ([=≈]) ({NUM}) is the first value that is not a finite number: the final parameters overflow the forward pass, so the final loss is meaningless\.()()()()()", s))
        if m and self.ctx == "after":
            self.final_nonfinite_note(ln, m)
            return
        m = re.fullmatch(rf"(.+?) ([=≈]) ({NUM}) is the first value of this recipe that is not a finite number: everything computed from it, the loss included, is meaningless\.", s)
        if m and self.ctx == "mistake":
            self.count["operands"] += 1
            sym, mark, quoted = m.groups()
            first = self.mistake_first_nonfinite
            self.noted.add("nonfinite")
            if first is None:
                self.fail(ln, "note: this recipe's values are all finite numbers")
            elif first[0] != sym:
                self.fail(ln, f"note: {sym} is not the first value of this recipe that is not finite "
                              f"({first[0]} = {first[1]}, line {first[2]})", first[0], sym)
            else:
                self.quote(ln, "note", sym, self.sv.get(sym), "≈" if mark == "≈" else "", quoted)
            if "L" not in self.sv:
                self.fail(ln, "note: comes after the mistake's loss")
            return
        m = re.fullmatch(r"training stopped after step (\d+) of (\d+) because a value stopped being finite \(see that step\)\.", s)
        if m:
            if self.ctx != "after" or int(m.group(1)) != self.step or (self.nsteps and int(m.group(2)) != self.nsteps):
                self.fail(ln, "note: step counts", f"{self.step} of {self.nsteps}", f"{m.group(1)} of {m.group(2)}")
            if not (self.title and self.title[0] == "stopped"):
                self.fail(ln, "note: training stopped early, but the title does not say so")
            self.stopped_note = True
            return
        m = re.fullmatch(r"input (.+) never (falls|fall) under the filter at this stride and padding, so (it affects|they affect) neither z nor ∂L/∂W\.", s)
        if m:
            one = not (" and " in m.group(1) or "," in m.group(1))
            if (m.group(2) == "falls") != one or (m.group(3) == "it affects") != one:
                self.fail(ln, "note: singular/plural mismatch")
            self.unused_note = (ln, m.group(1))
            return
        if re.search(r"\d", s):
            self.fail(ln, f"note not understood, its numbers are unchecked: {s!r}")
        else:
            self.fail(ln, f"note not understood: {s!r}")

    def saturated_note(self, ln, m):
        """`y[0,0] = 1, y[1,0] = −1 exactly: tanh is saturated there. … so f′ = 1 − y² = 0,
        δ[0,0] and δ[1,0] = 0, …`: the outputs listed are exactly those whose f′ is 0, each
        quoted as its printed value, which is exactly 0 or 1 (sigmoid) or ±1 (tanh)."""
        act, formula = m.group(2), m.group(3)
        self.noted.add("saturated")
        if act != self.act or formula != {"sigmoid": "y·(1 − y)", "tanh": "1 − y²"}.get(act):
            self.fail(ln, "note: names another activation (or its derivative) than Given", self.act, act)
            return
        allowed = {"sigmoid": (Fraction(0), Fraction(1)), "tanh": (Fraction(-1), Fraction(1))}[act]
        ys = []
        for part in m.group(1).split(", "):
            mm = re.fullmatch(rf"(y{IDX}) = ({NUM})", part)
            if not mm:
                self.fail(ln, f"note: cannot read {part!r}")
                continue
            self.count["operands"] += 1
            ys.append(mm.group(1))
            rec = self.sv.get(mm.group(1))
            v = parse_value(mm.group(4))
            if rec is None or rec.text != mm.group(4) or v not in allowed:
                self.fail(ln, f"note: {mm.group(1)} is not printed as exactly {' or '.join(show(a) for a in allowed)}",
                          rec.text if rec else None, mm.group(4))
        want = self.saturated_ys()
        if ys != want:
            self.fail(ln, "note: the outputs listed are not those whose f′ is exactly 0", ", ".join(want), ", ".join(ys))
        ds = names_of(m.group(4))
        if ds != [y.replace("y", "δ") for y in ys]:
            self.fail(ln, "note: the δ's named do not match the y's", ", ".join(y.replace("y", "δ") for y in ys), m.group(4))

        def later(ds=ds, ln=ln):
            for d in ds:
                rec = self.sv.get(d)
                if rec is None or not same(rec.value, Fraction(0)):
                    self.fail(ln, f"note: says {d} = 0", "0", rec.text if rec else None)
        self.deferred.append(later)

    def first_rose_note(self, ln, k, ta, tb, k0):
        """`the loss first rose at step k, from a to b, after step k − 1's update`: in a long run,
        where the first rise is among the steps not written out."""
        self.count["operands"] += 2
        self.noted.add("first rose")
        if self.ctx != "after" or self.first_rose is not None:
            self.fail(ln, "note: `the loss first rose` belongs once to the result of a long run")
        if k0 != k - 1:
            self.fail(ln, "note: the update before step k is step k − 1's", k - 1, k0)
        if not any(a <= k <= b + 1 for a, b, _ in self.skipped):
            self.fail(ln, "note: the first rise is noted so only where it is among the steps not written out",
                      "a step not written out", k)
        if self.rose_noted_before(k + 1):
            self.fail(ln, "note: the loss rose earlier, in a step written out (its note says so)")
        for kk, t, what in ((k - 1, ta, "before"), (k, tb, "after")):
            r = self.rec_of(kk)
            if r is not None:
                self.quote(ln, f"note: the loss {what}", "L", r.get("L"), "≈" if t[0] == "≈" else "", t.lstrip("≈"))
            else:
                self.number(ln, "note", t.lstrip("≈"), not t.startswith("≈"))
        self.trend(ln, "note: the loss first rose", ta, tb, "increased")
        self.first_rose = (ln, k, ta, tb)

    def final_nonfinite_note(self, ln, m):
        """In the last forward pass: its first value that is not finite, and the first one of the
        derivation if it came before (`given`, or `in step k`)."""
        self.count["operands"] += 1
        self.noted.add("nonfinite")
        sym, mark, quoted = m.group(1), m.group(2), m.group(3)
        first_here = self.after_first_nonfinite
        if first_here is None:
            self.fail(ln, "note: the last forward pass has no value that is not finite (so far)")
            return
        if first_here[0] != sym:
            self.fail(ln, f"note: {sym} is not the first value of the last forward pass that is not finite",
                      first_here[0], sym)
        else:
            self.quote(ln, "note", sym, self.sv.get(sym), "≈" if mark == "≈" else "", quoted)
        before = self.first_nonfinite if self.first_nonfinite and self.first_nonfinite[3] != "after" else None
        if not m.group(4):
            if before is not None:
                self.fail(ln, f"note: says the final parameters first overflow, but {before[0]} = {before[1]} "
                              f"(line {before[2]}) was not finite before", f"the first was {before[0]}", "none before")
            return
        self.count["operands"] += 1
        where = "given" if m.group(7) == "given" else int(m.group(8))
        if before is None:
            self.fail(ln, "note: no value before the last forward pass was not finite", "none", m.group(4))
        elif before[0] != m.group(4) or before[3] != where or before[1] != m.group(6) or m.group(5) != "=":
            self.fail(ln, "note: the first value that is not finite is quoted wrongly",
                      f"{before[0]} = {before[1]}, {'given' if before[3] == 'given' else f'in step {before[3]}'}",
                      f"{m.group(4)} {m.group(5)} {m.group(6)}, {m.group(7)}")


    def zero_note(self, ln, zs):
        for z in zs:
            self.count["operands"] += 1
            rec = self.lookup(z)
            if rec is None or not same(rec.value, Fraction(0)):
                self.fail(ln, f"note: says {z} = 0 exactly", "0", rec.text if rec else None)
        zeros = sorted(k for k, v in self.sv.items() if k.startswith("z[") and same(v.value, Fraction(0)))
        if sorted(zs) != zeros:
            self.fail(ln, "note: the z's listed are not all the zero z's", ", ".join(zeros), ", ".join(zs))

    # -- end --------------------------------------------------------------------------------

    def finish(self):
        last_ln = self.lines[-1][0] if self.lines else 0
        if self.ctx == "after":
            self.end_after(last_ln)
        elif self.ctx in self.POST:
            self.end_post(last_ln)
        if not self.after_ended:
            self.fail(last_ln, "derivation ends without a `Result after N steps` section")
            return
        if self.mistakes and not self.compared_seen:
            self.fail(last_ln, "mistake sections but no `Mistakes compared` table")
        if self.mistakes_seen and not self.mistakes:
            self.fail(last_ln, "a mistakes introduction but no mistake section")

    def end_after(self, last_ln):
        """Ends the result section: the checks that need all of it."""
        self.after_ended = True
        self.flush_pending(last_ln)
        for check in self.deferred:
            check()
        self.deferred = []
        self.missing_notes(last_ln)
        # the final forward pass: one z and y per output, and the final W printed
        OH, OW = self.tshape
        for p in range(OH):
            for q in range(OW):
                if f"z[{p},{q}]" not in self.sv:
                    self.fail(last_ln, f"final forward pass: no z[{p},{q}]")
        if self.after_L is None:
            self.fail(last_ln, "final forward pass: no loss")
        if self.after_first_nonfinite is not None and "nonfinite" not in self.noted:
            f = self.after_first_nonfinite
            self.fail(last_ln, f"the last forward pass has {f[0]} = {f[1]} (line {f[2]}), not a finite number, "
                               f"but no note says the final loss is meaningless")
        if self.title and self.title[0] == "stopped" and not getattr(self, "stopped_note", False):
            self.fail(last_ln, "training stopped early, but the result has no note `training stopped after step …`")
        if not self.final_w_seen:
            self.fail(last_ln, "no `final W` matrix")
        if self.has_bias and not self.final_b_seen:
            self.fail(last_ln, "no `final b` line")
        if self.history and self.history[0].get("L") and self.after_L and not hasattr(self, "trend_line"):
            self.fail(last_ln, "no `L: first → final` line")
        if len(self.history) > 1 and not any(t.strip().startswith("Summary:") for _, t in self.lines):
            self.fail(last_ln, "more than one step but no Summary table")
        # unused input rows/columns (judged from the final forward pass)
        H, Wd = self.xshape
        rows = [r for r in range(H) if not any(x[0] == r for x in self.x_used_after)]
        cols = [c for c in range(Wd) if not any(x[1] == c for x in self.x_used_after)]
        parts = []
        if rows:
            parts.append(f"row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows))}")
        if cols:
            parts.append(f"column{'s' if len(cols) > 1 else ''} {', '.join(map(str, cols))}")
        want = " and ".join(parts)
        if self.unused_note is not None:
            self.count["structure"] += 1
            if self.unused_note[1] != want:
                self.fail(self.unused_note[0], "note: the unused input rows/columns", want or "none", self.unused_note[1])
        elif want:
            self.fail(last_ln, f"input {want} never fall under the filter, but no note says so")


# ---------------------------------------------------------------------------------------------
# Networks: names and tensors

# the gradient and the activation derivative of a tensor called z, y, x or v (a flattened map)
GRAD_OF = {"z": "δ", "y": "∂L/∂y", "x": "∂L/∂x", "v": "∂L/∂v"}
SLOPE_OF = {"z": "f′(z", "y": "f′(y", "x": "f′(x", "v": "f′(v"}
# quantities without a layer: the network's input, the target, an upstream gradient, the loss,
# and a softmax's largest logit m, numerators e, denominator S and probabilities p
UNLAYERED = ("x", "t", "g", "L", "∂L/∂x", "m", "e", "S", "p")
NET_NAME = re.compile(r"(∂L/∂[xywbzv]|f′\([zyxv]|[xwbtgzyδLvmeSp])(?:⁽([⁰¹²³⁴⁵⁶⁷⁸⁹]+)⁾)?(?:\[(\d+(?:,\d+)*)\])?")
PAIR = r"(\d+|\((\d+), (\d+)\))"
CONV_DESC = re.compile(
    rf"conv, (\d+) (filters?) of (\d+)×(\d+) on (\d+) (channels?), stride {PAIR}, padding {PAIR}, dilation {PAIR}, "
    r"(no bias|with a bias per filter), (correlation \(the filters slide as given, as PyTorch's conv2d\)|"
    r"convolution \(each filter rotated by 180° before it slides\))")
SIZE_SIDE = re.compile(r"(OH|OW) = (⌊?)\((\d+) \+ 2·(\d+) − (\d+)·\((\d+) − 1\) − 1\)/(\d+)(⌋?) \+ 1"
                       r"(?: = ⌊(\d+)/(\d+)⌋ \+ 1)? = (\d+)")
EMPTY_REASONS = {"forward": "the window lies entirely on zero padding",
                 "back": "no window of the layer after it covers this entry",
                 "unpicked": "no window picked this entry as its maximum",
                 "floored": "no pooling window covers this entry: the output size is floored"}
# the layers of "Networks II": pools, flatten, dense
POOLS = ("max_pool", "avg_pool")
SIZE_RULES = {"conv": "⌊(input + 2·padding − dilation·(filter − 1) − 1)/stride⌋ + 1", "pool": "⌊(input − window)/stride⌋ + 1"}
POOL_DESC = re.compile(rf"(max_pool|avg_pool), (\d+)×(\d+) windows, stride {PAIR}(, overlapping)?, no padding, on (\d+) "
                       r"(channels?): each output (.*)")
POOL_WHAT = {"max_pool": "the largest entry of its window (on a tie the first in row-major order, as PyTorch and JAX)",
             "avg_pool": "the mean of its window (the sum divided by the window's size)"}
FLATTEN_DESC = re.compile(r"flatten, the (\d+)×(\d+)×(\d+) map as a vector of (\d+) entries in row-major order "
                          r"\(channel, then row, then column\), as PyTorch's nn\.Flatten")
DENSE_DESC = re.compile(r"dense, (\d+) (inputs?) to (\d+) (outputs?), weight (\d+)×(\d+) \(one row per output\), "
                        r"(with a bias per output|no bias), as PyTorch's nn\.Linear")
POOL_SIDE = re.compile(r"(OH|OW) = (⌊?)\((\d+) − (\d+)\)/(\d+)(⌋?) \+ 1(?: = ⌊(\d+)/(\d+)⌋ \+ 1)? = (\d+)")
SOFTMAX_NOTE = ("a softmax gives every class a probability strictly between 0 and 1, so a target with a 0 in it is "
                "never reached exactly: ")
SOFTMAX_ONE_HOT = ("for this one-hot target L only approaches 0 as the right logit pulls ahead of the others, and the "
                   "gradient never vanishes.")
SOFTMAX_SOFT = "L only approaches its least value as some logits run off to −∞, and the gradient never vanishes."
BATCH_ONE_HOT = ("for a one-hot target an example's L only approaches 0 as its right logit pulls ahead of the "
                 "others, and its gradient never vanishes.")
BATCH_SOFT = ("an example's L only approaches its least value as some logits run off to −∞, and its gradient "
              "never vanishes.")
SHIFT_PROSE = ("(the largest logit m is subtracted first: that divides the numerator and the denominator by exp(m), "
               "leaving p unchanged, and keeps every exp at most 1)")


def why_prose(z: str) -> tuple:
    """Why ∂L/∂z = p − t, said once, in the first step."""
    return ("Why p − t: log p[k] = z[k] − log Σ_j exp(z[j]), so ∂(−log p[k])/∂z[j] is p[j] − 1 for j = k and p[j] "
            "otherwise;",
            "weighted by t[k] and summed, with Σ_k t[k] = 1, that is p[j] − t[j]: the derivatives of the softmax and the "
            "log",
            f"cancel to output minus target. Descent subtracts η·∂L/∂{z}; building it from t − p and still subtracting "
            f"moves uphill.")


def name_list(names: list) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def shape_text(shape) -> str:
    return "×".join(map(str, shape))


def sup(n: int) -> str:
    return "".join(SUP[int(d)] for d in str(n))


def unsup(s: str) -> int:
    return int("".join(str(SUP.index(c)) for c in s))


def parse_name(text: str):
    """`z⁽⁰⁾[1,0,2]` → ('z', 0, (1, 0, 2)); `f′(z⁽⁰⁾[0,0])` → ('f′(z', 0, (0, 0)); `b` →
    ('b', None, ()); None if it is not a name."""
    inner = text
    if text.startswith("f′("):
        if not text.endswith(")"):
            return None
        inner = text[:-1]
    m = NET_NAME.fullmatch(inner)
    if not m:
        return None
    layer = unsup(m.group(2)) if m.group(2) else None
    idx = tuple(int(k) for k in m.group(3).split(",")) if m.group(3) else ()
    return m.group(1), layer, idx


def pair_text(p) -> str:
    """`2`, or `(2, 1)` for rows and columns that differ."""
    return str(p[0]) if p[0] == p[1] else f"({p[0]}, {p[1]})"


def plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def position(out: str, kernel: str, stride: int, dilation: int, pad: int) -> str:
    """The input position `s·p + d·i − pad` as the derivation writes it (`2p + i − 1`)."""
    text = out if stride == 1 else f"{stride}{out}"
    text += " + " + ("" if dilation == 1 else str(dilation)) + kernel
    return text + (f" − {pad}" if pad else "")


def eval_index(expr: str, env: dict) -> int:
    """An index expression of the derivation's formulas (`2p + i − 1`, `p + 2(1 − i)`), in the
    letters of `env`: digits, letters, + − ( ) and juxtaposition only."""
    e = expr.replace("−", "-")
    e = re.sub(r"(\d)([a-z(])", r"\1*\2", e)
    if not re.fullmatch(r"[0-9a-z+\-*() ]+", e) or re.search(r"[a-z]{2}", e):
        raise ValueError(expr)
    return eval(e, {"__builtins__": {}}, env)  # noqa: S307 (digits, single letters, + - * ( ) only)


class NetTensor:
    """A tensor of the network as the derivation names it: its name without indices
    (`w⁽²⁾`, `f′(z⁽⁰⁾`), its full shape (a map's [C, H, W], a weight's [F, C, KH, KW], a
    bias's [F]) and which of those indices its names show (a map of one channel leaves c out,
    a single filter f)."""

    def __init__(self, prefix: str, full: tuple, keep: tuple):
        self.prefix = prefix
        self.close = ")" if prefix.startswith("f′(") else ""
        self.full = full
        self.keep = keep
        self.dims = tuple(n for n, k in zip(full, keep) if k)

    def name(self, full_idx) -> str:
        shown = [i for i, k in zip(full_idx, self.keep) if k]
        return self.prefix + (f"[{','.join(map(str, shown))}]" if shown else "") + self.close

    def indices(self):
        """Every entry's full index, row-major."""
        out = [()]
        for n in self.full:
            out = [i + (k,) for i in out for k in range(n)]
        return out

    def names(self) -> list[str]:
        return [self.name(i) for i in self.indices()]

    def matrices(self):
        """The matrices it is printed as: one per leading shown index (a channel; a filter and
        channel), rows and columns its last two; a vector one row; a single value a line of its
        own. [(label, rows, cols, entry name of (r, c))]."""
        rank = len(self.dims)
        entries = self.indices()
        shown = lambda i: tuple(x for x, k in zip(i, self.keep) if k)
        if rank == 0:
            return [(self.prefix + self.close, 0, 0, lambda r, c: self.name(entries[0]))]
        if rank == 1:
            by = {shown(i): self.name(i) for i in entries}
            return [(self.prefix + self.close, 1, self.dims[0], lambda r, c, by=by: by.get((c,)))]
        out = []
        lead_dims = self.dims[:-2]
        leads = [()]
        for n in lead_dims:
            leads = [x + (k,) for x in leads for k in range(n)]
        by = {shown(i): self.name(i) for i in entries}
        for lead in leads:
            label = self.prefix + (f"[{','.join(map(str, lead))}]" if lead else "") + self.close
            out.append((label, self.dims[-2], self.dims[-1], lambda r, c, lead=lead, by=by: by.get(lead + (r, c))))
        return out


class NetLayer:
    """One layer as Given describes it, with the shapes of what it takes and gives."""

    def __init__(self, k: int, kind: str, in_shape: tuple):
        self.k = k
        self.kind = kind  # 'conv', or the activation's name
        self.in_shape = in_shape
        self.out_shape = in_shape
        # conv
        self.F = self.C = self.KH = self.KW = None
        self.stride = self.padding = self.dilation = (1, 1)
        self.bias = False
        self.flip = False
        # activations
        self.act = None
        self.alpha = self.g0 = None
        # dense: inputs and outputs (and `bias`); pools: KH, KW and `stride`
        self.I = self.O = None

    @property
    def conv(self) -> bool:
        return self.kind == "conv"

    @property
    def pool(self) -> bool:
        return self.kind in POOLS

    @property
    def trains(self) -> bool:
        """Whether it has parameters (a convolution or a dense layer)."""
        return self.kind in ("conv", "dense")

    def window(self, c: int, p: int, q: int) -> list:
        """A pool's window of output (c, p, q): its input entries (c, r, s), row-major."""
        (sh, sw) = self.stride
        return [(c, p * sh + i, q * sw + j) for i in range(self.KH) for j in range(self.KW)]

    def covering(self, r: int, s: int) -> list:
        """The windows (p, q) of a pool that cover input position (r, s), p then q in order."""
        _, OH, OW = self.out_shape
        (sh, sw) = self.stride
        return [(p, q) for p in range(OH) for q in range(OW)
                if p * sh <= r < p * sh + self.KH and q * sw <= s < q * sw + self.KW]

    def uncovered(self) -> tuple:
        """The rows and the columns at the end of a pool's input that no window covers."""
        _, H, W = self.in_shape
        _, OH, OW = self.out_shape
        return H - ((OH - 1) * self.stride[0] + self.KH), W - ((OW - 1) * self.stride[1] + self.KW)

    def offset(self, a: int, b: int):
        """The kernel offset at which weight entry (a, b) meets the input (rotated by a true
        convolution); it is its own inverse."""
        return (self.KH - 1 - a, self.KW - 1 - b) if self.flip else (a, b)

    def reads(self):
        """What the forward pass reads: (f, p, q, c, r, s, a, b) for every output entry (f, p, q),
        channel c and kernel offset (i, j) whose input position (r, s) = (p·sh + i·dh − ph,
        q·sw + j·dw − pw) lies inside the input (not on the padding), with the weight entry
        (a, b) that meets it there. Every sum of the layer is a selection of these."""
        C, H, W = self.in_shape
        _, OH, OW = self.out_shape
        (sh, sw), (ph, pw), (dh, dw) = self.stride, self.padding, self.dilation
        out = []
        for f in range(self.F):
            for p in range(OH):
                for q in range(OW):
                    for c in range(C):
                        for i in range(self.KH):
                            for j in range(self.KW):
                                r, s = p * sh + i * dh - ph, q * sw + j * dw - pw
                                if 0 <= r < H and 0 <= s < W:
                                    a, b = self.offset(i, j)
                                    out.append((f, p, q, c, r, s, a, b, i, j))
        return out


class Expect:
    """What one equation of a network's derivation must be. kind: 'sum' (terms: lists of the
    names of their factors; `named`: its numbers come under a line of the names, in the numeric
    form), 'act', 'slope', 'diff' (y − t with the loss's factor), 'upstream' (δ = g), 'loss'
    (pairs of y and t), 'update' (the parameter and its gradient)."""

    __slots__ = ("kind", "terms", "named", "empty", "z", "y", "t", "g", "p", "layer", "pairs", "scale", "optional")

    def __init__(self, kind, **kw):
        self.kind = kind
        self.terms = kw.get("terms")
        self.named = kw.get("named", False)
        self.empty = kw.get("empty")  # the reason an empty sum is 0
        self.z, self.y, self.t, self.g, self.p = (kw.get(k) for k in ("z", "y", "t", "g", "p"))
        self.layer = kw.get("layer")
        self.pairs = kw.get("pairs")
        self.scale = Fraction(1)  # a sum's factor (the mean of a mistake)
        # terms that may be there or not, all of them or only those the line prints (a max pool's
        # window whose printed maximum is reached by entries the printing does not tell apart):
        # the terms in order, each with whether it is optional; None once the line is read
        self.optional = None


class Group:
    """The equations of one tensor's entries in a stage, then its matrices, then the notes that
    follow them."""

    def __init__(self, tensor: NetTensor, expect: dict, notes=(), copy=None):
        self.tensor = tensor
        self.keys = tensor.names()
        self.expect = expect  # entry name → Expect
        # values copied, not computed (a flatten's): entry name → the name whose value it is;
        # the group prints no equations, only its matrices
        self.copy = copy
        self.sym = [] if copy else [k for k in self.keys if not (expect[k].kind == "sum" and not expect[k].terms)]
        self.sym_pos = 0  # symbolic lines printed (the symbolic form)
        self.num_pos = len(self.keys) if copy else 0  # numbers lines printed
        self.mats = tensor.matrices()
        self.mat_pos = 0
        self.notes = set(notes)  # the kinds of notes that may follow its matrices
        self.noted: set[str] = set()
        self.ties: list = []  # a max pool's outputs whose window tied, in order, each noted after the matrix

    def done(self) -> bool:
        return self.num_pos == len(self.keys) and self.mat_pos == len(self.mats)


class Stage:
    """A stage of a step: its heading, the prose and general formula it prints, its groups."""

    def __init__(self, kind: str, header: str, groups: list, layer=None, prose=(), formula=None,
                 optional=False):
        self.kind = kind
        self.header = header
        self.groups = groups
        self.layer = layer
        self.prose = list(prose)  # lines of prose expected, in order
        self.prose_seen = 0
        self.formula = formula  # (its beginning, the check) of the general formula, or None
        self.formula_seen = False
        self.optional = optional
        self.gi = 0  # the group being printed
        self.line = None
        self.slip = None  # the learner's mistake the stage makes (a mistake's ∂L/∂x)
        # the groups worked out when the stage begins, from what the section printed before it
        # (a max pool's backward routes each window's gradient to the entry its forward pass
        # picked)
        self.build = None
        self.built = False
        self.header_prefix = False  # only the heading's beginning is known (checked as a prefix)

    def group(self):
        return self.groups[self.gi] if self.gi < len(self.groups) else None



# ---------------------------------------------------------------------------------------------
# The checker of a network's derivation

HEADER = re.compile(r"(Layer \d+, (?:forward|filter gradient|weight gradient|bias gradient|input gradient|backward)"
                    r"(?:, the mistake)?|Loss|Gradient of the loss(?:, the mistake)?|Update"
                    r"|Batch loss|Batch gradient(?:, the mistake)?): ")
NUMBERS_END = re.compile(rf"(?:^| )[=≈] {NUM}$")
NET_RESULT = re.compile(rf"^(.*) {SIGN} ({NUM})$")
NONFINITE_NOTE = re.compile(rf"(\S+) ([=≈]) ({NUM}) is the first value that is not a finite number; everything "
                            r"computed from it is meaningless, so (training stops after this step|the final loss is "
                            r"meaningless)\.")
DEAD_NOTE = re.compile(r"(.+) < 0: the ReLU of layer (\d+) is off there and f′ = 0 blocks the gradient; (that entry "
                       r"sends|those entries send) nothing back\.")
TIE_NOTE = re.compile(r"(\S+): a tie for the maximum, between (.+); the first in row-major order, (\S+), takes the whole "
                      r"gradient in the backward pass \(as PyTorch's CPU kernel and JAX do\); the others get none from "
                      r"this window\.")
ZERO_NOTE = re.compile(r"(\S+) = 0 everywhere: (?:the network's input gets no gradient|no gradient reaches layer (\d+) "
                       r"or any layer before it, so their parameters get zero gradients in this step)\.")
FIRST_ROSE = re.compile(rf"the loss first rose at step (\d+), from {MNUM} to {MNUM}, after step (\d+)'s update "
                        r"\(η may be too large\)\.")
SKIP_PARA = ("Not written out: each of these {n} steps repeats the computation above with the parameters the step "
             "before left. The summary at the end gives the loss of some of them.")
BIAS_PROSE = "(a sum over the positions, not a mean: the bias is added at every one)"
# a run longer than this many steps writes out its first HEAD_STEPS steps and its last
FULL_STEPS, HEAD_STEPS = 20, 5
# a run of at most this many steps (asked for) lists every step in its summary
SUMMARY_STEPS = 50
# the sections after a network's result
NET_FD_INTRO = ("Each gradient entry next to the central difference (L(w + h) − L(w − h))/(2h), with L computed by "
                "the same forward pass at the nudged parameter or input entry.")
# what an exact derivation adds to the introduction, and its conclusion where nothing differs
EXACT_FD = (" In exact arithmetic this is no approximation: between kinks the loss is a quadratic function of each "
            "parameter (every layer is piecewise linear in it, and the loss squares), whose central difference is its "
            "derivative exactly, so every difference is 0 unless ±h crosses a kink.")
EXACT_FD_ZERO = "Every compared entry agrees exactly: the largest difference is 0."
NET_FD_NONFINITE = re.compile(r"(\S+) is not compared, as these are not finite numbers: (.+)\.")
NET_KINK_NOTE = re.compile(rf"(\S+): (\S+) ([=≈]) ({NUM}) is within reach of (relu|leaky_relu)'s kink at 0 when the "
                           r"parameter or input entry moves by ±h, so the central difference straddles the kink and is "
                           r"not compared\.")
NET_POOL_NOTE = re.compile(rf"(\S+): (\S+) ([=≈]) ({NUM}) is within reach of a change of its max-pool window's maximum "
                           r"when the parameter or input entry moves by ±h, so the central difference straddles the kink "
                           r"and is not compared\.")
NET_MISTAKES_HEAD = "Common mistakes in the backward pass, applied to step 1's numbers"
NET_MISTAKES_INTRO = ("Each recipe below gets one part of the backward pass wrong; everything else is as in step 1, "
                      "from which its forward pass and loss are.")
RECIPES = ("unrotated", "mean", "unsummed", "spread", "flipped", "untransposed")
RECIPE_TITLE = {"unrotated": "∂L/∂x with the filter not rotated", "mean": "the bias gradient averaged",
                "unsummed": "the filters' contributions to ∂L/∂x not summed",
                "spread": "the max-pool gradient spread over the window",
                "flipped": "the softmax cross-entropy gradient taken as t − p",
                "untransposed": "the dense input gradient with W in place of Wᵀ"}
RECIPE_TEXT = {
    "unrotated": "The gradient sent back to a layer's input slides the filter as it stands over the padded δ, where "
                 "the full convolution needs it rotated by 180°: each δ meets the filter entry at the mirrored place. "
                 "Every layer before it then learns from a wrong gradient.",
    "mean": "The bias gradient is taken as the mean of the layer's δ where it is their sum: the bias is added at every "
            "position, so every position's δ counts in full. The bias moves too little.",
    "unsummed": "In a layer with several filters, every filter sends a part of ∂L/∂x back to each input channel, and "
                "the parts add up; here only the last filter's part is kept, as when a loop over the filters assigns "
                "dx = part where dx += part belongs.",
    "spread": "A max pool's gradient is shared out evenly over each window, as an average pool's is, where it belongs "
              "to the window's maximum alone: the entries that did not reach the output are credited with moving it.",
    "flipped": "The gradient of the softmax cross-entropy is taken as t − p (target minus prediction, the \"error\") "
               "where it is p − t, and the update still subtracts it: every parameter moves uphill.",
    "untransposed": "A dense layer's input gradient multiplies δ by the weight W where its transpose Wᵀ belongs: input i "
                    "should collect the gradients through column i of W, the weights it feeds; a square weight lets the "
                    "wrong product through without a shape error.",
}
RECIPE_TITLE["summed"] = "the batch gradient summed while the loss is the mean"
RECIPE_TEXT["summed"] = ("The examples' gradients are added up where the batch's loss is their mean, so the 1/N of "
                         "the mean is lost: every parameter moves N times as far as the mean's gradient takes it, as "
                         "if η were N times larger. Each example's own gradient is right.")
RECIPE_ABSENT = {
    "unrotated": "no convolution after the first passes a gradient back to a layer before it",
    "mean": "no convolution has a bias (or its output is a single entry, where mean and sum agree)",
    "unsummed": "no convolution after the first has more than one filter",
    "spread": "no max pool after the first layer has a window of more than one entry",
    "flipped": "the loss is not a softmax cross-entropy",
    "untransposed": "no dense layer after the first has a square weight, where W and Wᵀ have the same shape",
    "summed": "the batch loss is a sum (or the batch has one example), where the sum of the gradients is right",
}
MISTAKE_NONFINITE = re.compile(rf"(\S+) ([=≈]) ({NUM}) is the first value that is not a finite number; everything "
                               r"computed from it is meaningless, (?:(so )?so is everything this recipe computes from "
                               r"it|so this recipe's results cannot be compared)\.")


WORKED = ("max", "exp", "ratio", "ce", "logp", "celog")


def indent_of(raw: str) -> int:
    return len(raw) - len(raw.lstrip(" "))


class NetChecker(Base):
    """The derivation of a network (`Training a network of …`): Given with its layers, the
    output sizes, per step every layer's forward pass, the loss, every layer's backward pass in
    reverse and the updates, the result. Each stage is read as its groups: the equations of one
    tensor's entries (every entry, in order; in the symbolic form all symbolic lines first), the
    matrices of that tensor, the notes that follow. What each equation must be (the terms of a
    sum, the operands of an activation, a difference or an update) is worked out here from
    Given alone (`Expect`); nothing is taken from the text it checks but the numbers."""

    TITLE = "Training a network of "
    UNWRAPPED = Base.UNWRAPPED + ("layer ", "Layer ")  # the output sizes, the stages' headings

    def __init__(self, fname: str, lines: list[tuple[int, str]], report, pedantic: bool,
                 allow_trailing: bool = False):
        super().__init__(fname, lines, report, pedantic, allow_trailing)
        self.nlayers = None
        self.marks = False  # whether names show their layer
        self.title = None  # ('all', n) | ('stopped', taken, asked) | ('pass',)
        self.layers: list[NetLayer] = []
        self.in_shape = None
        self.X: dict[str, Val] = {}
        self.P0: dict[str, Val] = {}  # the parameters Given
        self.cur: dict[str, Val] = {}  # the parameters the section uses
        self.new: dict[str, Val] = {}  # the parameters this step's updates print
        self.T: dict[str, Val] = {}
        self.G: dict[str, Val] = {}
        self.objective = None  # 'loss' | 'grad'
        self.loss = None
        self.lscale = self.gscale = None
        self.eta: Val | None = None
        self.has_lr = None
        self.gstate = "start"  # where Given is: start, x, layers, objective, lr, loss, sizes
        self.gq: list = []  # Given: the matrices expected next, (tensor, matrix, table)
        self.size_lines = 0
        self.chain_seen = False
        self.input_grad = None  # whether ∂L/∂x of the network's input is printed
        self.stages: list[Stage] = []
        self.si = 0
        self.stage: Stage | None = None
        self.history: list[dict] = []  # per step written out: k, L, params (start), new, line
        self.sec_nonfinite = None  # (name, text, line) of the section's first value not finite
        self.sec_note = None  # the section's note on it
        self.after_L: Val | None = None
        self.after_state = None  # the result: None, 'forward', 'final', 'trend', 'summary', 'end'
        self.fq: list = []  # the final parameters' matrices expected next
        self.skipped: list[tuple[int, int, int]] = []
        self.form = None  # 'numeric' | 'symbolic'
        self.ended = False
        self.first_rose = None
        self.result_k = None
        self.summary_seen = False
        self.trend_seen = False
        # the finite-difference check
        self.fd_seen = self.fd_intro = False
        self.fd_steps: dict[int, dict] = {}
        self.fd_cur = None
        self.fd_largest = self.fd_none = None
        # the mistakes
        self.mistakes_seen = self.m_intro = self.m_table = False
        self.made: list[str] = []
        self.absent: list[str] = []
        self.absent_seen: list[str] = []
        self.mistakes: dict[int, dict] = {}
        self.m_k = self.m_recipe = self.m_phase = self.m_note = None
        self.base_sv: dict[str, Val] = {}
        self.m_back_sv: dict[str, Val] = {}
        self.picks: dict[str, str] = {}  # each max pool output's picked entry, in this section
        self.tied: dict[str, list] = {}  # each max pool output whose window tied: the tied entries
        self.m_broken = False  # a mistake whose backward pass misses a stage: the rest is not checked
        self.probabilities = False
        self.softmax_noted = None

    # -- names ------------------------------------------------------------------------------

    def tname(self, base: str, layer) -> str:
        """A tensor's name without indices: `z⁽⁰⁾`, `x`, `f′(z⁽⁰⁾`."""
        return base + (f"⁽{sup(layer)}⁾" if self.marks and base not in UNLAYERED else "")

    def tensor(self, base: str, layer, shape) -> NetTensor:
        """A map [C, H, W] (its channel left out of the names when it has one), or a vector [N]
        (its index always shown)."""
        if len(shape) == 1:
            return NetTensor(self.tname(base, layer), tuple(shape), (True,))
        return NetTensor(self.tname(base, layer), tuple(shape), (shape[0] > 1, True, True))

    def weight(self, base: str, L: NetLayer) -> NetTensor:
        """A convolution's weight [F, C, KH, KW] (one filter's or channel's index left out), or
        a dense layer's [O, I]."""
        if L.kind == "dense":
            return NetTensor(self.tname(base, L.k), (L.O, L.I), (True, True))
        return NetTensor(self.tname(base, L.k), (L.F, L.C, L.KH, L.KW), (L.F > 1, L.C > 1, True, True))

    def bias_t(self, base: str, L: NetLayer) -> NetTensor:
        if L.kind == "dense":
            return NetTensor(self.tname(base, L.k), (L.O,), (True,))
        return NetTensor(self.tname(base, L.k), (L.F,), (L.F > 1,))

    def junction(self, k: int):
        """(name, layer, shape) of the tensor layer k takes; k = the number of layers: the
        network's output (a convolution's and a dense layer's is z, a flatten's v, any other's
        y)."""
        if k == 0:
            return "x", 0, self.in_shape
        L = self.layers[k - 1]
        return ("z" if L.trains else "v" if L.kind == "flatten" else "y"), k - 1, L.out_shape

    def param_tensors(self):
        """Every parameter tensor with its gradient's, in order: (layer, W, ∂L/∂W) then its
        (b, ∂L/∂b)."""
        out = []
        for L in self.layers:
            if L.trains:
                out.append((L, self.weight("w", L), self.weight("∂L/∂w", L)))
                if L.bias:
                    out.append((L, self.bias_t("b", L), self.bias_t("∂L/∂b", L)))
        return out

    def lookup(self, sym: str) -> Val | None:
        if sym == "η":
            return self.eta
        parsed = parse_name(sym)
        if parsed is not None:
            base = parsed[0]
            if base == "x" and sym in self.X:
                return self.X[sym]
            if base == "t":
                return self.T.get(sym)
            if base == "g":
                return self.G.get(sym)
            if base in ("w", "b"):
                return self.cur.get(sym)
        rec = self.sv.get(sym)
        if rec is None and self.ctx == "mistake" and self.m_phase != "forward":
            # a mistake's backward pass refers to step 1's values where it prints none of its own
            rec = self.base_sv.get(sym)
        return rec

    def update_done(self, key) -> bool:
        return key.endswith(" ←") and key[:-2] in self.new

    def check_place(self, ln, key: str) -> bool:
        return True  # the groups of a stage decide where an equation belongs (order_of)

    def expected_terms(self, lhs: str) -> list[str]:
        g = self.stage.group() if self.stage else None
        exp = g.expect.get(lhs) if g else None
        if exp is None or exp.kind != "sum":
            return []
        return ["·".join(t) for t in exp.terms]

    def saw_value(self, key: str, v: Val):
        super().saw_value(key, v)
        if not finite(v.value) and self.sec_nonfinite is None and self.ctx in ("step", "after"):
            self.sec_nonfinite = (key, v.text, v.line)

    def indent(self, ln, raw, want: int, what: str):
        self.count["structure"] += 1
        if indent_of(raw) != want:
            self.fail(ln, f"{what}: indented by {indent_of(raw)} spaces, not {want}", want, indent_of(raw))

    # -- main loop --------------------------------------------------------------------------

    def run(self):
        self.lines = self.join_wrapped(self.lines)
        i, n = 0, len(self.lines)
        while i < n:
            ln, raw = self.lines[i]
            text = raw.strip()
            if self.ctx == "tail" and text and self.allow_trailing and not self.known_after(text):
                rest = [t for _, t in self.lines[i:] if t.strip()]
                self.note(ln, f"{len(rest)} line(s) after the end of the derivation are not checked")
                break
            try:
                i = self.dispatch(i, ln, raw, text)
            except (ValueError, ExprError, KeyError, IndexError, TypeError, ZeroDivisionError) as e:
                self.fail(ln, f"could not check this line ({type(e).__name__}: {e}): {text!r}")
                i += 1
            upto = self.lines[i][0] if i < n else math.inf
            for rl in [r for r in self.reasons if r < upto]:
                self.fail(rl, "an f64-rounding reason on a line whose equation it does not belong to")
                del self.reasons[rl]
        self.finish()

    # The sections that may follow the result, each after a blank line: its heading → its context
    AFTER_SECTIONS: dict[str, str] = {"Check: finite differences": "fd", NET_MISTAKES_HEAD: "mistakes_intro"}

    def known_after(self, text) -> bool:
        return text in self.AFTER_SECTIONS or (self.mistakes_seen and bool(re.fullmatch(r"Mistake \d+: .+", text)))

    def dispatch(self, i, ln, raw, text) -> int:
        if text == "":
            self.end_section(ln)
            return i + 1
        if i == 0:
            self.title_line(ln, raw, text)
            return i + 1
        if self.ctx == "tail":
            m = re.fullmatch(r"Mistake (\d+): (.+)", text)
            if text == "Check: finite differences":
                self.indent(ln, raw, 0, "the finite-difference check")
                self.begin_fd(ln)
            elif text == NET_MISTAKES_HEAD:
                self.indent(ln, raw, 0, "the mistakes section")
                self.begin_mistakes(ln)
            elif m and self.mistakes_seen:
                self.indent(ln, raw, 0, "a mistake's heading")
                self.begin_net_mistake(ln, int(m.group(1)), m.group(2))
            else:
                self.fail(ln, f"line not understood after the end of the derivation (an unknown section is not "
                              f"checked): {text!r}")
            return i + 1
        if self.ctx == "fd":
            return self.fd_line(i, ln, raw, text)
        if self.ctx == "mistakes_intro":
            return self.mistakes_intro_line(i, ln, raw, text)
        if self.ctx == "mistake":
            return self.net_mistake_line(i, ln, raw, text)
        # section headings
        if indent_of(raw) == 0:
            return self.heading(i, ln, raw, text)
        if self.ctx == "given":
            return self.given_line(i, ln, raw, text)
        if self.ctx == "sizes":
            self.size_line(ln, raw, text)
            return i + 1
        if self.ctx == "skipped":
            a, b, _ = self.skipped[-1]
            self.indent(ln, raw, 2, "the steps not written out")
            self.count["structure"] += 1
            if text != SKIP_PARA.format(n=b - a + 1):
                self.fail(ln, "the paragraph on the steps not written out", SKIP_PARA.format(n=b - a + 1), text)
            return i + 1
        if self.ctx in ("step", "after"):
            return self.section_line(i, ln, raw, text)
        self.fail(ln, f"line not understood (in section {self.ctx}): {text!r}")
        return i + 1

    def heading(self, i, ln, raw, text) -> int:
        """`Given`, `Output sizes: …`, `Step k`, `Steps a to b`, `Result …`."""
        self.count["structure"] += 1
        if text == "Given":
            if self.ctx != "given" or self.gstate != "start":
                self.fail(ln, "`Given` out of place")
            self.gstate = "x"
            return i + 1
        if text == "Output sizes" or text.startswith("Output sizes: "):
            want = self.sizes_heading()
            if text != want:
                self.fail(ln, "the heading of the output sizes (the rule of each kind of layer that has one, in order)",
                          want, text)
            self.end_given(ln)
            self.ctx = "sizes"
            return i + 1
        m = re.fullmatch(r"Step (\d+)", text)
        if m:
            self.begin_step(ln, int(m.group(1)))
            return i + 1
        m = re.fullmatch(r"Steps (\d+) to (\d+)", text)
        if m:
            self.begin_skip(ln, int(m.group(1)), int(m.group(2)))
            return i + 1
        m = re.fullmatch(r"Result after (\d+) (steps?)|Result: the gradients of one pass; nothing was updated", text)
        if m:
            self.begin_result(ln, m)
            return i + 1
        self.fail(ln, f"line not understood (a heading is expected here): {text!r}")
        return i + 1

    def sizes_heading(self) -> str:
        """`Output sizes: <rule>` of the kinds of layer whose output size has a rule, in their
        first layer's order: a convolution's alone, or each `… for a conv`, `… for a pool`."""
        rules = []
        for L in self.layers:
            rule = (SIZE_RULES["conv"], "a conv") if L.conv else (SIZE_RULES["pool"], "a pool") if L.pool else None
            if rule and rule not in rules:
                rules.append(rule)
        if not rules:
            return "Output sizes"
        if rules == [(SIZE_RULES["conv"], "a conv")]:
            return f"Output sizes: {rules[0][0]}"
        return "Output sizes: " + ", ".join(f"{rule} for {of}" for rule, of in rules)

    def end_section(self, ln):
        """A blank line: the end of a section (every section after the title starts after one)."""
        if self.ctx == "given":
            if self.gstate not in ("start", "sizes"):
                self.fail(ln, "Given ends before the loss")
        elif self.ctx == "sizes":
            self.end_sizes(ln)
        elif self.ctx == "step":
            self.close_step(ln)
        elif self.ctx == "after":
            self.end_result(ln)
            self.ctx = "tail"
        elif self.ctx == "pass":
            self.ended = True
            self.ctx = "tail"
        elif self.ctx == "fd":
            self.end_fd(ln)
            self.ctx = "tail"
        elif self.ctx == "mistakes_intro":
            self.ctx = "tail"
        elif self.ctx == "mistake":
            self.end_net_mistake(ln)

    # -- the title --------------------------------------------------------------------------

    def title_line(self, ln, raw, text):
        self.count["structure"] += 1
        m = re.fullmatch(r"Training a network of (one layer|(\d+) layers): (.*)", text)
        if not m:
            self.fail(ln, f"title not understood: {text!r}")
            return
        n = 1 if m.group(1) == "one layer" else int(m.group(2))
        if m.group(2) and n < 2:
            self.fail(ln, "title: a network of one layer says so in words", "one layer", m.group(1))
        self.nlayers, self.marks = n, n > 1
        what = m.group(3)
        mm = re.fullmatch(r"(\d+) (steps?) of gradient descent", what)
        if mm:
            k = int(mm.group(1))
            if (mm.group(2) == "step") != (k == 1) or k == 0:
                self.fail(ln, "title: singular/plural mismatch", f"{k} step{'s' if k != 1 else ''}", mm.group(0))
            self.title = ("all", k)
            return
        mm = re.fullmatch(r"(\d+) of (\d+) steps of gradient descent \(then a value stopped being finite\)", what)
        if mm:
            k, asked = int(mm.group(1)), int(mm.group(2))
            if not 1 <= k < asked:
                self.fail(ln, "title: the steps taken must be fewer than the ones asked for", f"< {asked}", k)
            self.title = ("stopped", k, asked)
            return
        mm = OUTGROWN_TITLE.fullmatch(what)
        if mm and EXACT:
            # (its note and its steps: exact_growth)
            self.title = ("outgrown", int(mm.group(1)), int(mm.group(2)))
            return
        if what == "one pass of backpropagation, no update (no learning rate)":
            self.title = ("pass",)
            return
        self.fail(ln, f"title not understood: {text!r}")

    def asked(self):
        """The steps asked for, and the steps taken, as the title says."""
        if self.title is None:
            return None, None
        if self.title[0] == "all":
            return self.title[1], self.title[1]
        if self.title[0] in ("stopped", "outgrown"):
            return self.title[2], self.title[1]
        return 1, 1

    # -- Given ------------------------------------------------------------------------------

    def given_line(self, i, ln, raw, text) -> int:
        m = re.fullmatch(r"(\S+) (=|≈) \[(.*) \]", text) or re.fullmatch(rf"(\S+) (=|≈) ({NUM})", text)
        if m and parse_name(m.group(1)) is not None:
            return self.given_matrix(i, ln, raw, m)
        self.indent(ln, raw, 2, "a line of Given")
        if self.gq:
            self.fail(ln, f"Given: the matrices of {self.gq[0][0].prefix} are not all printed",
                      ", ".join(mat[0] for _, mat, _ in self.gq), "none")
            self.gq = []
        m = re.fullmatch(r"x \(input, (\d+)×(\d+)×(\d+)\)", text) or re.fullmatch(r"x \(input, (\d+)\)", text)
        if m:
            self.count["structure"] += 1
            if self.gstate != "x":
                self.fail(ln, "the input is given first")
            self.in_shape = tuple(int(g) for g in m.groups())
            self.expect_matrices(self.tensor("x", 0, self.in_shape), self.X)
            self.gstate = "layers"
            return i + 1
        m = re.fullmatch(r"layer (\d+): (.*)", text)
        if m:
            self.given_layer(ln, int(m.group(1)), m.group(2))
            return i + 1
        m = re.fullmatch(r"(t \(target|t \(target probabilities|g \(upstream gradient of the output), "
                         r"(\d+)×(\d+)×(\d+)\)", text) or \
            re.fullmatch(r"(t \(target|t \(target probabilities|g \(upstream gradient of the output), (\d+)\)", text)
        if m:
            self.count["structure"] += 1
            if self.gstate != "layers" or not self.layers:
                self.fail(ln, "the target (or the upstream gradient) comes after the layers")
            self.probabilities = m.group(1).endswith("probabilities")
            shape = tuple(int(g) for g in m.groups()[1:])
            out = self.junction(len(self.layers))[2] if self.layers else None
            if shape != out:
                self.fail(ln, "the shape of the target (or the upstream gradient) is not the network's output's",
                          "×".join(map(str, out)) if out else None, "×".join(map(str, shape)))
            self.objective = "loss" if text.startswith("t") else "grad"
            self.expect_matrices(self.tensor(text[0], 0, shape), self.T if self.objective == "loss" else self.G)
            self.gstate = "lr"
            return i + 1
        m = re.fullmatch(rf"η \(learning rate\) ([=≈]) ({NUM})", text)
        if m or text == "no learning rate: one pass, its gradients computed, nothing updated":
            self.count["structure"] += 1
            if self.gstate != "lr":
                self.fail(ln, "the learning rate comes after the target (or the upstream gradient)")
            self.has_lr = bool(m)
            if m:
                self.eta = Val(m.group(2), m.group(1) == "≈", ln)
                self.number(ln, "η (learning rate)", m.group(2), m.group(1) == "=")
                if not (finite(self.eta.value) and self.eta.value > 0):
                    self.fail(ln, "η must be a positive number", "> 0", m.group(2))
            if (self.title and self.title[0] == "pass") == self.has_lr:
                self.fail(ln, "the title and the learning rate disagree: without one, one pass and no update")
            self.gstate = "loss"
            return i + 1
        if text.startswith("loss: "):
            self.given_loss(ln, text[len("loss: "):])
            self.gstate = "sizes"
            return i + 1
        if text.startswith("Note: ") and self.gstate == "sizes" and self.loss == "softmax":
            self.softmax_note(ln, text[len("Note: "):])
            return i + 1
        self.fail(ln, f"line not understood in Given: {text!r}")
        return i + 1

    def expect_matrices(self, tensor: NetTensor, table: dict):
        self.gq = [(tensor, mat, table) for mat in tensor.matrices()]

    def given_matrix(self, i, ln, raw, m) -> int:
        label, sign, first = m.group(1), m.group(2), m.group(3)
        self.indent(ln, raw, 4, f"matrix {label}")
        if not self.gq:
            self.fail(ln, f"Given: a matrix {label} where none is expected")
            return i + 1
        tensor, (want, rows_n, cols_n, name_of), table = self.gq.pop(0)
        self.count["structure"] += 1
        if label != want:
            self.fail(ln, "Given: not the matrix expected here", want, label)
        if rows_n == 0:  # a single value, `b⁽⁰⁾ = v`
            self.count["matrices"] += 1
            cells, rows = [[first]], [(ln, raw, first)]
            j = i + 1
        else:
            rows, cells, vals, j = self.read_matrix(i, label, sign, first)
            if vals is None:
                return j
            if (len(cells), len(cells[0])) != (rows_n, cols_n):
                self.fail(ln, f"matrix {label}: its shape is not the one Given describes", f"{rows_n}×{cols_n}",
                          f"{len(cells)}×{len(cells[0])}")
                return j
        # which entries of a matrix marked `≈` are rounded cannot be told from the text: any
        # printing of one within its rounding is one of it (see the single layer's Given)
        for r, row in enumerate(cells):
            for c, cell in enumerate(row):
                name = name_of(r, c)
                v = Val(cell, MAYBE if sign == "≈" else False, rows[r][0])
                self.number(rows[r][0], f"matrix {label}", cell, None if sign == "≈" else True)
                table[name] = v
                self.saw_value(name, v)
        return j

    def given_layer(self, ln, k, desc):
        self.count["structure"] += 1
        if self.gstate != "layers" or self.in_shape is None:
            self.fail(ln, "the layers are given after the input, before the target")
        if k != len(self.layers):
            self.fail(ln, "layers are not numbered from 0 in order", len(self.layers), k)
        in_shape = self.junction(len(self.layers))[2] if self.in_shape else (1, 1, 1)
        m = CONV_DESC.fullmatch(desc)
        if m:
            L = NetLayer(len(self.layers), "conv", in_shape)
            L.F, L.KH, L.KW, L.C = int(m.group(1)), int(m.group(3)), int(m.group(4)), int(m.group(5))
            for got, n, one, many in ((m.group(2), L.F, "filter", "filters"), (m.group(6), L.C, "channel", "channels")):
                if got != (one if n == 1 else many):
                    self.fail(ln, f"layer {k}: singular/plural mismatch", one if n == 1 else many, got)

            def pair(whole, a, b, what):
                if a is not None:
                    if a == b:
                        self.fail(ln, f"layer {k}: a {what} with equal rows and columns is written as one number", a, whole)
                    return int(a), int(b)
                return int(whole), int(whole)
            L.stride = pair(m.group(7), m.group(8), m.group(9), "stride")
            L.padding = pair(m.group(10), m.group(11), m.group(12), "padding")
            L.dilation = pair(m.group(13), m.group(14), m.group(15), "dilation")
            L.bias = m.group(16) != "no bias"
            L.flip = m.group(17).startswith("convolution")
            if min(L.stride + L.dilation) < 1 or min(L.F, L.C, L.KH, L.KW) < 1:
                self.fail(ln, f"layer {k}: a stride, a dilation and every size is at least 1")
            C, H, W = in_shape
            if L.C != C:
                self.fail(ln, f"layer {k}: its filters are on {L.C} channels, but {C} reach it", C, L.C)
            reach = (L.dilation[0] * (L.KH - 1) + 1, L.dilation[1] * (L.KW - 1) + 1)
            span = (H + 2 * L.padding[0] - reach[0], W + 2 * L.padding[1] - reach[1])
            if min(span) < 0:
                self.fail(ln, f"layer {k}: the filter does not fit the padded input")
                span = (max(span[0], 0), max(span[1], 0))
            L.out_shape = (L.F, span[0] // L.stride[0] + 1, span[1] // L.stride[1] + 1)
            self.layers.append(L)
            self.expect_matrices(self.weight("w", L), self.P0)
            if L.bias:
                self.gq += [(self.bias_t("b", L), mat, self.P0) for mat in self.bias_t("b", L).matrices()]
            return
        if self.given_layer2(ln, k, desc, in_shape):
            return
        got = self.parse_activation(ln, desc)
        L = NetLayer(len(self.layers), got[0] if got else "relu", in_shape)
        if got:
            L.act, L.alpha, L.g0 = got
            if L.act == "linear":
                self.fail(ln, f"layer {k}: a linear activation is no layer of a network")
        self.layers.append(L)

    def given_layer2(self, ln, k, desc, in_shape) -> bool:
        """A pool, a flatten or a dense layer as Given describes it, checked against what reaches
        it; whether desc is one."""
        def pair(whole, a, b, what):
            if a is not None:
                if a == b:
                    self.fail(ln, f"layer {k}: a {what} with equal rows and columns is written as one number", a, whole)
                return int(a), int(b)
            return int(whole), int(whole)
        m = POOL_DESC.fullmatch(desc)
        if m:
            L = NetLayer(len(self.layers), m.group(1), in_shape)
            L.KH, L.KW = int(m.group(2)), int(m.group(3))
            L.stride = pair(m.group(4), m.group(5), m.group(6), "stride")
            C = int(m.group(8))
            self.count["structure"] += 1
            if m.group(9) != ("channel" if C == 1 else "channels"):
                self.fail(ln, f"layer {k}: singular/plural mismatch", "channel" if C == 1 else "channels", m.group(9))
            if m.group(10) != POOL_WHAT[L.kind]:
                self.fail(ln, f"layer {k}: what a {L.kind} window gives", POOL_WHAT[L.kind], m.group(10))
            if bool(m.group(7)) != (L.stride[0] < L.KH or L.stride[1] < L.KW):
                self.fail(ln, f"layer {k}: `overlapping` is said exactly where the stride is less than the window",
                          "overlapping" if not m.group(7) else "not overlapping", m.group(7) or "nothing")
            if len(in_shape) != 3:
                self.fail(ln, f"layer {k}: a pool takes a map, but a vector of {in_shape[0]} reaches it")
                in_shape = (C, L.KH, L.KW)
            cc, H, W = in_shape
            if C != cc:
                self.fail(ln, f"layer {k}: the pool is on {C} channels, but {cc} reach it", cc, C)
            if min(L.stride) < 1 or min(L.KH, L.KW) < 1 or L.KH > H or L.KW > W:
                self.fail(ln, f"layer {k}: the window does not fit the input ({H}×{W})")
            L.in_shape = (cc, H, W)
            L.out_shape = (cc, max(H - L.KH, 0) // L.stride[0] + 1, max(W - L.KW, 0) // L.stride[1] + 1)
            self.layers.append(L)
            return True
        m = FLATTEN_DESC.fullmatch(desc)
        if m:
            L = NetLayer(len(self.layers), "flatten", in_shape)
            C, H, W, N = (int(g) for g in m.groups())
            self.count["structure"] += 1
            if tuple(in_shape) != (C, H, W):
                self.fail(ln, f"layer {k}: flatten takes the {shape_text(in_shape)} that reaches it",
                          shape_text(in_shape), f"{C}×{H}×{W}")
            if N != C * H * W:
                self.fail(ln, f"layer {k}: flatten gives C·H·W entries", C * H * W, N)
            L.out_shape = (C * H * W,) if len(in_shape) != 3 else (in_shape[0] * in_shape[1] * in_shape[2],)
            self.layers.append(L)
            return True
        m = DENSE_DESC.fullmatch(desc)
        if m:
            L = NetLayer(len(self.layers), "dense", in_shape)
            L.I, L.O = int(m.group(1)), int(m.group(3))
            L.bias = m.group(7) != "no bias"
            self.count["structure"] += 1
            for n, word, one in ((L.I, m.group(2), "input"), (L.O, m.group(4), "output")):
                if word != (one if n == 1 else one + "s"):
                    self.fail(ln, f"layer {k}: singular/plural mismatch", one if n == 1 else one + "s", word)
            if (int(m.group(5)), int(m.group(6))) != (L.O, L.I):
                self.fail(ln, f"layer {k}: a dense layer's weight is O×I (one row per output)", f"{L.O}×{L.I}",
                          f"{m.group(5)}×{m.group(6)}")
            if tuple(in_shape) != (L.I,):
                self.fail(ln, f"layer {k}: a dense layer of {L.I} inputs, but {shape_text(in_shape)} reaches it",
                          L.I, shape_text(in_shape))
            L.in_shape = (L.I,)
            L.out_shape = (L.O,)
            self.layers.append(L)
            self.expect_matrices(self.weight("w", L), self.P0)
            if L.bias:
                self.gq += [(self.bias_t("b", L), mat, self.P0) for mat in self.bias_t("b", L).matrices()]
            return True
        return False

    def loss_name(self):
        """The network's output as the loss names it: `z⁽²⁾`."""
        base, layer, _ = self.junction(len(self.layers))
        return self.tname(base, layer)

    def given_loss(self, ln, s):
        self.count["structure"] += 1
        if self.gstate != "loss":
            self.fail(ln, "the loss comes after the learning rate")
        y = re.escape(self.loss_name())
        self.softmax_noted = None
        if s.startswith("softmax_cross_entropy") or getattr(self, "probabilities", False):
            z = self.loss_name()
            want = (f"softmax_cross_entropy, p[k] = exp({z}[k])/Σ_j exp({z}[j]) and L = −Σ_k t[k]·log p[k], so "
                    f"∂L/∂{z} = p − t")
            if s != want:
                self.fail(ln, "the softmax cross-entropy's line", want, s)
            if not getattr(self, "probabilities", False):
                self.fail(ln, "a softmax cross-entropy's target is given as `t (target probabilities, …)`")
            self.loss = "softmax"
            self.lscale = self.gscale = Fraction(1)
            self.probability_vector(ln)
            return
        if self.objective == "grad":
            want = f"L = Σ g ⊙ {self.loss_name()}, whose gradient is the given ∂L/∂{self.loss_name()} = g (as PyTorch's out.backward(g))"
            if s != want:
                self.fail(ln, "the loss of an upstream gradient", want, s)
            self.lscale = self.gscale = Fraction(1)
            return
        m = re.fullmatch(rf"(half_sse|sse|mse), L = (?:(½|\(\d+/\d+\)|\d+)·)?Σ\({y} − t\)², so ∂L/∂{y} = "
                         rf"(?:(½|\(\d+/\d+\)|\d+)·\({y} − t\)|{y} − t)", s)
        if not m:
            self.fail(ln, f"loss line not understood: {s!r}")
            self.lscale = self.gscale = Fraction(1)
            return
        self.loss = m.group(1)
        self.lscale = parse_scale(m.group(2)) if m.group(2) else Fraction(1)
        self.gscale = parse_scale(m.group(3)) if m.group(3) else Fraction(1)
        self.lscale_text, self.gscale_text = m.group(2), m.group(3)
        shape = self.junction(len(self.layers))[2]
        n = math.prod(shape)
        want = {"half_sse": (Fraction(1, 2), Fraction(1)), "sse": (Fraction(1), Fraction(2)),
                "mse": (Fraction(1, n), Fraction(2, n))}[self.loss]
        self.count["equations"] += 1
        if (self.lscale, self.gscale) != want:
            self.fail(ln, f"{self.loss}: scales of L and ∂L/∂y are wrong",
                      f"{show(want[0])} and {show(want[1])}", f"{show(self.lscale)} and {show(self.gscale)}")

    def probability_vector(self, ln):
        """A softmax cross-entropy's target: every entry at least 0, summing to 1 (within their
        printing and 10⁻⁹, as the spec allows)."""
        vals = list(self.T.values())
        self.count["operands"] += len(vals)
        if not vals or not all(finite(v.value) for v in vals):
            self.fail(ln, "a softmax cross-entropy's target is a probability vector of finite entries")
            return
        if any(v.value < 0 for v in vals):
            self.fail(ln, "a softmax cross-entropy's target has no negative entry",
                      "≥ 0", next(v.text for v in vals if v.value < 0))
        total = sum(v.value for v in vals)
        slack = sum(radius(v.text, v.value, v.rounded) for v in vals) + Fraction(1, 10**9)
        if abs(total - 1) > slack:
            self.fail(ln, "a softmax cross-entropy's target sums to 1", 1, show(total))

    def softmax_note(self, ln, s):
        """Given's note on a target a softmax never reaches: there exactly when an entry of t is
        0, one-hot when all but one are."""
        self.count["notes"] += 1
        zeros = sum(1 for v in self.T.values() if v.value == 0)
        want = None
        if zeros:
            want = SOFTMAX_NOTE + (SOFTMAX_ONE_HOT if zeros + 1 == len(self.T) else SOFTMAX_SOFT)
        if self.softmax_noted is not None:
            self.fail(ln, "the note on the softmax's target twice")
        self.softmax_noted = ln
        if want is None:
            self.fail(ln, "a note that the target is never reached, but no entry of t is 0", "no note", s)
        elif s != want:
            self.fail(ln, "the note on a target the softmax never reaches exactly", want, s)

    def end_given(self, ln):
        if self.loss == "softmax" and getattr(self, "softmax_noted", None) is None and \
                any(v.value == 0 for v in self.T.values()):
            self.count["notes"] += 1
            self.fail(ln, "an entry of the softmax's target is 0, which no softmax reaches, but no note says so")
        if self.gq:
            self.fail(ln, f"Given: the matrices {', '.join(mat[0] for _, mat, _ in self.gq)} are not printed")
            self.gq = []
        missing = [what for what, ok in (("the input", self.in_shape), ("a layer", self.layers),
                                         ("the target or the upstream gradient", self.objective),
                                         ("the learning rate (or that there is none)", self.has_lr is not None),
                                         ("the loss", self.lscale is not None)) if not ok]
        if missing:
            raise ValueError(f"Given lacks {', '.join(missing)}")
        self.count["structure"] += 1
        if len(self.layers) != self.nlayers:
            self.fail(ln, "the title's count of layers differs from Given", len(self.layers), self.nlayers)
        if not any(L.trains for L in self.layers):
            self.fail(ln, "a network with nothing to train")
        self.cur = dict(self.P0)
        if self.objective == "grad":
            self.input_grad = True

    # -- output sizes -----------------------------------------------------------------------

    def size_line(self, ln, raw, text):
        self.indent(ln, raw, 2, "an output size")
        if text.startswith("x "):
            self.chain_line(ln, text)
            return
        m = re.fullmatch(r"layer (\d+) \((\S+)\): (.*)", text)
        self.count["structure"] += 1
        if not m:
            self.fail(ln, f"output-size line not understood: {text!r}")
            return
        k = int(m.group(1))
        if k != self.size_lines or k >= len(self.layers):
            self.fail(ln, "output sizes: not the next layer", self.size_lines, k)
            return
        self.size_lines += 1
        L = self.layers[k]
        if m.group(2) != L.kind:
            self.fail(ln, f"output sizes: layer {k} is a {L.kind}", L.kind, m.group(2))
        shape_text = "×".join(map(str, L.out_shape))
        if L.pool:
            self.pool_size(ln, L, m.group(3))
            return
        if L.kind == "flatten":
            mm = re.fullmatch(r"N = (\d+)·(\d+)·(\d+) = (\d+)", m.group(3))
            if not mm:
                self.fail(ln, f"output sizes: a flatten's line is `N = C·H·W = N`: {m.group(3)!r}")
                return
            for got, want, what in zip(mm.groups()[:3], L.in_shape, ("C", "H", "W")):
                self.count["operands"] += 1
                if int(got) != want:
                    self.fail(ln, f"N: the operand {what} differs from the map that reaches layer {k}", want, got)
            self.judge(ln, "N", "·".join(mm.groups()[:3]), [False] * 3, "=", mm.group(4))
            if int(mm.group(4)) != L.out_shape[0]:
                self.fail(ln, f"N: not the length of layer {k}'s vector", L.out_shape[0], mm.group(4))
            return
        if L.kind == "dense":
            want = f"{L.O}×{L.I} weight: {L.I} → {L.O}"
            if m.group(3) != want:
                self.fail(ln, f"output sizes: layer {k}, a dense layer", want, m.group(3))
            return
        if not L.conv:
            if m.group(3) != f"the shape of its input, {shape_text}":
                self.fail(ln, f"output sizes: layer {k} keeps the shape of its input",
                          f"the shape of its input, {shape_text}", m.group(3))
            return
        mm = re.fullmatch(r"(OH = .*), (OW = .*): (\d+)×(\d+)×(\d+)", m.group(3))
        if not mm:
            self.fail(ln, f"output-size line not understood: {m.group(3)!r}")
            return
        for axis, side in enumerate((mm.group(1), mm.group(2))):
            self.size_side(ln, L, axis, side)
        got = tuple(int(g) for g in mm.groups()[2:])
        self.count["structure"] += 1
        if got != L.out_shape:
            self.fail(ln, f"output sizes: layer {k}'s output is F×OH×OW", shape_text, "×".join(map(str, got)))

    def size_side(self, ln, L, axis, side):
        """`OH = (H + 2·p − d·(KH − 1) − 1)/s + 1 = OH`, or with ⌊ ⌋ and the span over the
        stride where the floor matters: its operands are Given's, its arithmetic exact."""
        which = ("OH", "OW")[axis]
        m = SIZE_SIDE.fullmatch(side)
        if not m or m.group(1) != which or bool(m.group(2)) != bool(m.group(8)) or \
                bool(m.group(2)) != (m.group(9) is not None):
            self.fail(ln, f"{which}: not of the form {which} = (input + 2·padding − dilation·(filter − 1) − 1)/stride "
                          f"+ 1 = …: {side!r}")
            return
        n, p, d, k, s = (int(m.group(g)) for g in (3, 4, 5, 6, 7))
        want = (L.in_shape[1 + axis], L.padding[axis], L.dilation[axis], (L.KH, L.KW)[axis], L.stride[axis])
        for got, w, name in zip((n, p, d, k, s), want, ("input", "padding", "dilation", "filter", "stride")):
            self.count["operands"] += 1
            if got != w:
                self.fail(ln, f"{which}: the {name} operand differs from Given", w, got)
        out = m.group(11)
        inner = f"({n} + 2·{p} − {d}·({k} − 1) − 1)"
        span = n + 2 * p - d * (k - 1) - 1
        floored = bool(m.group(2))
        self.count["structure"] += 1
        if floored != (s > 0 and span % s != 0):
            self.fail(ln, f"{which}: ⌊ ⌋ is written exactly where the floor matters (the span is not a multiple of "
                          f"the stride)", "⌊…⌋" if not floored else "no ⌊…⌋", "⌊…⌋" if floored else "no ⌊…⌋")
        if floored:
            self.count["operands"] += 2
            if int(m.group(9)) != span:
                self.fail(ln, f"{which}: input + 2·padding − dilation·(filter − 1) − 1", span, m.group(9))
            if int(m.group(10)) != s:
                self.fail(ln, f"{which}: the stride is quoted inconsistently", s, m.group(10))
            self.judge(ln, which, f"⌊{m.group(9)}/{m.group(10)}⌋ + 1", [False] * 2, "=", out)
            self.judge(ln, which, f"⌊{inner}/{s}⌋ + 1", [False] * 6, "=", out)
        else:
            self.judge(ln, which, f"{inner}/{s} + 1", [False] * 6, "=", out)
        self.count["structure"] += 1
        if int(out) != L.out_shape[1 + axis]:
            self.fail(ln, f"{which}: not the output size of layer {L.k}", L.out_shape[1 + axis], out)

    def pool_size(self, ln, L, text):
        """`OH = (H − KH)/SH + 1 = OH, OW = …: C×OH×OW`, with `⌊ ⌋` and the span over the stride
        where the floor matters, and the rows and columns no window covers said after it."""
        mm = re.fullmatch(r"(OH = .*?), (OW = .*?): (\d+)×(\d+)×(\d+)(?: \((.*)\))?", text)
        if not mm:
            self.fail(ln, f"output-size line not understood: {text!r}")
            return
        for axis, side in enumerate((mm.group(1), mm.group(2))):
            which = ("OH", "OW")[axis]
            m = POOL_SIDE.fullmatch(side)
            if not m or m.group(1) != which or bool(m.group(2)) != bool(m.group(6)) or \
                    bool(m.group(2)) != (m.group(7) is not None):
                self.fail(ln, f"{which}: not of the form {which} = (input − window)/stride + 1 = …: {side!r}")
                continue
            n, k, s_ = (int(m.group(g)) for g in (3, 4, 5))
            want = (L.in_shape[1 + axis], (L.KH, L.KW)[axis], L.stride[axis])
            for got, w, name in zip((n, k, s_), want, ("input", "window", "stride")):
                self.count["operands"] += 1
                if got != w:
                    self.fail(ln, f"{which}: the {name} operand differs from Given", w, got)
            floored = bool(m.group(2))
            self.count["structure"] += 1
            if s_ > 0 and floored != ((n - k) % s_ != 0):
                self.fail(ln, f"{which}: ⌊ ⌋ is written exactly where the floor matters (the span is not a multiple of "
                              f"the stride)", "no ⌊…⌋" if floored else "⌊…⌋", "⌊…⌋" if floored else "no ⌊…⌋")
            out = m.group(9)
            if floored:
                self.count["operands"] += 2
                if int(m.group(7)) != n - k:
                    self.fail(ln, f"{which}: input − window", n - k, m.group(7))
                if int(m.group(8)) != s_:
                    self.fail(ln, f"{which}: the stride is quoted inconsistently", s_, m.group(8))
                self.judge(ln, which, f"⌊{m.group(7)}/{m.group(8)}⌋ + 1", [False] * 2, "=", out)
                self.judge(ln, which, f"⌊({n} − {k})/{s_}⌋ + 1", [False] * 3, "=", out)
            else:
                self.judge(ln, which, f"({n} − {k})/{s_} + 1", [False] * 3, "=", out)
            self.count["structure"] += 1
            if int(out) != L.out_shape[1 + axis]:
                self.fail(ln, f"{which}: not the output size of layer {L.k}", L.out_shape[1 + axis], out)
        got = tuple(int(g) for g in mm.groups()[2:5])
        self.count["structure"] += 1
        if got != L.out_shape:
            self.fail(ln, f"output sizes: layer {L.k}'s output is C×OH×OW", shape_text(L.out_shape), shape_text(got))
        rows, cols = L.uncovered()
        parts = [f"the last {what}" if n == 1 else f"the last {n} {what}s"
                 for n, what in ((rows, "row"), (cols, "column")) if n > 0]
        want = None
        if parts:
            many = len(parts) > 1 or max(rows, cols) > 1
            want = (f"{' and '.join(parts)} of its input {'are' if many else 'is'} in no window: the output size is "
                    f"floored, so {'their' if many else 'its'} gradient is 0")
        self.count["notes"] += 1
        if want != mm.group(6):
            self.fail(ln, "output sizes: the rows and columns of the input that no window covers (the floor), said "
                          "exactly where there are some", want or "nothing", mm.group(6) or "nothing")

    def chain_line(self, ln, text):
        """`x 1×5×5 → conv 3×3, stride 2, padding 1 → 1×3×3 → relu → 1×3×3 → …`"""
        self.count["structure"] += 1
        self.chain_seen = True
        want = "x " + "×".join(map(str, self.in_shape))
        for L in self.layers:
            label = L.kind
            if L.conv:
                label = f"conv {L.KH}×{L.KW}"
                for what, v, plain in (("stride", L.stride, (1, 1)), ("padding", L.padding, (0, 0)),
                                       ("dilation", L.dilation, (1, 1))):
                    if v != plain:
                        label += f", {what} {pair_text(v)}"
            elif L.pool:
                label = f"{L.kind} {L.KH}×{L.KW}" + (f", stride {pair_text(L.stride)}"
                                                     if L.stride != (L.KH, L.KW) else "")
            elif L.kind == "dense":
                label = f"dense {L.I}→{L.O}"
            want += f" → {label} → " + "×".join(map(str, L.out_shape))
        if text != want:
            self.fail(ln, "the chain of shapes does not follow from Given", want, text)

    def end_sizes(self, ln):
        self.count["structure"] += 1
        if self.size_lines != len(self.layers) or not self.chain_seen:
            self.fail(ln, "output sizes: a line per layer, then the chain of shapes",
                      f"{len(self.layers)} layers and the chain", f"{self.size_lines} layers"
                      f"{' and the chain' if self.chain_seen else ''}")
        self.ctx = "between"


    # -- the stages of a step ---------------------------------------------------------------

    def stages_for(self, kind: str, first: bool) -> list[Stage]:
        """The stages a step (`kind` 'step') or the last forward pass ('after') prints, in
        order; `first`: the first step written out, where the explanations said once are."""
        out = [self.forward_stage(L) for L in self.layers]
        out.append(self.loss_stage(first))
        if kind != "step":
            return out
        out.append(self.lossgrad_stage(first))
        for L in reversed(self.layers):
            gives = L.k > 0 or self.input_grad is not False
            optional = L.k == 0 and self.input_grad is None
            if not L.conv and (L.trains or L.pool or L.kind == "flatten"):
                out += self.back_stages2(L, first, gives, optional)
            elif L.conv:
                out.append(self.wgrad_stage(L))
                if L.bias:
                    out.append(self.bgrad_stage(L, first))
                if gives:
                    out.append(self.xgrad_stage(L, first, optional))
            elif gives:
                out.append(self.back_stage(L, optional))
        if self.has_lr:
            out.append(self.update_stage())
        return out

    def sums(self, tensor: NetTensor, terms_of, named: bool, empty: str) -> dict:
        """An Expect('sum') per entry of `tensor`: `terms_of` maps full indices to lists of
        terms (lists of factor names)."""
        out = {}
        for idx in tensor.indices():
            terms = terms_of.get(idx, [])
            why = empty(idx) if callable(empty) else empty
            out[tensor.name(idx)] = Expect("sum", terms=terms, named=named, empty=why)
        return out

    def forward_stage(self, L: NetLayer) -> Stage:
        ib, il, ish = self.junction(L.k)
        IN = self.tensor(ib, il, ish)
        if L.pool or L.kind in ("flatten", "dense"):
            return self.forward_stage2(L, IN)
        if not L.conv:
            Y = self.tensor("y", L.k, L.out_shape)
            x = IN.prefix
            header = {"relu": f"max(0, {x})", "sigmoid": f"σ({x})", "tanh": f"tanh({x})",
                      "leaky_relu": f"{x} where {x} > 0, {L.alpha.text if L.alpha else '?'}·{x} elsewhere"}.get(L.act)
            expect = {Y.name(i): Expect("act", z=IN.name(i), layer=L) for i in Y.indices()}
            return Stage("forward", f"Layer {L.k}, forward: {Y.prefix} = {header}", [Group(Y, expect)], L)
        Z, W, B = self.tensor("z", L.k, L.out_shape), self.weight("w", L), self.bias_t("b", L)
        terms: dict = {}
        for f, p, q, c, r, s, a, b, _, _ in L.reads():
            terms.setdefault((f, p, q), []).append([IN.name((c, r, s)), W.name((f, c, a, b))])
        if L.bias:
            for idx in Z.indices():
                terms.setdefault(idx, []).append([B.name((idx[0],))])
        header = f"Layer {L.k}, forward: {Z.prefix} = {IN.prefix} {'∗' if L.flip else '⋆'} {W.prefix}" + \
            (f" + {B.prefix}" if L.bias else "")
        group = Group(Z, self.sums(Z, terms, True, EMPTY_REASONS["forward"]))
        return Stage("forward", header, [group], L, formula=(Z.prefix + "[", self.forward_formula))

    # -- the stages of pools, flatten and dense layers, and of the softmax ------------------------

    def pool_names(self, L: NetLayer, IN: NetTensor):
        """The names a pool's formulas are written with: the output's index letters, the input's
        entry in window (p,q) at offset (i,j), and where the window starts."""
        C = L.in_shape[0]
        rows = "p" if L.stride[0] == 1 else f"{L.stride[0]}p"
        cols = "q" if L.stride[1] == 1 else f"{L.stride[1]}q"
        letters = (lambda idx: idx if C == 1 else f"c,{idx}")
        return letters, f"{IN.prefix}[{letters(f'{rows} + i, {cols} + j')}]", f"({rows}, {cols})"

    def forward_stage2(self, L: NetLayer, IN: NetTensor) -> Stage:
        """The forward pass of a pool (each window's maximum, or mean), a flatten (the map's
        entries in row-major order, copied) or a dense layer (each output's sum)."""
        if L.pool:
            Y = self.tensor("y", L.k, L.out_shape)
            letters, x_at, starts = self.pool_names(L, IN)
            y_at = f"{Y.prefix}[{letters('p,q')}]"
            n = L.KH * L.KW
            header = f"Layer {L.k}, forward: {Y.prefix} = {L.kind}({IN.prefix}), {L.KH}×{L.KW} windows"
            if L.kind == "max_pool":
                expect = {Y.name(i): Expect("max", terms=[IN.name(w) for w in L.window(*i)], layer=L)
                          for i in Y.indices()}
                prose = (f"{y_at} = max {x_at}, over the window's entries (i,j), which starts at {starts}: its "
                         f"largest entry",)
                return Stage("forward", header, [Group(Y, expect, notes=("tie",))], L, prose=prose)
            terms = {i: [[IN.name(w)] for w in L.window(*i)] for i in Y.indices()}
            expect = self.sums(Y, terms, True, None)
            for e in expect.values():
                e.scale = Fraction(1, n)
            prose = (f"{y_at} = (1/{n})·Σ_i Σ_j {x_at}, the mean of the window's {n} entries, which starts at "
                     f"{starts}",)
            return Stage("forward", header, [Group(Y, expect)], L, prose=prose)
        if L.kind == "flatten":
            V = self.tensor("v", L.k, L.out_shape)
            C, H, W = L.in_shape
            copy = {V.name((k,)): IN.name(full) for k, full in enumerate(IN.indices())}
            header = (f"Layer {L.k}, forward: {V.prefix}[k] = {IN.prefix}[{'i,j' if C == 1 else 'c,i,j'}], "
                      f"{self.index_map(L)}: the entries as they are, laid out in one row")
            return Stage("forward", header, [Group(V, {}, copy=copy)], L)
        Z, W, B = self.tensor("z", L.k, L.out_shape), self.weight("w", L), self.bias_t("b", L)
        terms = {(o,): [[W.name((o, i)), IN.name((i,))] for i in range(L.I)] + ([[B.name((o,))]] if L.bias else [])
                 for o in range(L.O)}
        bias = f" + {B.prefix}" if L.bias else ""
        header = f"Layer {L.k}, forward: {Z.prefix} = {W.prefix}·{IN.prefix}{bias}"
        prose = (f"{Z.prefix}[o] = Σ_i {W.prefix}[o,i]·{IN.prefix}[i]{bias + '[o]' if L.bias else ''}, row o of the "
                 f"weight against the input",)
        return Stage("forward", header, [Group(Z, self.sums(Z, terms, True, None))], L, prose=prose)

    def index_map(self, L: NetLayer) -> str:
        """A flatten's index map in the map's own numbers: `k = c·9 + i·3 + j`."""
        C, H, W = L.in_shape
        if C == 1 and H == 1:
            return "k = j"
        if C == 1 and W == 1:
            return "k = i"
        if C == 1:
            return f"k = i·{W} + j"
        return f"k = c·{H * W} + i·{W} + j"

    def softmax_stage(self, OUT: NetTensor, first: bool) -> Stage:
        """`Loss: L = −Σ_k t[k]·log p[k], p = softmax(z)`: the largest logit m, every e[k] =
        exp(z[k] − m) (with its matrix), S = Σ e, every p[k] = e[k]/S (with its matrix), then L."""
        shape = OUT.full
        E, P, T = self.tensor("e", None, shape), self.tensor("p", None, shape), self.tensor("t", 0, shape)
        Mt, St, Lt = NetTensor("m", (), ()), NetTensor("S", (), ()), NetTensor("L", (), ())
        groups = [Group(Mt, {"m": Expect("max", terms=OUT.names())}),
                  Group(E, {E.name(i): Expect("exp", z=OUT.name(i)) for i in E.indices()}),
                  Group(St, {"S": Expect("sum", terms=[[e] for e in E.names()], named=True, empty=None)}),
                  Group(P, {P.name(i): Expect("ratio", z=E.name(i)) for i in P.indices()}, notes=("underflow",)),
                  Group(Lt, {"L": Expect("ce", pairs=[(T.name(i), P.name(i)) for i in P.indices()])}, notes=("rose",))]
        for g in (groups[0], groups[2], groups[4]):
            g.mats = []
        st = Stage("loss", f"Loss: L = −Σ_k t[k]·log p[k], p = softmax({OUT.prefix})", groups,
                   prose=(SHIFT_PROSE,) if first else ())
        st.softmax = (OUT, T, P)
        return st

    def wanted_logs(self, st: Stage) -> list:
        """A softmax's classes the target wants (t[k] ≠ 0), each (k's full index, whether its
        printed p is below the smallest normal f64, where its log is computed as
        z[k] − m − log(S))."""
        OUT, T, P = st.softmax
        out = []
        for i in P.indices():
            t, p = self.lookup(T.name(i)), self.sv.get(P.name(i))
            if t is None or (finite(t.value) and t.value == 0):
                continue
            out.append((i, p is not None and finite(p.value) and abs(p.value) < F64_MIN_NORMAL))
        return out

    def underflow_note(self, ln, st: Stage, g: Group, m):
        """`p[1] and p[2] underflow below the smallest normal f64, …`: exactly the wanted classes
        whose printed p is below the smallest normal f64, singular or plural; then every wanted
        class's log p[k] = z[k] − m − log(S), and the loss from those."""
        OUT, T, P = st.softmax
        wanted = self.wanted_logs(st)
        names = names_of(m.group(1))
        self.count["operands"] += len(names)
        # the name of a probability in the note and of its log: as p is printed, or (what the
        # code prints in a network, with layer marks) p⁽⁰⁾
        mark = "⁽⁰⁾" if self.marks and names and names[0].startswith("p⁽⁰⁾[") else ""
        pname = lambda i: P.name(i).replace("p[", f"p{mark}[", 1)
        want = [pname(i) for i, low in wanted if low]
        if names != want:
            self.fail(ln, "note: the classes named are not exactly those the target wants whose printed p is below "
                          "the smallest normal f64", name_list(want) if want else "none", m.group(1))
        one = len(names) == 1
        if (m.group(2) == "underflows", m.group(3) == "its logarithm is", m.group(4) == "it") != (one, one, one):
            self.fail(ln, "note: singular/plural mismatch")
        LP = NetTensor(f"log p{mark}", P.full, P.keep)
        keys = [LP.name(i) for i, _ in wanted]
        lg = Group(LP, {LP.name(i): Expect("logp", z=OUT.name(i)) for i in P.indices()})
        # only the classes the target wants, and no matrix
        lg.expect = {k: lg.expect[k] for k in keys}
        lg.keys, lg.sym, lg.mats = keys, list(keys), []
        lt = st.groups[st.gi + 1]
        lt.expect["L"] = Expect("celog", pairs=[(T.name(i), k) for k, (i, _) in zip(keys, wanted)])
        st.groups.insert(st.gi + 1, lg)

    def back_stages2(self, L: NetLayer, first: bool, gives: bool, optional: bool, slip=None, only_dx=False) -> list:
        """The backward pass of a dense layer (its weight gradient, its bias gradient, its ∂L/∂x),
        a pool or a flatten (their ∂L/∂x), in the order printed; `slip` a learner's mistake in
        ∂L/∂x ('untransposed': W for Wᵀ; 'spread': a max pool's gradient spread as an average
        pool's)."""
        ib, il, ish = self.junction(L.k)
        IN, DX = self.tensor(ib, il, ish), self.tensor(GRAD_OF[ib], il, ish)
        out = []
        if L.kind == "dense":
            D, W, B = self.tensor("δ", L.k, L.out_shape), self.weight("w", L), self.bias_t("b", L)
            if not only_dx:
                GW, GB = self.weight("∂L/∂w", L), self.bias_t("∂L/∂b", L)
                terms = {(o, i): [[D.name((o,)), IN.name((i,))]] for o in range(L.O) for i in range(L.I)}
                out.append(Stage("wgrad", f"Layer {L.k}, weight gradient: ∂L/∂{W.prefix} = {D.prefix}·{IN.prefix}ᵀ, the "
                                          f"outer product of the output's gradient and the input",
                                 [Group(GW, self.sums(GW, terms, True, None))], L,
                                 prose=(f"∂L/∂{W.prefix}[o,i] = {D.prefix}[o]·{IN.prefix}[i]",)))
                if L.bias:
                    terms = {(o,): [[D.name((o,))]] for o in range(L.O)}
                    out.append(Stage("bgrad", f"Layer {L.k}, bias gradient: ∂L/∂{B.prefix}[o] = {D.prefix}[o]",
                                     [Group(GB, self.sums(GB, terms, True, None))], L))
            if not gives:
                return out
            if slip == "untransposed":
                terms = {(i,): [[W.name((i, o)), D.name((o,))] for o in range(L.O)] for i in range(L.I)}
                header = (f"Layer {L.k}, input gradient, the mistake: {DX.prefix} = {W.prefix}·{D.prefix}, the weight as "
                          f"it stands, in place of its transpose {W.prefix}ᵀ·{D.prefix} (the shapes allow it only "
                          f"because the weight is square, {L.O}×{L.I}): each input gets the gradients through the "
                          f"weights of another")
                prose = (f"{DX.prefix}[i] = Σ_o {W.prefix}[i,o]·{D.prefix}[o]",)
            else:
                terms = {(i,): [[W.name((o, i)), D.name((o,))] for o in range(L.O)] for i in range(L.I)}
                header = (f"Layer {L.k}, input gradient: {DX.prefix} = {W.prefix}ᵀ·{D.prefix}, every output's gradient "
                          f"sent back through the weights that connect it to each input")
                prose = (f"{DX.prefix}[i] = Σ_o {W.prefix}[o,i]·{D.prefix}[o]",)
            st = Stage("dxgrad", header, [Group(DX, self.sums(DX, terms, True, None), notes=("zero",))], L,
                       prose=prose, optional=optional)
            st.slip = slip
            out.append(st)
            return out
        if not gives:
            return out
        if L.kind == "flatten":
            DV = self.tensor("∂L/∂v", L.k, L.out_shape)
            C, H, W = L.in_shape
            copy = {DX.name(full): DV.name((k,)) for k, full in enumerate(DX.indices())}
            header = (f"Layer {L.k}, backward: {DX.prefix}[{'i,j' if C == 1 else 'c,i,j'}] = {DV.prefix}[k], "
                      f"{self.index_map(L)}: the vector's gradient folded back into the {C}×{H}×{W} map")
            return [Stage("back2", header, [Group(DX, {}, notes=("zero",), copy=copy)], L, optional=optional)]
        DY = self.tensor("∂L/∂y", L.k, L.out_shape)
        letters, _, _ = self.pool_names(L, IN)
        dx_at, dy_at = f"{DX.prefix}[{letters('r,s')}]", f"{DY.prefix}[{letters('p,q')}]"
        n = L.KH * L.KW
        covered = lambda idx: bool(L.covering(idx[1], idx[2]))
        if L.kind == "avg_pool" or slip == "spread":
            terms = {(c, r, s): [[DY.name((c, p, q))] for p, q in L.covering(r, s)] for c, r, s in DX.indices()}
            expect = self.sums(DX, terms, True, EMPTY_REASONS["floored"])
            for e in expect.values():
                e.scale = Fraction(1, n)
            if slip == "spread":
                header = (f"Layer {L.k}, backward: the mistake: {dx_at} = (1/{n})·Σ {dy_at} over every window covering "
                          f"the entry, each window's gradient spread evenly over its {n} entries as an average pool's "
                          f"is, in place of routing it to the window's maximum")
                prose = ()
            else:
                header = f"Layer {L.k}, backward: {dx_at} = (1/{n})·Σ {dy_at} over the windows (p,q) that cover that entry"
                prose = (f"(each entry moves its window's mean by 1/{n} of what it moves itself, so each window's "
                         f"gradient is shared equally among its {n} entries; where windows overlap, the shares add up)",) \
                    if first else ()
            st = Stage("back2", header, [Group(DX, expect, notes=("zero",))], L, prose=prose, optional=optional)
            st.slip = slip
            return [st]
        header = (f"Layer {L.k}, backward: {DX.prefix} = {DY.prefix} routed to each window's maximum, 0 to the window's "
                  f"other entries")
        prose = (f"{dx_at} = Σ {dy_at} over the windows (p,q) whose maximum is that entry: the max passes on only its "
                 f"largest input, so only that entry moves the output",)
        if first:
            prose += ("(where windows overlap, an entry that is the maximum of several windows gets the sum of their "
                      "gradients)",)
        Y = self.tensor("y", L.k, L.out_shape)

        def build(st):
            # each window's gradient goes to the entry its forward pass picked (this section's, or
            # in a mistake step 1's)
            picks = self.base_picks() if self.ctx == "mistake" else self.picks
            ties = (self.history[0].get("tied", {}) if self.history else {}) if self.ctx == "mistake" else self.tied
            terms, optional = {}, {}
            for c, r, s in DX.indices():
                got, opt = [], []
                for p, q in L.covering(r, s):
                    pick = picks.get(Y.name((c, p, q)))
                    if isinstance(pick, tuple) and IN.name((c, r, s)) in pick:
                        opt.append((DY.name((c, p, q)), True))
                    elif pick is not None and pick == IN.name((c, r, s)):
                        got.append([DY.name((c, p, q))])
                        opt.append((DY.name((c, p, q)), False))
                terms[(c, r, s)] = got
                if any(o for _, o in opt):
                    optional[(c, r, s)] = opt
            def reason(idx):
                if not covered(idx):
                    return EMPTY_REASONS["floored"]
                # an entry that tied for a window's maximum (the first such window) but was not
                # the first of the tie
                c, r, s = idx
                for p, q in L.covering(r, s):
                    tied = ties.get(Y.name((c, p, q)))
                    if tied and IN.name(idx) in tied:
                        return f"tied for its window's maximum, but the first of the tie, {tied[0]}, takes the gradient"
                return EMPTY_REASONS["unpicked"]
            expect = self.sums(DX, terms, True, reason)
            for idx, opt in optional.items():
                expect[DX.name(idx)].optional = opt
            g = Group(DX, expect, notes=("zero",))
            # an entry whose terms are known only from its line may have a symbolic line
            g.sym = [k for k in g.keys if expect[k].terms or expect[k].optional]
            g.taken = {}  # an ambiguous window's gradient: the entries that took it
            return [g]
        st = Stage("back2", header, [Group(DX, self.sums(DX, {}, True, None), notes=("zero",))], L, prose=prose,
                   optional=optional)
        st.build = build
        return [st]

    def base_picks(self) -> dict:
        """The entries step 1's max pools picked (what a mistake's backward pass routes by)."""
        return self.history[0].get("picks", {}) if self.history else {}

    def loss_stage(self, first: bool = False) -> Stage:
        ob, ol, osh = self.junction(len(self.layers))
        OUT = self.tensor(ob, ol, osh)
        Lt = NetTensor("L", (), ())
        if self.loss == "softmax":
            return self.softmax_stage(OUT, first)
        if self.objective == "grad":
            Gt = self.tensor("g", 0, osh)
            terms = [[Gt.name(i), OUT.name(i)] for i in OUT.indices()]
            expect = {"L": Expect("sum", terms=terms, named=False, empty=None)}
            header = f"Loss: L = Σ g ⊙ {OUT.prefix}"
        else:
            Tt = self.tensor("t", 0, osh)
            expect = {"L": Expect("loss", pairs=[(OUT.name(i), Tt.name(i)) for i in OUT.indices()])}
            s = "" if self.lscale == 1 else scale_text(self.lscale) + "·"
            header = f"Loss: L = {s}Σ({OUT.prefix} − t)²"
        group = Group(Lt, expect, notes=("rose",))
        group.mats = []
        return Stage("loss", header, [group])

    def lossgrad_stage(self, first: bool, flipped: bool = False) -> Stage:
        ob, ol, osh = self.junction(len(self.layers))
        OUT = self.tensor(ob, ol, osh)
        D = self.tensor(GRAD_OF[ob], ol, osh)
        if self.loss == "softmax":
            P, T = self.tensor("p", None, osh), self.tensor("t", 0, osh)
            pairs = [(T.name(i), P.name(i)) if flipped else (P.name(i), T.name(i)) for i in D.indices()]
            expect = {D.name(i): Expect("diff", y=a, t=b) for i, (a, b) in zip(D.indices(), pairs)}
            written = f", written {D.prefix}" if ob == "z" else ""
            if flipped:
                return Stage("lossgrad", f"Gradient of the loss, the mistake: ∂L/∂{OUT.prefix} = t − p, in place of p − t",
                             [Group(D, expect)])
            return Stage("lossgrad", f"Gradient of the loss: ∂L/∂{OUT.prefix} = p − t{written}", [Group(D, expect)],
                         prose=why_prose(OUT.prefix) if first else ())
        if self.objective == "grad":
            Gt = self.tensor("g", 0, osh)
            expect = {D.name(i): Expect("upstream", g=Gt.name(i)) for i in D.indices()}
            grad = "g"
        else:
            Tt = self.tensor("t", 0, osh)
            expect = {D.name(i): Expect("diff", y=OUT.name(i), t=Tt.name(i)) for i in D.indices()}
            grad = f"{OUT.prefix} − t" if self.gscale == 1 else f"{self.gscale_text}·({OUT.prefix} − t)"
        written = f", written {D.prefix}" if ob == "z" else ""
        prose = SIGN_PROSE if first and self.objective == "loss" else ()
        return Stage("lossgrad", f"Gradient of the loss: ∂L/∂{OUT.prefix} = {grad}{written}", [Group(D, expect)],
                     prose=prose)

    def wgrad_stage(self, L: NetLayer) -> Stage:
        ib, il, ish = self.junction(L.k)
        IN = self.tensor(ib, il, ish)
        D, GW = self.tensor("δ", L.k, L.out_shape), self.weight("∂L/∂w", L)
        terms: dict = {}
        for f, p, q, c, r, s, a, b, _, _ in L.reads():
            terms.setdefault((f, c, a, b), []).append([D.name((f, p, q)), IN.name((c, r, s))])
        corr = f"{IN.prefix} ⋆ {D.prefix}"
        header = (f"Layer {L.k}, filter gradient: {GW.prefix} = {f'rot180({corr})' if L.flip else corr}, the layer's "
                  f"input correlated with {D.prefix}{', then rotated by 180°' if L.flip else ''}")
        group = Group(GW, self.sums(GW, terms, True, EMPTY_REASONS["forward"]))
        return Stage("wgrad", header, [group], L, formula=(GW.prefix + "[", self.wgrad_formula))

    def bgrad_stage(self, L: NetLayer, first: bool) -> Stage:
        D, GB = self.tensor("δ", L.k, L.out_shape), self.bias_t("∂L/∂b", L)
        _, OH, OW = L.out_shape
        terms = {(f,): [[D.name((f, p, q))] for p in range(OH) for q in range(OW)] for f in range(L.F)}
        lhs = GB.prefix + ("[f]" if L.F > 1 else "")
        d = D.prefix + ("[f,p,q]" if L.F > 1 else "[p,q]")
        return Stage("bgrad", f"Layer {L.k}, bias gradient: {lhs} = Σ_p Σ_q {d}",
                     [Group(GB, self.sums(GB, terms, True, EMPTY_REASONS["forward"]))], L,
                     prose=(BIAS_PROSE,) if first else ())

    def dx_text(self, L: NetLayer) -> str:
        """What the gradient of layer L's input is called in headings: `∂L/∂x`, `∂L/∂y⁽¹⁾`,
        `∂L/∂z⁽⁰⁾` (its entries are δ⁽⁰⁾[…])."""
        ib, il, _ = self.junction(L.k)
        return self.tname(GRAD_OF[ib], il) if ib in ("x", "y") else f"∂L/∂{self.tname(ib, il)}"

    def xgrad_stage(self, L: NetLayer, first: bool, optional: bool, slip=None) -> Stage:
        """∂L/∂x of layer L's input; `slip` the learner's mistake in it ('unrotated': the filter
        the wrong way round; 'unsummed': the last filter's part alone)."""
        ib, il, ish = self.junction(L.k)
        DX = self.tensor(GRAD_OF[ib], il, ish)
        D, W = self.tensor("δ", L.k, L.out_shape), self.weight("w", L)
        filters = [L.F - 1] if slip == "unsummed" else range(L.F)
        terms: dict = {}
        # every output and kernel offset whose window put x[c,r,s] under a filter entry, in
        # the order of Σ_f Σ_i Σ_j
        for f, p, q, c, r, s, a, b, i, j in sorted(L.reads(), key=lambda t: (t[3], t[4], t[5], t[0], t[8], t[9])):
            if f not in filters:
                continue
            if slip == "unrotated":
                a, b = L.KH - 1 - a, L.KW - 1 - b
            terms.setdefault((c, r, s), []).append([D.name((f, p, q)), W.name((f, c, a, b))])
        over = "Σ_f " if L.F > 1 else ""
        rot = lambda flip: W.prefix if flip else f"rot180({W.prefix})"
        right = f"{over}full({D.prefix}) ⋆ {rot(L.flip)}"
        head = f"Layer {L.k}, input gradient"
        if slip == "unrotated":
            header = (f"{head}, the mistake: {self.dx_text(L)} = {over}full({D.prefix}) ⋆ {rot(not L.flip)}, the "
                      f"filter the wrong way round, in place of {right}")
        elif slip == "unsummed":
            last = L.F - 1
            header = (f"{head}, the mistake: {self.dx_text(L)} = full({D.prefix}[{last}]) ⋆ "
                      f"{rot(L.flip).replace(W.prefix, f'{W.prefix}[{last}]', 1)}, filter {last}'s part alone (each "
                      f"filter's overwriting the one before), in place of the sum {right}")
        else:
            header = (f"{head}: {self.dx_text(L)} = {right}, "
                      + (f"the full correlation of {D.prefix} with the filter as given (the forward pass rotated it)"
                         if L.flip else f"the full convolution of {D.prefix} with the filter rotated by 180°"))
        group = Group(DX, self.sums(DX, terms, True, EMPTY_REASONS["back"]), notes=("zero",))
        st = Stage("xgrad", header, [group], L, prose=(self.full_prose(L, D.prefix),) if first else (),
                   formula=(DX.prefix + "[", self.xgrad_formula), optional=optional)
        st.slip = slip
        return st

    def full_prose(self, L: NetLayer, delta: str) -> str:
        """How the full convolution that gives ∂L/∂x is built, as the first step says it: δ
        spread by the stride, the filter by the dilation, δ padded by the filter's reach, the
        padding cropped, and the last rows and columns of the input no window reaches."""
        (sh, sw), (ph, pw), (dh, dw) = L.stride, L.padding, L.dilation
        rh, rw = dh * (L.KH - 1), dw * (L.KW - 1)
        parts = []
        if (sh, sw) != (1, 1):
            zeros = "a zero" if (sh, sw) == (2, 2) else f"{pair_text((sh - 1, sw - 1))} zeros"
            parts.append(f"stride {pair_text(L.stride)}: {delta} is first spread out, {zeros} put between its "
                         f"neighbouring entries")
        if (dh, dw) != (1, 1):
            parts.append(f"dilation {pair_text(L.dilation)}: the filter's entries stand {pair_text(L.dilation)} apart")
        if (rh, rw) == (0, 0):
            parts.append(f"full: a 1×1 filter reaches no further than its output, so {delta} needs no zeros around it")
        else:
            parts.append(f"full: {delta} is padded with {plural(rh, 'row', 'rows')} and {plural(rw, 'column', 'columns')} "
                         f"of zeros all round, so that the filter reaches every input entry it touched")
        if (ph, pw) != (0, 0):
            parts.append(f"padding {pair_text(L.padding)}: the {plural(ph, 'row', 'rows')} and "
                         f"{plural(pw, 'column', 'columns')} of the result that lie on the padding are cropped")
        # the input's last rows (columns) that no window reaches: past the last window's end
        _, H, W = L.in_shape
        _, OH, OW = L.out_shape
        last_h = (OH - 1) * sh + rh - ph  # the last input row (from 0) a window reaches
        last_w = (OW - 1) * sw + rw - pw
        lost_h, lost_w = max(0, H - 1 - last_h), max(0, W - 1 - last_w)
        if (lost_h, lost_w) != (0, 0):
            parts.append(f"the input's last {plural(lost_h, 'row', 'rows')} and last {plural(lost_w, 'column', 'columns')}, "
                         f"which no window reached, get 0")
        return "(" + "; ".join(parts) + ")"

    def back_stage(self, L: NetLayer, optional: bool) -> Stage:
        ib, il, ish = self.junction(L.k)
        IN, DX = self.tensor(ib, il, ish), self.tensor(GRAD_OF[ib], il, ish)
        DY, SL, Y = self.tensor("∂L/∂y", L.k, ish), self.tensor(SLOPE_OF[ib], il, ish), self.tensor("y", L.k, ish)
        slopes = {SL.name(i): Expect("slope", z=IN.name(i), y=Y.name(i), layer=L) for i in SL.indices()}
        dx = {DX.name(i): Expect("sum", terms=[[DY.name(i), SL.name(i)]], named=False, empty=None) for i in DX.indices()}
        header = f"Layer {L.k}, backward: {DX.prefix} = ∂L/∂{IN.prefix} = {DY.prefix} ⊙ {SL.prefix}{SL.close}"
        groups = [Group(SL, slopes, notes=("dead",) if L.act == "relu" else ()), Group(DX, dx, notes=("zero",))]
        return Stage("back", header, groups, L, optional=optional)

    def update_stage(self) -> Stage:
        groups = []
        for L, P, GP in self.param_tensors():
            expect = {P.name(i): Expect("update", p=P.name(i), g=GP.name(i)) for i in P.indices()}
            groups.append(Group(P, expect))
        return Stage("update", "Update: every parameter, p ← p − η·∂L/∂p", groups)

    # -- the general formulas ---------------------------------------------------------------

    def formula_parts(self, ln, text, lhs_re, rhs_re):
        m = re.fullmatch(lhs_re + rhs_re, text)
        if not m:
            self.fail(ln, f"general formula not understood: {text!r}")
        return m

    def index_list(self, text: str) -> list[str]:
        return [t.strip() for t in text.split(",")]

    def check_indices(self, ln, what, got: list[str], want, ranges) -> bool:
        """Index expressions against the definition `want(env)` (a list: a letter that must be
        written as itself, or the value the expression must have), for every env of `ranges`
        (beyond the actual ranges too, so that a 1-wide axis still pins the coefficients)."""
        import itertools
        keys = list(ranges)
        for values in itertools.product(*(range(max(2, n)) for n in ranges.values())):
            env = dict(zip(keys, values))
            w = want(env)
            if len(got) != len(w):
                self.fail(ln, f"{what}: the indices are not the definition's", len(w), len(got))
                return False
            for g, x in zip(got, w):
                if isinstance(x, str):
                    if g != x:
                        self.fail(ln, f"{what}: the index {g!r} should be {x!r}")
                        return False
                    continue
                try:
                    v = eval_index(g, env)
                except (ValueError, SyntaxError, NameError, TypeError):
                    self.fail(ln, f"{what}: index {g!r} not understood")
                    return False
                if v != x:
                    self.fail(ln, f"{what}: index {g!r} wrong at {', '.join(f'{k}={v2}' for k, v2 in env.items())}",
                              x, v)
                    return False
        return True

    def letters(self, L: NetLayer, what: str) -> str:
        """The index letters: `f,p,q` of an output, `c,r,s` of an input, `f,c,i,j` of a weight,
        with those of one filter or channel left out."""
        if what == "out":
            return "f,p,q" if L.F > 1 else "p,q"
        if what == "in":
            return "c,r,s" if L.C > 1 else "r,s"
        return ",".join(x for x, keep in zip("fcij", (L.F > 1, L.C > 1, True, True)) if keep)

    def weight_want(self, L: NetLayer, flip=None):
        """The weight's indices at kernel offset (i, j): itself, or rotated (a true convolution,
        `flip` True; the layer's own orientation by default)."""
        flip = L.flip if flip is None else flip

        def want(env):
            out = ["f"] if L.F > 1 else []
            out += ["c"] if L.C > 1 else []
            i, j = env["i"], env["j"]
            return out + ([L.KH - 1 - i, L.KW - 1 - j] if flip else [i, j])
        return want

    def forward_formula(self, ln, text):
        L = self.stage.layer
        ib, il, ish = self.junction(L.k)
        IN = self.tensor(ib, il, ish)
        Z, W, B = self.tensor("z", L.k, L.out_shape), self.weight("w", L), self.bias_t("b", L)
        chan = "Σ_c " if L.C > 1 else ""
        bias = f" \\+ {re.escape(B.prefix)}" + (re.escape("[f]") if L.F > 1 else "") if L.bias else ""
        over = "all channels and filter entries" if L.C > 1 else "all filter entries"
        pad = " (terms on zero padding are 0 and left out)" if L.padding != (0, 0) else ""
        m = self.formula_parts(ln, text, re.escape(f"{Z.prefix}[{self.letters(L, 'out')}] = {chan}Σ_i Σ_j {IN.prefix}["),
                               rf"([^\]]+)\]·{re.escape(W.prefix)}\[([^\]]+)\]{bias}, over {re.escape(over)} \(i,j\)"
                               + re.escape(pad))
        if not m:
            return
        (sh, sw), (ph, pw), (dh, dw) = L.stride, L.padding, L.dilation
        inp = self.index_list(m.group(1))
        ok = self.check_indices(ln, "the input's indices", inp,
                                lambda e: (["c"] if L.C > 1 else []) + [e["p"] * sh + e["i"] * dh - ph,
                                                                         e["q"] * sw + e["j"] * dw - pw],
                                {"p": L.out_shape[1], "q": L.out_shape[2], "i": L.KH, "j": L.KW})
        if ok:
            self.check_indices(ln, "the weight's indices", self.index_list(m.group(2)), self.weight_want(L),
                               {"i": L.KH, "j": L.KW})

    def wgrad_formula(self, ln, text):
        L = self.stage.layer
        ib, il, ish = self.junction(L.k)
        IN = self.tensor(ib, il, ish)
        D, GW = self.tensor("δ", L.k, L.out_shape), self.weight("∂L/∂w", L)
        m = self.formula_parts(ln, text, re.escape(f"{GW.prefix}[{self.letters(L, 'w')}] = Σ_p Σ_q "
                                                   f"{D.prefix}[{self.letters(L, 'out')}]·{IN.prefix}["),
                               r"([^\]]+)\], over all outputs \(p,q\)")
        if not m:
            return
        (sh, sw), (ph, pw), (dh, dw) = L.stride, L.padding, L.dilation

        def want(e):
            i, j = L.offset(e["i"], e["j"])  # the offset at which w[…, i, j] met the input
            return (["c"] if L.C > 1 else []) + [e["p"] * sh + i * dh - ph, e["q"] * sw + j * dw - pw]
        self.check_indices(ln, "the input's indices", self.index_list(m.group(1)), want,
                           {"p": L.out_shape[1], "q": L.out_shape[2], "i": L.KH, "j": L.KW})

    def xgrad_formula(self, ln, text):
        L = self.stage.layer
        ib, il, ish = self.junction(L.k)
        DX = self.tensor(GRAD_OF[ib], il, ish)
        D, W = self.tensor("δ", L.k, L.out_shape), self.weight("w", L)
        slip = self.stage.slip
        filters = "filters f, " if L.F > 1 and slip != "unsummed" else ""
        only = re.escape(f", with f = {L.F - 1} only") if slip == "unsummed" else ""
        m = self.formula_parts(ln, text, re.escape(f"{DX.prefix}[{self.letters(L, 'in')}] = Σ "
                                                   f"{D.prefix}[{self.letters(L, 'out')}]·{W.prefix}["),
                               rf"([^\]]+)\]{only}, over the {filters}outputs \(p,q\) and filter entries \(i,j\) "
                               r"with (.+) = r and (.+) = s: the terms whose window put that input entry under that "
                               r"filter entry")
        if not m:
            return
        (sh, sw), (ph, pw), (dh, dw) = L.stride, L.padding, L.dilation
        ranges = {"p": L.out_shape[1], "q": L.out_shape[2], "i": L.KH, "j": L.KW}
        flip = L.flip != (slip == "unrotated")
        ok = self.check_indices(ln, "the weight's indices", self.index_list(m.group(1)), self.weight_want(L, flip),
                                ranges)
        if ok:
            self.check_indices(ln, "the positions r and s", [m.group(2), m.group(3)],
                               lambda e: [e["p"] * sh + e["i"] * dh - ph, e["q"] * sw + e["j"] * dw - pw], ranges)


    # -- steps ------------------------------------------------------------------------------

    def rec_of(self, k: int):
        return next((r for r in self.history if r["k"] == k), None)

    def begin_section(self, ln, kind: str):
        """A step (`kind` 'step') or the last forward pass ('after') begins: its stages."""
        self.sv, self.new, self.noted, self.pending, self.sym_kinds = {}, {}, set(), {}, set()
        self.picks, self.tied = {}, {}
        self.sec_nonfinite, self.sec_note = None, None
        self.stages = self.stages_for(kind, first=kind == "step" and not self.history)
        self.si, self.stage = 0, None

    def begin_step(self, ln, k):
        if self.ctx == "sizes":
            self.end_sizes(ln)
        if self.ctx not in ("between", "skipped"):
            self.fail(ln, f"`Step {k}` out of place")
        asked, taken = self.asked()
        self.count["structure"] += 1
        want = (self.skipped[-1][1] + 1) if self.ctx == "skipped" else self.step + 1
        if k != want:
            self.fail(ln, "steps are not numbered consecutively", want, k)
        if asked is not None and asked > FULL_STEPS and HEAD_STEPS < k != taken:
            self.fail(ln, f"a run of more than {FULL_STEPS} steps writes out its first {HEAD_STEPS} steps and its last",
                      f"step {taken}", f"step {k}")
        if taken is not None and k > taken:
            self.fail(ln, "more steps than the title says were taken", taken, k)
        self.ctx, self.step = "step", k
        self.begin_section(ln, "step")
        self.history.append({"k": k, "params": dict(self.cur), "line": ln, "L": None})

    def begin_skip(self, ln, a, b):
        self.count["structure"] += 1
        asked, taken = self.asked()
        if self.ctx != "between" or a != self.step + 1 or b < a:
            self.fail(ln, "steps not written out: not the ones after the last step printed", self.step + 1, a)
        if self.step != HEAD_STEPS or (asked is not None and asked <= FULL_STEPS):
            self.fail(ln, f"a run of more than {FULL_STEPS} steps writes out its first {HEAD_STEPS} steps and its last; "
                          f"a shorter one is written out in full", f"steps {HEAD_STEPS + 1} to N − 1 of N > {FULL_STEPS}",
                      f"steps {a} to {b}")
        if taken is not None and b != taken - 1:
            self.fail(ln, "the steps not written out end before the last step taken", taken - 1, b)
        self.skipped.append((a, b, ln))
        self.ctx, self.step = "skipped", b
        # the step after them starts from parameters known only from their first printing there
        self.cur = {key: Val(None, MAYBE, ln) for key in self.cur}

    def close_step(self, ln):
        self.close_stage(ln)
        self.close_section(ln, "step")
        rec = self.history[-1]
        rec["L"] = self.sv.get("L")
        rec["sv"] = dict(self.sv)
        rec["picks"] = dict(self.picks)
        rec["tied"] = dict(self.tied)
        if self.has_lr:
            missing = [k for k in self.cur if k not in self.new]
            if missing:
                self.fail(ln, f"step {self.step}: no update printed for {', '.join(missing)}")
                for k in missing:
                    self.new[k] = self.cur[k]
            rec["new"] = dict(self.new)
            self.cur = dict(self.new)
        rec["nonfinite"] = self.sec_nonfinite
        self.ctx = "between"

    def close_section(self, ln, kind):
        """The checks that need the whole step (or the last forward pass): every stage printed,
        every symbolic line followed by its numbers, the notes on a rising loss and on the
        first value that is not finite."""
        for st in self.stages[self.si:]:
            if not st.optional:
                self.fail(ln, f"the stage `{st.header}` is missing")
            elif self.input_grad is None:
                self.input_grad = False
        self.si = len(self.stages)
        self.flush_pending(ln)
        for check in self.deferred:
            check()
        self.deferred = []
        f = self.sec_nonfinite
        self.count["structure"] += 1
        if f is not None and self.sec_note is None:
            self.fail(ln, f"{f[0]} = {f[1]} (line {f[2]}) is not a finite number, but no note says it is the first "
                          f"value that is not")
        if kind == "step" and f is not None:
            # `training stops after this step`: then it is the last step taken
            asked, taken = self.asked()
            if taken is not None and self.step != taken:
                self.fail(self.sec_note or ln, f"the note says training stops after step {self.step}, but the title "
                                               f"says {taken} steps were taken", f"step {taken}", f"step {self.step}")

    def begin_result(self, ln, m):
        self.count["structure"] += 1
        if self.ctx == "step":
            self.close_step(ln)
        if self.ctx not in ("between",):
            self.fail(ln, "the result out of place (after the last step)")
        asked, taken = self.asked()
        if m.group(1) is None:  # no learning rate: one pass
            if self.has_lr is not False:
                self.fail(ln, "`Result: the gradients of one pass` belongs to a derivation without a learning rate")
            if self.step != 1:
                self.fail(ln, "one pass is one step", 1, self.step)
            self.ctx = "pass"
            return
        k = int(m.group(1))
        if (m.group(2) == "step") != (k == 1) or k == 0:
            self.fail(ln, "result heading: the count of steps is not written as the format says",
                      "Result after 1 step / Result after N steps", m.group(0))
        if not self.has_lr:
            self.fail(ln, "a derivation without a learning rate has no `Result after N steps`")
        if k != self.step:
            self.fail(ln, "`Result after N steps` does not match the steps printed", self.step, k)
        if taken is not None and k != taken:
            self.fail(ln, "the title's count of steps taken differs from the result", taken, k)
        if self.title and self.title[0] == "stopped" and not (self.history and self.history[-1].get("nonfinite")):
            self.fail(ln, "the title says a value stopped being finite, but the last step printed has none")
        if self.title and self.title[0] == "all" and self.history and self.history[-1].get("nonfinite") \
                and k < self.title[1]:
            self.fail(ln, "training stopped early, but the title does not say so")
        self.result_k = k
        self.ctx = "after"
        self.after_state = None
        self.begin_section(ln, "after")

    # -- the lines of a step ----------------------------------------------------------------

    def section_line(self, i, ln, raw, text) -> int:
        if self.ctx == "after" and (self.after_state != "forward" or text == "final parameters:"):
            return self.result_line(i, ln, raw, text)
        if HEADER.match(text):
            self.begin_stage(ln, raw, text)
            return i + 1
        if text.startswith("Note: "):
            self.net_note(ln, raw, text[6:])
            return i + 1
        st = self.stage
        if st is None:
            self.fail(ln, f"line not understood (before the first stage): {text!r}")
            return i + 1
        if st.prose_seen < len(st.prose) and text == st.prose[st.prose_seen]:
            self.indent(ln, raw, 4, "prose")
            st.prose_seen += 1
            return i + 1
        if text in SIGN_PROSE or text == BIAS_PROSE or (text.startswith("(") and text.endswith(")")
                                                         and st.kind == "xgrad"):
            self.count["structure"] += 1
            if st.kind == "xgrad" and st.prose and st.prose_seen == 0:
                self.fail(ln, "the explanation of the full convolution does not match the layer", st.prose[0], text)
                st.prose_seen = 1
            else:
                self.fail(ln, "an explanation out of place (it is given once, in the first step, in its stage)")
            return i + 1
        if st.formula and text.startswith(st.formula[0]) and re.match(r"\S+\[[a-z,]+\] = Σ", text):
            self.indent(ln, raw, 4, "a general formula")
            self.count["structure"] += 1
            if st.formula_seen or st.group().num_pos or st.group().sym_pos:
                self.fail(ln, "the general formula comes once, before the stage's equations")
            st.formula_seen = True
            st.formula[1](ln, text)
            return i + 1
        m = re.fullmatch(r"(\S+) (=|≈) \[(.*) \]", text)
        if m and parse_name(m.group(1)) is not None:
            return self.stage_matrix(i, ln, raw, m.group(1), m.group(2), m.group(3))
        m = re.fullmatch(rf"(\S+) (=|≈) ({NUM})", text)
        g = st.group()
        if m and g is not None and not g.tensor.dims and g.mats and g.num_pos == len(g.keys) \
                and m.group(1) == g.mats[0][0]:
            return self.stage_matrix(i, ln, raw, m.group(1), m.group(2), m.group(3))
        m = re.fullmatch(r"(log p(?:⁽⁰⁾)?\[\d+(?:,\d+)*\]) (=) (.*)", text) or re.fullmatch(r"(\S+) (=|←) (.*)", text)
        if m and (m.group(1).startswith("log p") or parse_name(m.group(1)) is not None):
            return self.net_equation(i, ln, raw, m.group(1), m.group(2), m.group(3))
        if re.search(r"\d", text):
            self.fail(ln, f"line not understood, its numbers are unchecked: {text!r}")
        else:
            self.fail(ln, f"line not understood (in {st.kind}): {text!r}")
        return i + 1

    def begin_stage(self, ln, raw, text):
        self.indent(ln, raw, 2, "a stage's heading")
        self.close_stage(ln)
        self.count["structure"] += 1
        key = HEADER.match(text).group(1)
        found = None
        for k in range(self.si, len(self.stages)):
            st = self.stages[k]
            if st.header == text or HEADER.match(st.header).group(1) == key or \
                    (st.header_prefix and text.startswith(st.header)):
                found = k
                break
        if found is None:
            self.fail(ln, f"a stage that does not belong here: {text!r}",
                      self.stages[self.si].header if self.si < len(self.stages) else "none", text)
            self.stage = None
            return
        in_mistake = self.ctx == "mistake" and self.m_phase == "back"
        missing = [st.header for st in self.stages[self.si:found] if not st.optional]
        for st in self.stages[self.si:found]:
            if st.optional:
                self.input_grad = False
            elif not in_mistake:
                self.fail(ln, f"the stage `{st.header}` is missing before this one")
        if missing and in_mistake:
            self.m_broken = True
            self.fail(ln, f"mistake {self.m_k}: {len(missing)} stage(s) of the recipe's backward pass missing before this "
                          f"one: " + "; ".join(f"`{h}`" for h in missing))
        if self.m_broken and in_mistake:
            # the values the rest of the recipe's backward pass (and its update) stand on are not
            # printed: it is not checked; the forward pass after it takes the parameters as printed
            self.note(ln, f"mistake {self.m_k}: a stage before this one is missing, so the rest of the recipe's "
                          f"backward pass and its update are not checked")
            self.stage, self.si = None, len(self.stages)
            return
        st = self.stages[found]
        if st.header != text and not (st.header_prefix and text.startswith(st.header)):
            self.fail(ln, "the stage's heading does not follow from Given", st.header + ("…" if st.header_prefix else ""),
                      text)
        if st.build is not None and not st.built:
            st.groups, st.built = st.build(st), True
        if st.optional:
            self.input_grad = True
        self.si = found + 1
        self.stage = st
        st.line = ln
        if self.ctx == "after" and self.after_state is None:
            self.fail(ln, "the last forward pass begins with `A last forward pass, with the final parameters:`")
            self.after_state = "forward"

    def close_stage(self, ln):
        st = self.stage
        if st is None:
            return
        self.close_group(ln)
        for g in st.groups[st.gi + 1:]:
            self.fail(ln, f"{st.header}: no equations printed for {g.tensor.prefix}{g.tensor.close}")
        if st.prose_seen < len(st.prose):
            self.fail(ln, f"{st.header}: the first step explains it", st.prose[st.prose_seen], "nothing")
        if st.formula and not st.formula_seen:
            self.fail(ln, f"{st.header}: no general formula")
        self.stage = None

    def close_group(self, ln):
        """The end of the current group: every entry's equation and every matrix printed; the
        notes its values call for."""
        st = self.stage
        g = st.group() if st else None
        if g is None:
            return
        if g.num_pos < len(g.keys):
            self.fail(ln, f"no equation printed for {', '.join(g.keys[g.num_pos:][:4])}"
                          f"{' …' if len(g.keys) - g.num_pos > 4 else ''}")
            g.num_pos = len(g.keys)
        if g.mat_pos < len(g.mats):
            self.fail(ln, f"the matrices of {g.tensor.prefix}{g.tensor.close} are not printed",
                      ", ".join(m[0] for m in g.mats[g.mat_pos:]), "none")
            g.mat_pos = len(g.mats)
        taken = getattr(g, "taken", None)
        if taken is not None:
            windows = {name for e in g.expect.values() if e.optional for name, o in e.optional if o}
            windows |= set(taken)
            for w in sorted(windows):
                self.count["structure"] += 1
                if len(taken.get(w, [])) != 1:
                    self.fail(ln, f"{w}: the window's gradient goes to exactly one of the entries it picked (those that "
                                  f"print as its maximum), not to {len(taken.get(w, []))}", 1, len(taken.get(w, [])))
        for kind in g.notes - g.noted:
            want = self.note_wanted(kind, st, g)
            if want:
                self.fail(ln, f"{want}, but no note says so")
        st.gi += 1

    def order_of(self, ln, g: Group, lhs: str, phase: str) -> bool:
        """The order of a group's lines: every entry in order, in the symbolic form first every
        symbolic line (an empty sum has none), then every numbers line."""
        self.count["structure"] += 1
        if phase == "sym":
            if g.num_pos:
                self.fail(ln, f"{lhs}: a symbolic line after the numbers lines of {g.tensor.prefix}{g.tensor.close}")
                return False
            want = g.sym[g.sym_pos] if g.sym_pos < len(g.sym) else None
            while want is not None and want != lhs and g.expect[want].optional is not None and lhs in g.sym[g.sym_pos:]:
                # an entry that may have taken no window's gradient: it has no symbolic line
                g.sym_pos += 1
                want = g.sym[g.sym_pos] if g.sym_pos < len(g.sym) else None
            if lhs != want:
                self.fail(ln, f"{lhs}: a symbolic line out of order", want, lhs)
                if lhs in g.sym[g.sym_pos:]:
                    g.sym_pos = g.sym.index(lhs, g.sym_pos) + 1
                return False
            g.sym_pos += 1
            return True
        if self.form == "symbolic" and g.sym_pos < len(g.sym):
            self.fail(ln, f"{lhs}: a numbers line before the symbolic lines of {g.tensor.prefix}{g.tensor.close} "
                          f"are all printed (missing {g.sym[g.sym_pos]})")
            g.sym_pos = len(g.sym)
        want = g.keys[g.num_pos] if g.num_pos < len(g.keys) else None
        if lhs != want:
            if lhs in g.keys[g.num_pos:]:
                k = g.keys.index(lhs, g.num_pos)
                self.fail(ln, f"no equation printed for {', '.join(g.keys[g.num_pos:k])} (before {lhs})")
                g.num_pos = k + 1
            else:
                self.fail(ln, f"{lhs}: printed out of order or twice", want, lhs)
            return False
        g.num_pos += 1
        return True

    def set_form(self, ln, form: str):
        if self.form is None:
            self.form = form
        elif self.form != form:
            self.fail(ln, f"a {form} line in a derivation of the {self.form} form")

    def net_equation(self, i, ln, raw, lhs, op, rhs) -> int:
        st = self.stage
        g = st.group()
        if g is None or lhs not in g.expect:
            later = next((k for k in range(st.gi + 1, len(st.groups)) if lhs in st.groups[k].expect), None)
            if later is None:
                self.fail(ln, f"{lhs}: no equation of this name belongs here ({st.header})")
                return i + 1
            while st.gi < later:
                self.close_group(ln)
            g = st.group()
        exp = g.expect[lhs]
        self.indent(ln, raw, 4, lhs)
        self.count["structure"] += 1
        if exp.optional is not None:
            self.resolve_optional(g, exp, rhs)
        src = self.passed_on(lhs, exp)
        if src is not None and op == "=":
            self.pass_line(ln, g, lhs, rhs, src)
            return i + 1
        if exp.kind in WORKED and op == "=":
            return self.worked_line(i, ln, raw, g, lhs, rhs, exp)
        if (op == "←") != (exp.kind == "update"):
            self.fail(ln, f"{lhs}: {'an update is written with ←' if exp.kind == 'update' else 'not an update, so ='}")
        numbers = bool(NUMBERS_END.search(rhs)) or "   (" in rhs or bool(re.fullmatch(NUM, rhs))
        key = f"{lhs} ←" if op == "←" else lhs
        if not numbers:
            nxt = self.lines[i + 1][1].strip() if i + 1 < len(self.lines) else ""
            if exp.kind == "sum" and exp.named and CONT.match(nxt):
                self.set_form(ln, "numeric")
                self.order_of(ln, g, lhs, "num")
                return self.named_sum(i, ln, raw, lhs, rhs)
            self.set_form(ln, "symbolic")
            self.order_of(ln, g, lhs, "sym")
            self.symbolic_net(ln, key, lhs, rhs, exp)
            return i + 1
        self.order_of(ln, g, lhs, "num")
        if exp.kind == "sum" and not exp.terms:
            self.count["equations"] += 1
            want = f"0   ({exp.empty})"
            if rhs != want:
                self.fail(ln, f"{lhs}: an empty sum" if rhs.startswith("0   (") else f"{lhs}: its sum has no terms",
                          want, rhs)
            self.store(lhs, ln, "0", "=")
            return i + 1
        if self.form == "numeric" and exp.kind == "sum" and exp.named:
            self.fail(ln, f"{lhs}: a numbers line without the names of its terms above it")
        if self.form == "symbolic":
            self.numeric_done(ln, key)
            self.pending.pop(key, None)
        m = NET_RESULT.match(rhs) if exp.kind != "slope" else None
        if exp.kind == "sum":
            if not m:
                self.fail(ln, f"{lhs}: not of the form `numbers = result`: {rhs!r}")
                return i + 1
            self.sum_numbers(ln, lhs, ["·".join(t) for t in exp.terms], m.group(1), m.group(2), m.group(3))
        elif exp.kind == "act":
            if not m:
                self.fail(ln, f"{lhs}: not of the form `f(z) = result`: {rhs!r}")
                return i + 1
            self.count["equations"] += 1
            L = exp.layer
            self.activation_value(ln, lhs, exp.z, L.act, L.alpha, m.group(1), m.group(2), m.group(3))
        elif exp.kind == "slope":
            self.slope_net(ln, lhs, rhs, exp)
        elif exp.kind == "diff":
            if not m:
                self.fail(ln, f"{lhs}: not of the form `y − t = result`: {rhs!r}")
                return i + 1
            self.difference_value(ln, lhs, (exp.y, exp.t), (exp.y.split("[")[0], "t"), m.group(1), m.group(2),
                                  m.group(3), self.gscale, "∂L/∂y")
        elif exp.kind == "upstream":
            self.upstream(ln, lhs, rhs, exp)
        elif exp.kind == "loss":
            if not m:
                self.fail(ln, f"L: not of the form `L = … = result`: {rhs!r}")
                return i + 1
            self.loss_value(ln, m.group(1), m.group(2), m.group(3), exp.pairs, self.lscale)
        elif exp.kind == "update":
            self.update_net(ln, lhs, rhs, exp)
        return i + 1

    PASS_LHS = ("∂L/∂b", "∂L/∂x", "∂L/∂y", "∂L/∂v", "δ", "S")
    PASS_SRC = ("δ", "∂L/∂y", "e")

    def passed_on(self, lhs, exp: Expect):
        """The name a sum of one term passes on as it is (a gradient δ or ∂L/∂y taken over
        unchanged: a bias gradient of one position, a max pool's entry that one window picked),
        whose number is then said once: `∂L/∂b⁽²⁾ = δ⁽²⁾[0,0] = −0.75`; None for any other
        equation."""
        if exp.kind != "sum" or exp.scale != 1 or not exp.terms or len(exp.terms) != 1 or len(exp.terms[0]) != 1:
            return None
        src = exp.terms[0][0]
        a, b = parse_name(lhs), parse_name(src)
        if a is None or b is None or a[0] not in self.PASS_LHS or b[0] not in self.PASS_SRC:
            return None
        return src

    def pass_line(self, ln, g: Group, lhs, rhs, src):
        """`lhs = src = v` (or, in the symbolic form, `lhs = src` first): the value of src passed
        on, its number a printing of src's value (quoted as a standalone number is: `=` for the
        double's own decimal, `≈` for a rounding)."""
        if rhs == src:
            self.set_form(ln, "symbolic")
            self.order_of(ln, g, lhs, "sym")
            self.count["equations"] += 1
            self.mark_symbolic(ln, lhs, [src])
            return
        self.order_of(ln, g, lhs, "num")
        self.count["equations"] += 1
        m = re.fullmatch(rf"(\S+) {SIGN} ({NUM})", rhs)
        if not m or m.group(1) != src:
            self.fail(ln, f"{lhs}: not `{src} = its value` (a sum of one term passes that value on as it is): "
                          f"{rhs!r}")
            return
        if self.form == "symbolic":
            self.numeric_done(ln, lhs)
        sign, text = m.group(2), m.group(3)
        rec = self.lookup(src)
        self.quote(ln, f"{lhs} (the value of {src} passed on)", src, rec, "≈" if sign == "≈" else "", text)
        if sign == "=":
            rounded = False
        elif rec is not None and text == rec.text and rec.rounded is not False:
            rounded = rec.rounded
        else:
            rounded = True
        if lhs in self.sv:
            self.fail(ln, f"{lhs} printed twice in this section (first on line {self.sv[lhs].line})")
        self.sv[lhs] = Val(text, rounded, ln, approx=sign == "≈")
        self.saw_value(lhs, self.sv[lhs])

    def resolve_optional(self, g: Group, exp: Expect, rhs: str):
        """The terms of an entry that may or may not take an ambiguous window's gradient: the
        required ones and the optional ones its line prints (each such window's gradient goes to
        exactly one of the entries it may have picked: checked when the group ends)."""
        terms = []
        for name, optional in exp.optional:
            if not optional or name in rhs:
                terms.append([name])
            if optional and name in rhs:
                g.taken.setdefault(name, []).append(rhs)
        exp.terms, exp.optional = terms, None

    def worked_names(self, exp: Expect) -> str:
        """The names line of a max, a softmax's e[k], p[k] and its loss: `max(a, b, c)`,
        `exp(z[0] − m)`, `e[0]/S`, `−[t[0]·log(p[0]) + …]` (one term without the brackets)."""
        if exp.kind == "max":
            return f"max({', '.join(exp.terms)})"
        if exp.kind == "exp":
            return f"exp({exp.z} − m)"
        if exp.kind == "ratio":
            return f"{exp.z}/S"
        if exp.kind == "logp":
            return f"{exp.z} − m − log(S)"
        if exp.kind == "celog":
            body = " + ".join(f"{t}·{lp}" for t, lp in exp.pairs)
            return f"−[{body}]" if len(exp.pairs) > 1 else f"−{body}"
        body = " + ".join(f"{t}·log({p})" for t, p in exp.pairs)
        return f"−[{body}]" if len(exp.pairs) > 1 else f"−{body}"

    def worked_line(self, i, ln, raw, g: Group, lhs, rhs, exp: Expect) -> int:
        """A max, e[k] = exp(z[k] − m), p[k] = e[k]/S or the cross-entropy: in the numeric form
        its names line and under it `= numbers = result`, in the symbolic form the names line
        and further down `lhs = numbers = result`."""
        names = self.worked_names(exp)
        numbers = bool(NUMBERS_END.search(rhs)) or "   (" in rhs
        if not numbers:
            self.count["equations"] += 1
            if rhs != names:
                self.fail(ln, f"{lhs}: the names line is not the formula of this entry", names, rhs)
            nxt = self.lines[i + 1][1] if i + 1 < len(self.lines) else ""
            if nxt.strip().startswith("= "):
                self.set_form(ln, "numeric")
                self.order_of(ln, g, lhs, "num")
                ln2 = self.lines[i + 1][0]
                want_lead = raw[: indent_of(raw)] + " " * len(lhs) + " = "
                if not nxt.startswith(want_lead):
                    self.fail(ln2, f"{lhs}: the `=` of the numbers line is not under the `=` of the names line")
                self.worked_numbers(ln2, lhs, exp, nxt.strip()[2:])
                return i + 2
            self.set_form(ln, "symbolic")
            self.order_of(ln, g, lhs, "sym")
            self.mark_symbolic(ln, lhs)
            return i + 1
        self.order_of(ln, g, lhs, "num")
        if self.form == "symbolic":
            self.numeric_done(ln, lhs)
        else:
            self.fail(ln, f"{lhs}: a numbers line without the names of its operands above it")
        self.worked_numbers(ln, lhs, exp, rhs)
        return i + 1

    def worked_numbers(self, ln, lhs, exp: Expect, text):
        """`max(1, −2) = 1`, `exp(a − b) ≈ v`, `a/b ≈ v`, `−[t·log(p) + …] ≈ v`: each operand a
        printing of the value of the name it stands for, the result what they give (a max and a
        ratio exactly, exp and log in float with a margin of a few units in the last place, as
        σ and tanh). A max notes a tie (`(a tie between a and b; the first, a, is taken)`) exactly
        where the printed maximum is reached by more than one entry, and its pick is kept (for
        the max pool's backward pass)."""
        reason = None
        m = re.fullmatch(r"(.*?)   \((a tie between .*)\)", text)
        if m:
            text, reason = m.group(1), m.group(2)
        m = NET_RESULT.match(text)
        if not m:
            self.count["equations"] += 1
            self.fail(ln, f"{lhs}: not of the form `numbers = result`: {text!r}")
            return
        body, sign, result = m.group(1), m.group(2), m.group(3)
        if reason is not None and exp.kind != "max":
            self.fail(ln, f"{lhs}: a note on a tie belongs to a max only")
        if exp.kind == "max":
            self.max_value(ln, lhs, exp, body, sign, result, reason)
        elif exp.kind == "exp":
            mm = re.fullmatch(rf"exp\(({NUM}) − ({FAC})\)", body)
            if not mm:
                self.count["equations"] += 1
                self.fail(ln, f"{lhs}: not of the form exp(z − m): {body!r}")
            else:
                ok = [self.operand(ln, exp.z, mm.group(1), lhs, "lead"), self.operand(ln, "m", mm.group(2), lhs, "term")]
                d = parse_value(mm.group(1)) - parse_value(mm.group(2).strip("()")) \
                    if finite(parse_value(mm.group(1))) and finite(parse_value(mm.group(2).strip("()"))) else None
                if d is None:
                    a, b = to_float(parse_value(mm.group(1))), to_float(parse_value(mm.group(2).strip("()")))
                    self.float_value(ln, lhs, "exp", math.exp(a - b) if not math.isnan(a - b) else math.nan,
                                     None, sign, result)
                else:
                    df = to_float(d)
                    f = math.exp(df) if df < 710 else math.inf
                    exact = Fraction(1) if d == 0 else None
                    self.float_value(ln, lhs, "exp", f, exact, sign, result, margin=abs(df) + 8)
        elif exp.kind == "ratio":
            mm = re.fullmatch(rf"({FAC})/({FAC})", body)
            if not mm:
                self.count["equations"] += 1
                self.fail(ln, f"{lhs}: not of the form e/S: {body!r}")
            else:
                ok = [self.operand(ln, exp.z, mm.group(1), lhs, "factor"),
                      self.operand(ln, "S", mm.group(2), lhs, "factor")]
                self.judge(ln, lhs, f"{mm.group(1)}/{mm.group(2)}", ok, sign, result)
                # a softmax's p is written `≈` however its operands come out: a quotient that they
                # give exactly may be the double itself
                if self.verdicts.get(ln) is True:
                    self.verdicts[ln] = MAYBE
        elif exp.kind == "logp":
            self.logp_value(ln, lhs, exp, body, sign, result)
        elif exp.kind == "celog":
            self.celog_value(ln, lhs, exp, body, sign, result)
        else:
            self.ce_value(ln, lhs, exp, body, sign, result)
        self.store(lhs, ln, result, sign)

    def logp_value(self, ln, lhs, exp: Expect, body, sign, result):
        """`z − m − log(S) ≈ v`: z the logit, m and S as this stage printed them, v what they give
        in float (log evaluated in float, with a margin of a few units in the last place)."""
        mm = re.fullmatch(rf"({NUM}) − ({FAC}) − log\(({NUM})\)", body)
        if not mm:
            self.count["equations"] += 1
            self.fail(ln, f"{lhs}: not of the form z − m − log(S): {body!r}")
            return
        self.operand(ln, exp.z, mm.group(1), lhs, "lead")
        self.operand(ln, "m", mm.group(2), lhs, "term")
        self.operand(ln, "S", mm.group(3), lhs, "lead")
        z, mv, S = (parse_value(t.strip("()")) for t in mm.groups())
        if finite(z) and finite(mv) and finite(S) and S > 0:
            d = z - mv
            f = to_float(d) - math.log(S)
            exact = d if S == 1 else None
        else:
            zf, mf, Sf = to_float(z), to_float(mv), to_float(S)
            f = zf - mf - (math.log(Sf) if Sf > 0 and not math.isnan(Sf) else (-math.inf if Sf == 0 else math.nan))
            exact = None
        self.float_value(ln, lhs, "z − m − log(S)", f, exact, sign, result)

    def celog_value(self, ln, lhs, exp: Expect, body, sign, result):
        """`−[t·l + …] ≈ v` over the classes the target wants: each t and log p a printing of its
        value (in a product, a negative one or one with a power of ten in parentheses), L their
        −Σ t·l exactly, by the arithmetic rule."""
        mm = re.fullmatch(r"−\[(.*)\]", body) if len(exp.pairs) > 1 else re.fullmatch(r"−(.*)", body)
        parts = mm.group(1).split(" + ") if mm else []
        if not mm or len(parts) != len(exp.pairs):
            self.count["equations"] += 1
            self.fail(ln, f"{lhs}: not of the form −[t·log p + …] with a term per class the target wants: {body!r}")
            return
        ok = [True]
        for (tname, lname), part in zip(exp.pairs, parts):
            m2 = re.fullmatch(rf"({FAC})·({FAC})", part)
            if not m2:
                self.count["equations"] += 1
                self.fail(ln, f"{lhs}: term {part!r} is not of the form t·log p")
                return
            ok.append(self.operand(ln, tname, m2.group(1), lhs, "factor"))
            ok.append(self.operand(ln, lname, m2.group(2), lhs, "factor"))
        self.judge(ln, lhs, f"0 − [{' + '.join(parts)}]", ok, sign, result)

    def float_value(self, ln, lhs, what, f, exact, sign, result, margin=8, spread_r=Fraction(0)):
        """A result computed in float (exp, log): within half a unit in its last digit and
        `margin` units in the last place of f (and `spread_r`, what the operands' own printing
        moves it) of f; `=` only where the value is known exactly (`exact`)."""
        self.count["equations"] += 1
        printed = parse_value(result)
        self.number(ln, lhs, result, True if sign == "=" else None)
        self.reasons.pop(ln, None) and self.fail(ln, f"{lhs}: an f64-rounding reason on {what}")
        if not finite(printed) or not math.isfinite(f):
            if not same(f if not math.isfinite(f) else Fraction(f), printed):
                self.fail(ln, f"{lhs}: {what} of the printed operands is {show(f)}, not {result}", show(f), result)
            # ∞ and NaN are exact; a finite result these operands do not give tells nothing
            self.verdicts[ln] = False if not finite(printed) else MAYBE
            return
        if sign == "=":
            if exact is None or exact != printed:
                self.fail(ln, f"{lhs}: {what} of these operands is not {result} exactly (`≈` expected)",
                          f"≈ {f:.12g}".replace("-", "−"), f"= {result}")
            self.verdicts[ln] = False
            return
        tol = half_unit(printed, precision(result)) + Fraction(margin * 2.0 ** -52 * abs(f) + 1e-300) + spread_r
        if abs(Fraction(f) - printed) > tol:
            self.fail(ln, f"{lhs}: the printed operands do not give the rounded result to its {precision(result)} "
                          f"significant digits ({what} evaluated in float)", f"{f:.17g}".replace("-", "−"), result)
        self.verdicts[ln] = MAYBE if Fraction(f) == printed else True

    def max_value(self, ln, lhs, exp: Expect, body, sign, result, reason):
        self.count["equations"] += 1
        if not (body.startswith("max(") and body.endswith(")")):
            self.fail(ln, f"{lhs}: not of the form max(a, b, …): {body!r}")
            return
        texts = body[4:-1].split(", ")
        if len(texts) != len(exp.terms):
            self.fail(ln, f"{lhs}: the max has {len(texts)} operands, its window {len(exp.terms)}", len(exp.terms),
                      len(texts))
            return
        vals, ok = [], []
        for name, t in zip(exp.terms, texts):
            ok.append(self.operand(ln, name, t, lhs, "lead"))
            try:
                vals.append(parse_value(t))
            except ValueError:
                return
        # the largest, the first of equal ones; a NaN is taken (the last of them), as PyTorch does
        nans = [k for k, v in enumerate(vals) if isinstance(v, float) and math.isnan(v)]
        if nans:
            pick = nans[-1]
        else:
            pick = max(range(len(vals)), key=lambda k: (vals[k], -k))
        E = vals[pick]
        self.count["equations"] -= 1
        self.compare(ln, lhs, E, abs(E) if finite(E) else 0, sign, result, all(ok), 1)
        # the entries that print as the maximum: one of them is the largest double; the printing
        # tells which only where they are equal (a tie, noted) or there is one
        same_k = [k for k, v in enumerate(vals) if same(v, E)] if not nans else [pick]
        tied = []
        if reason is not None:
            mm = re.fullmatch(r"a tie between (.+); the first, (\S+), is taken", reason)
            named = names_of(mm.group(1)) if mm else None
            self.count["structure"] += 1
            if not mm or named != [exp.terms[k] for k in same_k] or mm.group(2) != exp.terms[same_k[0]]:
                self.fail(ln, f"{lhs}: the tie's note names the entries the printed maximum is reached by, the first "
                              f"taken", f"a tie between {name_list([exp.terms[k] for k in same_k])}; the first, "
                              f"{exp.terms[same_k[0]]}, is taken", reason)
            if len(same_k) < 2:
                self.fail(ln, f"{lhs}: a tie noted, but only {exp.terms[same_k[0]]} is printed as the maximum")
            tied = [exp.terms[k] for k in same_k]
        elif len(same_k) > 1 and all(ok[k] for k in same_k):
            # printed exactly alike: the same double, a tie
            self.count["structure"] += 1
            self.fail(ln, f"{lhs}: {name_list([exp.terms[k] for k in same_k])} are equal (printed exactly), a tie, but "
                          f"no note says which is taken", "(a tie between …; the first, …, is taken)", "nothing")
        elif len(same_k) > 1 and lhs != "m":
            # printed alike, rounded, and not a tie (a softmax's m is any of them: p is the same): the digits do not show which is the largest
            self.count["structure"] += 1
            self.fail(ln, f"{lhs}: {name_list([exp.terms[k] for k in same_k])} print alike as the maximum, and no tie is "
                          f"noted: the printing does not show which of them is the largest (the one the backward pass "
                          f"routes to); they need more digits", "digits that tell them apart", body)
        if lhs != "m":
            g = self.stage.group() if self.stage else None
            if tied and g is not None:
                g.ties.append((lhs, tied))
            if tied:
                self.tied[lhs] = tied
            # which entry takes the window's gradient: the first of a tie; where entries print
            # alike without a tie, the largest of them, which the printing does not tell (any)
            self.picks[lhs] = exp.terms[same_k[0]] if (len(same_k) == 1 or tied) else \
                tuple(exp.terms[k] for k in same_k)

    def ce_value(self, ln, lhs, exp: Expect, body, sign, result):
        """`−[t[0]·log(p[0]) + …] ≈ v`: t and p printings of their values, L = −Σ t·log p over
        the terms whose t is not 0 (whatever log p is), in float."""
        if len(exp.pairs) > 1:
            mm = re.fullmatch(r"−\[(.*)\]", body)
        else:
            mm = re.fullmatch(r"−(.*)", body)
        parts = mm.group(1).split(" + ") if mm else []
        if not mm or len(parts) != len(exp.pairs):
            self.count["equations"] += 1
            self.fail(ln, f"{lhs}: not of the form −[t·log(p) + …] with a term per class: {body!r}")
            return
        total, size = 0.0, 0.0
        nonfinite = None
        for (tname, pname), part in zip(exp.pairs, parts):
            m2 = re.fullmatch(rf"({FAC})·log\(({NUM})\)", part)
            if not m2:
                self.count["equations"] += 1
                self.fail(ln, f"{lhs}: term {part!r} is not of the form t·log(p)")
                return
            self.operand(ln, tname, m2.group(1), lhs, "factor")
            self.operand(ln, pname, m2.group(2), lhs, "lead")
            t, pv = parse_value(m2.group(1).strip("()")), parse_value(m2.group(2))
            if t == 0:
                continue
            tf, pf = to_float(t), to_float(pv)
            if isinstance(pv, float) and math.isnan(pv) or pf < 0 or not math.isfinite(tf):
                nonfinite = math.nan
                continue
            lg = math.log(pf) if pf > 0 else -math.inf
            if math.isinf(lg) or math.isinf(pf):
                nonfinite = (nonfinite or 0.0) + (-tf * lg)
                continue
            total += -tf * lg
            size += abs(tf * lg)
        f = nonfinite if nonfinite is not None else total
        exact = Fraction(0) if nonfinite is None and size == 0 else None
        self.float_value(ln, lhs, "the cross-entropy", f, exact, sign, result, margin=8 * len(parts) + 2)

    def expect_of(self, lhs):
        g = self.stage.group() if self.stage else None
        return g.expect.get(lhs) if g else None

    def unscale(self, ln, lhs, text: str) -> str:
        """A sum's terms without the factor in front (`(1/4)[a + b + …]` → `a + b + …`): the
        factor its definition has, or none."""
        exp = self.expect_of(lhs)
        want = exp.scale if exp is not None else Fraction(1)
        one = exp is not None and exp.terms is not None and len(exp.terms) == 1
        if one and want != 1:
            # one term: `(1/4)·a`
            self.count["structure"] += 1
            lead = scale_text(want) + "·"
            # (in an exact derivation, read as a fraction in front of a number: `(1⁄4)·(3⁄2)`)
            if text.startswith((lead, lead.replace("/", FRAC_SLASH))):
                return text[len(lead):]
            self.fail(ln, f"{lhs}: the factor in front of the sum differs from its definition", lead, text)
            return text
        stext, scale, body = split_scale(text)
        self.count["structure"] += 1
        form_ok = stext is None or (text[len(stext):].startswith("·") if one else
                                    (body != text and text.endswith("]") and text[len(stext):].startswith("[")))
        if scale != want or not form_ok:
            self.fail(ln, f"{lhs}: the factor in front of the sum differs from its definition",
                      scale_text(want) if want != 1 else "none", stext or "none")
        return body if stext is not None else text

    def named_sum(self, i, ln, raw, lhs, names) -> int:
        return super().named_sum(i, ln, raw, lhs, self.unscale(ln, lhs, names))

    def sum_numbers(self, ln2, lhs, terms, body, sign, result, scale=Fraction(1), alone="lead"):
        exp = self.expect_of(lhs)
        if exp is not None and exp.scale != 1:
            body, scale = self.unscale(ln2, lhs, body), exp.scale
            alone = "factor"  # `(1/4)·(−0.5)`: a factor of the product with the scale
        super().sum_numbers(ln2, lhs, terms, body, sign, result, scale, alone)

    def symbolic_net(self, ln, key, lhs, rhs, exp: Expect):
        """A line with names only: the formula of its entry."""
        self.count["equations"] += 1
        if exp.kind == "sum":
            terms = self.unscale(ln, lhs, rhs).split(" + ")
            self.check_terms(ln, lhs, terms, rhs)
            self.mark_symbolic(ln, key, terms)
            return
        want = self.symbolic_text(exp)
        ok = rhs == want
        if not ok and exp.kind in ("loss", "diff"):
            # a factor written differently (as (2/18) for (1/9)) is still the same factor
            stext, scale, body = split_scale(rhs)
            wtext, wscale, wbody = split_scale(want)
            ok = stext is not None and scale == wscale and body == wbody
        if not ok:
            self.fail(ln, f"{key}: the symbolic line is not the formula for this entry", want, rhs)
        self.mark_symbolic(ln, key)

    def symbolic_text(self, exp: Expect) -> str:
        if exp.kind == "act":
            z = exp.z
            return {"relu": f"max(0, {z})", "sigmoid": f"σ({z})", "tanh": f"tanh({z})",
                    "leaky_relu": f"leaky_relu({z})"}.get(exp.layer.act, "?")
        if exp.kind == "slope":
            z, y = exp.z, exp.y
            return {"relu": f"relu′({z})", "leaky_relu": f"leaky_relu′({z})", "sigmoid": f"{y}·(1 − {y})",
                    "tanh": f"1 − {y}²"}.get(exp.layer.act, "?")
        if exp.kind == "diff":
            d = f"{exp.y} − {exp.t}"
            return d if self.gscale == 1 else f"{self.gscale_text}·({d})"
        if exp.kind == "upstream":
            return exp.g
        if exp.kind == "loss":
            body = " + ".join(f"({y} − {t})²" for y, t in exp.pairs)
            if self.lscale == 1:
                return body
            return f"{self.lscale_text}" + (f"[{body}]" if len(exp.pairs) > 1 else f"·{body}")
        if exp.kind == "update":
            return f"{exp.p} − η·{exp.g}"
        return "?"

    def slope_net(self, ln, lhs, rhs, exp: Expect):
        L = exp.layer
        if L.act in ("sigmoid", "tanh"):
            formula = f"{exp.y}·(1 − {exp.y})" if L.act == "sigmoid" else f"1 − {exp.y}²"
            if not rhs.startswith(formula + " = "):
                self.count["equations"] += 1
                self.fail(ln, f"{lhs}: not of the form {formula} = …: {rhs!r}")
                return
            self.slope_value(ln, lhs, exp.z, exp.y, exp.y, L.act, L.alpha, L.g0, "=", rhs)
            return
        m = re.fullmatch(r"(=|≈) (.*)", "= " + rhs)
        self.slope_value(ln, lhs, exp.z, exp.y, exp.y, L.act, L.alpha, L.g0, m.group(1), m.group(2))

    def upstream(self, ln, lhs, rhs, exp: Expect):
        """`δ[0,0] = g[0,0] = 1`: the given upstream gradient, taken as it is."""
        self.count["equations"] += 1
        m = re.fullmatch(rf"(\S+) {SIGN} ({NUM})", rhs)
        if not m or m.group(1) != exp.g:
            self.fail(ln, f"{lhs}: not `{exp.g} = its value`: {rhs!r}")
            return
        sign, text = m.group(2), m.group(3)
        rec = self.lookup(exp.g)
        self.count["operands"] += 1
        if rec is None:
            self.fail(ln, f"{lhs}: {exp.g} is not given")
        else:
            self.number(ln, lhs, text, sign == "=")
            if not agree(text, parse_value(text), sign == "≈", rec.text, rec.value, rec.rounded):
                self.fail(ln, f"{lhs}: not the value of {exp.g} (line {rec.line})", rec.text, text)
            elif sign == "=" and rec.rounded is True:
                self.fail(ln, f"{lhs}: {exp.g} is printed rounded, so `≈`", "≈", "=")
        self.store(lhs, ln, text, sign)

    def update_net(self, ln, lhs, rhs, exp: Expect):
        m = re.fullmatch(rf"({NUM}) − ({FAC})·({FAC}) {SIGN} ({NUM})", rhs)
        self.count["equations"] += 1
        if not m:
            self.fail(ln, f"{lhs} ←: not of the form `p − η·g = result`: {rhs!r}")
            return
        self.count["equations"] -= 1
        v = self.update_value(ln, lhs, exp.p, exp.g, m.group(1), m.group(2), m.group(3), m.group(4), m.group(5))
        if lhs in self.new:
            self.fail(ln, f"{lhs} updated twice in this step")
        self.new[lhs] = v
        self.sv[lhs + " ←"] = v

    # -- matrices of a step -----------------------------------------------------------------

    def stage_matrix(self, i, ln, raw, label, sign, first) -> int:
        st = self.stage
        g = st.group()
        self.indent(ln, raw, 4, f"matrix {label}")
        if g is None or not g.mats:
            self.fail(ln, f"matrix {label} where none belongs")
            return i + 1
        if g.num_pos < len(g.keys):
            self.fail(ln, f"matrix {label} before every equation of {g.tensor.prefix}{g.tensor.close} is printed "
                          f"(missing {g.keys[g.num_pos]})")
            g.num_pos = len(g.keys)
        if g.mat_pos >= len(g.mats):
            self.fail(ln, f"matrix {label}: one too many for {g.tensor.prefix}{g.tensor.close}")
            return i + 1
        want, rows_n, cols_n, name_of = g.mats[g.mat_pos]
        g.mat_pos += 1
        self.count["structure"] += 1
        if label != want:
            self.fail(ln, "not the matrix expected here", want, label)
        if rows_n == 0:
            self.count["matrices"] += 1
            rows, cells, vals, j = [(ln, raw, first)], [[first]], [[parse_value(first)]], i + 1
            rows_n = cols_n = 1
        else:
            rows, cells, vals, j = self.read_matrix(i, label, sign, first)
            if vals is None:
                return j
        if (len(cells), len(cells[0])) != (rows_n, cols_n):
            self.fail(ln, f"matrix {label}: wrong shape", f"{rows_n}×{cols_n}", f"{len(cells)}×{len(cells[0])}")
            return j
        if g.copy is not None:
            self.copy_matrix(ln, label, sign, rows, cells, vals, name_of, g)
            return j
        get = (lambda r, c: self.new.get(name_of(r, c))) if st.kind == "update" else \
            (lambda r, c: self.sv.get(name_of(r, c)))
        self.matrix_entries(label, rows, cells, vals, get, name_of)
        # `≈` when an equation of the tensor says `≈` (every matrix of the tensor is marked
        # alike), or an entry is shown rounded
        approx = any(getattr(get_v, "approx", False) for get_v in
                     ((self.new if st.kind == "update" else self.sv).get(k) for k in g.keys))
        shortened = any(get(r, c) is not None and get(r, c).text != cells[r][c]
                        for r in range(len(cells)) for c in range(len(cells[r])))
        want_sign = "≈" if approx or shortened else "="
        if sign != want_sign:
            self.fail(ln, f"matrix {label}: sign should be `{want_sign}` ({'an equation of' if approx else 'no equation of'} "
                          f"{g.tensor.prefix}{g.tensor.close} says `≈`{', an entry is rounded' if shortened else ''})",
                      want_sign, sign)
        return j

    def copy_matrix(self, ln, label, sign, rows, cells, vals, name_of, g: Group):
        """A matrix of values copied, not computed (a flatten's vector, or its gradient folded
        back): each entry a printing of the value it copies (`g.copy`), as printed or rounded to
        6 digits; `≈` where an entry is shown rounded, `=` where every one is the double's own
        decimal. The entries then stand for those values."""
        get = lambda r, c: self.lookup(g.copy[name_of(r, c)])
        self.matrix_entries(label, rows, cells, vals, get, lambda r, c: g.copy[name_of(r, c)])
        recs = [(get(r, c), cells[r][c]) for r in range(len(cells)) for c in range(len(cells[r]))]
        rounded = any(rec is not None and (rec.rounded is True or rec.text != cell) for rec, cell in recs)
        exact = all(rec is not None and rec.rounded is False and rec.text == cell for rec, cell in recs)
        self.count["structure"] += 1
        if rounded and sign != "≈" or exact and sign != "=":
            self.fail(ln, f"matrix {label}: sign should be `{'≈' if rounded else '='}` (the values it copies are "
                          f"{'shown rounded' if rounded else 'all exact'})", "≈" if rounded else "=", sign)
        for r in range(len(cells)):
            for c in range(len(cells[r])):
                name, rec = name_of(r, c), get(r, c)
                if rec is None:
                    continue
                if name in self.sv:
                    self.fail(rows[r][0], f"{name} printed twice in this section (first on line {self.sv[name].line})")
                if sign == "=" and rec.rounded is MAYBE and rec.text == cells[r][c]:
                    rec.rounded = False  # said to be exact here
                self.sv[name] = rec

    # -- notes ------------------------------------------------------------------------------

    def note_wanted(self, kind, st: Stage, g: Group):
        """Why a note of `kind` must follow group g of stage st (a text), or None."""
        if kind == "dead":
            dead = self.dead_entries(st)
            return f"{', '.join(dead)} < 0 (the ReLU of layer {st.layer.k} is off there)" if dead else None
        if kind == "zero":
            vals = [self.sv.get(k) for k in g.keys]
            if vals and all(v is not None and same(v.value, Fraction(0)) for v in vals):
                return f"{g.tensor.prefix} = 0 everywhere"
            return None
        if kind == "underflow":
            low = [g.tensor.name(i) for i, lo in self.wanted_logs(st) if lo]
            return f"{name_list(low)} {'is' if len(low) == 1 else 'are'} below the smallest normal f64" if low else None
        if kind == "tie":
            left = g.ties[getattr(g, "ties_noted", 0):]
            return f"{left[0][0]}'s window ties for the maximum" if left else None
        if kind == "rose":
            before, after = self.loss_before(), self.sv.get("L")
            if before is None or after is None or not finite(before.value):
                return None
            if after.value == math.inf or (finite(after.value) and after.value > before.value
                                           and not agree_vals(before, after)):
                return f"the loss rose from {before.marked()} to {after.marked()}"
        return None

    def tie_note(self, ln, g: Group, m):
        """`y[0,1]: a tie for the maximum, between a and b; the first in row-major order, a, takes
        the whole gradient …`: one per output whose window tied, in order, naming the tie its
        equation noted."""
        done = getattr(g, "ties_noted", 0)
        g.ties_noted = done + 1
        self.count["operands"] += 1
        if done >= len(g.ties):
            self.fail(ln, f"note: a tie for the maximum of {m.group(1)}, but no window of "
                          f"{g.tensor.prefix} ties {'there' if done == 0 else 'but those noted before'}")
            return
        out, tied = g.ties[done]
        want = (out, name_list(tied), tied[0])
        if (m.group(1), m.group(2), m.group(3)) != want:
            self.fail(ln, "note: not the tie of the next window that tied", f"{want[0]}: … between {want[1]}; the "
                                                                            f"first …, {want[2]}, …",
                      f"{m.group(1)}: … between {m.group(2)}; the first …, {m.group(3)}, …")

    def loss_before(self):
        """The loss before this section's (the step before's, if it was written out)."""
        if self.ctx == "mistake":
            return None
        if self.ctx == "step":
            r = self.rec_of(self.step - 1)
        else:
            r = self.rec_of(self.result_k) if self.result_k else None
        return r.get("L") if r else None

    def dead_entries(self, st: Stage) -> list[str]:
        """The inputs of relu layer st.layer that are below 0 in this section (printed in order)."""
        L = st.layer
        ib, il, ish = self.junction(L.k)
        IN = self.tensor(ib, il, ish)
        out = []
        for name in IN.names():
            v = self.lookup(name)
            if v is not None and (finite(v.value) and v.value < 0 or v.value == -math.inf):
                out.append(name)
        return out

    def net_note(self, ln, raw, s):
        self.count["notes"] += 1
        st = self.stage
        m = NONFINITE_NOTE.fullmatch(s)
        if m:
            self.indent(ln, raw, 2, "a note on the first value that is not finite")
            self.close_stage(ln)
            sym, mark, quoted, then = m.groups()
            want_then = "training stops after this step" if self.ctx == "step" else "the final loss is meaningless"
            if then != want_then:
                self.fail(ln, "note: what follows from a value that is not finite", want_then, then)
            f = self.sec_nonfinite
            if self.sec_note is not None:
                self.fail(ln, "a second note on the first value that is not finite")
            self.sec_note = ln
            if f is None:
                self.fail(ln, f"note: no value of this {'step' if self.ctx == 'step' else 'forward pass'} is not finite")
            elif f[0] != sym:
                self.fail(ln, f"note: {sym} is not the first value that is not finite: {f[0]} = {f[1]} came before it, "
                              f"on line {f[2]}", f[0], sym)
            else:
                self.quote(ln, "note", sym, self.sv.get(sym), "≈" if mark == "≈" else "", quoted)
            return
        self.indent(ln, raw, 4, "a note")
        g = st.group() if st else None
        if g is None or g.num_pos < len(g.keys) or g.mat_pos < len(g.mats):
            self.fail(ln, "a note before the equations and matrices it is about are all printed")
            if g is not None:
                g.num_pos, g.mat_pos = len(g.keys), len(g.mats)
        kind = "dead" if DEAD_NOTE.fullmatch(s) else "zero" if ZERO_NOTE.fullmatch(s) else \
            "rose" if RISE_NOTE.fullmatch(s) else "tie" if TIE_NOTE.fullmatch(s) else \
            "underflow" if UNDERFLOW_NOTE.fullmatch(s) else None
        if kind is None:
            self.fail(ln, f"note not understood{', its numbers are unchecked' if re.search(r'[0-9]', s) else ''}: {s!r}")
            return
        if g is None or kind not in g.notes:
            self.fail(ln, f"a note of this kind does not belong here ({st.header if st else 'no stage'}): {s!r}")
            return
        if kind == "tie":
            self.tie_note(ln, g, TIE_NOTE.fullmatch(s))
            return
        if kind in g.noted:
            self.fail(ln, "the same note twice")
            return
        g.noted.add(kind)
        if kind == "underflow":
            self.underflow_note(ln, st, g, UNDERFLOW_NOTE.fullmatch(s))
        elif kind == "dead":
            m = DEAD_NOTE.fullmatch(s)
            names = m.group(1).split(", ")
            dead = self.dead_entries(st)
            self.count["operands"] += len(names)
            if names != dead:
                self.fail(ln, "note: the entries named are not those below 0 (the ReLU is off exactly there)",
                          ", ".join(dead) or "none", m.group(1))
            if int(m.group(2)) != st.layer.k:
                self.fail(ln, "note: the ReLU's layer", st.layer.k, m.group(2))
            if (len(names) == 1) != (m.group(3) == "that entry sends"):
                self.fail(ln, "note: singular/plural mismatch")
        elif kind == "zero":
            m = ZERO_NOTE.fullmatch(s)
            L = st.layer
            want_name = self.dx_text(L) if st.kind == "xgrad" else g.tensor.prefix
            want = f"{want_name} = 0 everywhere: " + (
                "the network's input gets no gradient." if L.k == 0 else
                f"no gradient reaches layer {L.k - 1} or any layer before it, so their parameters get zero gradients "
                f"in this step.")
            if s != want:
                self.fail(ln, "note: not the note on a gradient that is 0 everywhere", want, s)
            vals = [self.sv.get(k) for k in g.keys]
            self.count["operands"] += len(vals)
            if not all(v is not None and same(v.value, Fraction(0)) for v in vals):
                nz = next(k for k, v in zip(g.keys, vals) if v is None or not same(v.value, Fraction(0)))
                self.fail(ln, f"note: says {g.tensor.prefix} = 0 everywhere, but {nz} is not 0", "0",
                          self.sv[nz].text if nz in self.sv else None)
        else:
            m = RISE_NOTE.fullmatch(s)
            k = int(m.group(3))
            want_k = self.step - 1 if self.ctx == "step" else self.result_k
            if k != want_k:
                self.fail(ln, "note: wrong step number", want_k, k)
            before = self.loss_before()
            self.rise_values(ln, k, m.group(1), m.group(2), before, self.sv.get("L"),
                             unprinted=before is None and k >= 1 and self.rec_of(k) is None)
            if before is None and self.rec_of(k) is None:
                self.rose_unprinted = (ln, k, m.group(1))
            if self.ctx == "step":
                self.history[-1]["rose"] = True


    # -- the result -------------------------------------------------------------------------

    def result_line(self, i, ln, raw, text) -> int:
        if text == "A last forward pass, with the final parameters:":
            self.indent(ln, raw, 2, "the last forward pass")
            self.count["structure"] += 1
            if self.after_state not in (None, "noted"):
                self.fail(ln, "the last forward pass comes first in the result")
            self.after_state = "forward"
            return i + 1
        if EXACT and (text.startswith("Note: ") and self.after_state in (None, "noted") and OUTGROWN_NOTE.fullmatch(text)
                      or self.after_state == "trend" and GROWTH_NOTE.fullmatch(text)):
            self.indent(ln, raw, 2, "a note of the result")
            self.count["notes"] += 1
            return i + 1  # checked with the lines they speak of (exact_growth)
        if text.startswith("Note: ") and self.after_state in (None, "noted"):
            self.indent(ln, raw, 2, "a note of the result")
            self.count["notes"] += 1
            m = FIRST_ROSE.fullmatch(text[6:])
            if not m:
                self.fail(ln, f"note not understood: {text[6:]!r}")
            else:
                self.first_rose_note(ln, m)
            self.after_state = "noted"
            return i + 1
        if text == "final parameters:":
            self.indent(ln, raw, 2, "the final parameters")
            self.count["structure"] += 1
            if self.after_state != "forward":
                self.fail(ln, "the final parameters come after the last forward pass")
            self.close_stage(ln)
            self.close_section(ln, "after")
            self.after_L = self.sv.get("L")
            if self.after_L is None:
                self.fail(ln, "the last forward pass has no loss")
            self.after_state = "final"
            self.fq = [(P, mat) for _, P, _ in self.param_tensors() for mat in P.matrices()]
            return i + 1
        if self.after_state == "final":
            m = re.fullmatch(r"(\S+) (=|≈) \[(.*) \]", text) or re.fullmatch(rf"(\S+) (=|≈) ({NUM})", text)
            if m and parse_name(m.group(1)) is not None:
                return self.final_matrix(i, ln, raw, m.group(1), m.group(2), m.group(3))
        m = LOSS_TREND.fullmatch(text)
        if m:
            self.indent(ln, raw, 2, "L: first → final")
            if self.after_state != "final" or self.fq:
                self.fail(ln, "`L: a → b` comes after every final parameter")
            first = self.history[0].get("L") if self.history else None
            self.loss_trend(ln, m, first, self.after_L)
            self.trend_seen = True
            self.after_state = "trend"
            return i + 1
        m = re.fullmatch(r"Summary: the loss at the parameters each step started from"
                         r"(?: \(the first and last ten steps, and one step in every (\d+)\))?", text)
        if m:
            self.indent(ln, raw, 2, "the summary")
            if self.after_state != "trend":
                self.fail(ln, "the summary comes last, after `L: a → b`")
            self.after_state = "summary"
            return self.summary(i, ln, int(m.group(1)) if m.group(1) else None)
        self.fail(ln, f"line not understood in the result: {text!r}")
        return i + 1

    def final_matrix(self, i, ln, raw, label, sign, first) -> int:
        """A final parameter: each entry a printing of the value the last update printed; `≈`
        exactly when an entry is rounded (it may be so where the update said `≈`), else every
        entry is the double's own decimal."""
        self.indent(ln, raw, 4, f"matrix {label}")
        if not self.fq:
            self.fail(ln, f"a final parameter {label} where none is expected")
            return i + 1
        P, (want, rows_n, cols_n, name_of) = self.fq.pop(0)
        self.count["structure"] += 1
        if label != want:
            self.fail(ln, "not the final parameter expected here", want, label)
        if rows_n == 0:
            self.count["matrices"] += 1
            rows, cells, j = [(ln, raw, first)], [[first]], i + 1
        else:
            rows, cells, vals, j = self.read_matrix(i, label, sign, first)
            if vals is None:
                return j
            if (len(cells), len(cells[0])) != (rows_n, cols_n):
                self.fail(ln, f"matrix {label}: wrong shape", f"{rows_n}×{cols_n}", f"{len(cells)}×{len(cells[0])}")
                return j
        known_exact = True
        for r, row in enumerate(cells):
            for c, cell in enumerate(row):
                name = name_of(r, c)
                rec = self.cur.get(name)
                if sign == "=":
                    self.quote(rows[r][0], f"final {label}", name, rec, "", cell)
                    continue
                self.count["operands"] += 1
                if rec is None:
                    self.fail(rows[r][0], f"final {label}: {name} has no value printed before")
                    continue
                v = parse_value(cell)
                self.number(rows[r][0], f"final {label}", cell, None)
                if not all(agree(cell, v, True, o.text, o.value, o.rounded) for o in rec.prints):
                    self.fail(rows[r][0], f"final {label}: {name} is not a printing of its value {rec.marked()} "
                                          f"(line {rec.line})", rec.marked(), cell)
                if not (rec.rounded is False and cell == rec.text) and finite(rec.value):
                    known_exact = False
        if sign == "≈" and known_exact:
            self.fail(ln, f"final {label}: every entry is its exact value, so `=`", "=", "≈")
        return j

    def first_rose_note(self, ln, m):
        """`the loss first rose at step k, from a to b, after step k − 1's update`: where that
        step is not written out."""
        k, ta, tb, k0 = int(m.group(1)), m.group(2), m.group(3), int(m.group(4))
        self.count["operands"] += 2
        if k0 != k - 1:
            self.fail(ln, "note: the update before step k is step k − 1's", k - 1, k0)
        if self.rec_of(k) is not None:
            self.fail(ln, "note: the first rise is noted so only where its step is not written out",
                      "a step not written out", k)
        if any(r.get("rose") for r in self.history if r["k"] < k):
            self.fail(ln, "note: the loss rose earlier, in a step written out")
        for kk, t, what in ((k - 1, ta, "before"), (k, tb, "after")):
            r = self.rec_of(kk)
            if r is not None:
                self.quote(ln, f"note: the loss {what}", "L", r.get("L"), "≈" if t[0] == "≈" else "", t.lstrip("≈"))
            else:
                self.number(ln, "note", t.lstrip("≈"), not t.startswith("≈"))
        self.trend(ln, "note: the loss first rose", ta, tb, "increased")
        self.first_rose = (ln, k, ta, tb)

    def summary_table(self, i, ln, every, header, what="summary header"):
        """The summary table's rows from line i on, its header checked against `header` and its
        row names against the steps its heading (`every`) lists, then "final": `(j, rows,
        cells, names)`, j the line after it; `(j, None, None, None)` for an empty table."""
        j = i + 1
        rows = []
        while j < len(self.lines) and self.lines[j][1].strip():
            rows.append(self.lines[j])
            j += 1
        self.count["matrices"] += 1
        self.summary_seen = True
        if not rows:
            self.fail(ln, "summary table is empty")
            return j, None, None, None
        cells = [r[1].split() for r in rows]
        if cells[0] != header:
            self.fail(rows[0][0], what, "  ".join(header), "  ".join(cells[0]))
        n = self.result_k or 0
        every_want = -(-n // 20) if n else 1
        if every is None:
            steps = list(range(1, n + 1))
        else:
            if every != every_want:
                self.fail(ln, "summary heading: one step in every ⌈steps/20⌉", every_want, every)
            steps = [k + 1 for k in range(n) if k < 10 or k + 10 >= n or k % every_want == 0]
            if len(steps) == n:
                self.fail(ln, "summary heading: says some steps are left out, but every step is listed")
        want_names = [str(k) for k in steps] + ["final"]
        got_names = [c[0] if c else "" for c in cells[1:]]
        self.count["structure"] += 1
        if got_names != want_names:
            missing = [x for x in want_names if x not in got_names]
            extra = [x for x in got_names if x not in want_names]
            self.fail(ln, f"summary: the rows are not the steps its heading says (missing {', '.join(missing) or 'none'}; "
                          f"unexpected {', '.join(extra) or 'none'})", ", ".join(want_names), ", ".join(got_names))
        return j, rows, cells, got_names

    def summary(self, i, ln, every) -> int:
        header = ["step", "L"]
        j, rows, cells, got_names = self.summary_table(i, ln, every, header)
        if rows is None:
            return j
        values = []
        for (lnr, raw), got in zip(rows[1:], cells[1:]):
            if len(got) != 2:
                self.fail(lnr, f"summary row {got[0] if got else '?'}: wrong number of columns", 2, len(got))
            if len(got) < 2:
                values.append([None])
                continue
            name, g = got[0], got[1]
            mark, t = ("≈", g[1:]) if g.startswith("≈") else ("", g)
            try:
                v = parse_value(t)
            except ValueError:
                self.fail(lnr, f"summary row {name}: not a number", "a number", g)
                values.append([None])
                continue
            rec = self.after_L if name == "final" else (self.rec_of(int(name)) or {}).get("L") if name.isdigit() else None
            if rec is not None:
                self.quote(lnr, f"summary row {name}, L", "L", rec, mark, t)
            else:
                self.count["operands"] += 1
                self.number(lnr, f"summary row {name}, L", t, mark == "")
            values.append([(t, v, mark == "≈", rec)])
        self.summary_digits(rows, cells, values, header)
        self.check_aligned(rows, cells, "summary table")
        # the loss before a rise noted against a step not written out, and the first rise
        by_step = {name: vals[0] for name, vals in zip(got_names, values) if vals and vals[0] is not None}
        for note in [getattr(self, "rose_unprinted", None)] + ([(self.first_rose[0], self.first_rose[1] - 1,
                                                                  self.first_rose[2])] if self.first_rose else []):
            if note is None:
                continue
            lnn, kk, t = note
            cell = by_step.get(str(kk))
            if cell is not None and not agree(cell[0], cell[1], cell[2], t.lstrip("≈"), parse_value(t),
                                              t.startswith("≈")):
                self.fail(lnn, f"note: the loss before differs from step {kk}'s L in the summary", cell[0], t)
        if self.first_rose is None:
            for r in range(1, len(got_names)):
                a, b = got_names[r - 1], got_names[r]
                if a.isdigit() and b.isdigit() and int(b) == int(a) + 1 and self.rec_of(int(b)) is None \
                        and a in by_step and b in by_step:
                    (ta, va, ra, _), (tb, vb, rb, _) = by_step[a], by_step[b]
                    if finite(va) and finite(vb) and vb > va and not agree(ta, va, ra, tb, vb, rb) \
                            and not any(h.get("rose") for h in self.history if h["k"] <= int(b)):
                        self.fail(ln, f"summary: the loss rose from step {a} to step {b}, among the steps not written "
                                      f"out, but no note says where it first rose")
                        break
        return j

    def end_result(self, ln):
        self.count["structure"] += 1
        if self.after_state in (None, "noted", "forward"):
            self.fail(ln, "the result ends before its final parameters")
            if self.after_state == "forward":
                self.close_stage(ln)
                self.close_section(ln, "after")
        if self.fq:
            self.fail(ln, f"final parameters not printed: {', '.join(mat[0] for _, mat in self.fq)}")
        if not self.trend_seen and self.history and self.history[0].get("L") is not None:
            self.fail(ln, "no `L: first → final` line")
        if (self.result_k or 0) > 1 and not self.summary_seen:
            self.fail(ln, "more than one step but no summary")
        if (self.result_k or 0) <= 1 and self.summary_seen:
            self.fail(ln, "a summary of one step")
        self.ended = True

    # -- the finite-difference check --------------------------------------------------------

    def begin_fd(self, ln):
        self.count["structure"] += 1
        if not self.ended or self.fd_seen or self.mistakes_seen:
            self.fail(ln, "finite-difference check out of place (it comes once, after the result and before the "
                          "mistakes)")
        self.fd_seen = True
        self.fd_intro = False
        self.ctx = "fd"

    def fd_line(self, i, ln, raw, text) -> int:
        if text in (NET_FD_INTRO, NET_FD_INTRO + EXACT_FD):
            if (text != NET_FD_INTRO) != EXACT:
                self.fail(ln, "the finite-difference check's introduction: an exact derivation (and only one) says "
                              "why its central differences are exact", NET_FD_INTRO + (EXACT_FD if EXACT else ""),
                          text)
            self.indent(ln, raw, 2, "the finite-difference check's introduction")
            self.count["structure"] += 1
            if self.fd_intro or self.fd_steps:
                self.fail(ln, "the finite-difference check's introduction comes once, first")
            self.fd_intro = True
            return i + 1
        m = re.fullmatch(rf"Step (\d+), h ([=≈]) ({NUM})", text)
        if m:
            self.indent(ln, raw, 2, "a step of the finite-difference check")
            if not self.fd_intro:
                self.fail(ln, "the finite-difference check begins with its introduction",
                          NET_FD_INTRO + (EXACT_FD if EXACT else ""), "none")
                self.fd_intro = True
            self.fd_step(ln, int(m.group(1)), m.group(2), m.group(3))
            return i + 1
        if text.startswith("entry"):
            return self.fd_table(i, ln)
        if text.startswith("Note: "):
            self.indent(ln, raw, 6, "a note of the finite-difference check")
            self.fd_note(ln, text[6:])
            return i + 1
        m = re.fullmatch(rf"Largest difference: {MNUM}, at (\S+) of step (\d+)\.", text)
        if m or text in ("No entry could be compared.", EXACT_FD_ZERO):
            self.indent(ln, raw, 2, "the conclusion of the finite-difference check")
            self.fd_end_step(ln)
            self.count["structure"] += 1
            if self.fd_largest is not None or self.fd_none is not None:
                self.fail(ln, "a second conclusion of the finite-difference check")
            if text == EXACT_FD_ZERO:
                self.fd_largest = (ln, "0", None, None)  # no entry named
            elif m:
                self.fd_largest = (ln, m.group(1), m.group(2), int(m.group(3)))
            else:
                self.fd_none = ln
            return i + 1
        self.fail(ln, f"line not understood in the finite-difference check: {text!r}")
        return i + 1

    def fd_step(self, ln, k, sign, h_text):
        """`Step k, h = v`: every step written out, in order; h = 10⁻⁶·max(1, the largest |entry|
        of the parameters the step started from and of the input)."""
        self.fd_end_step(ln)
        self.count["structure"] += 1
        later = [r["k"] for r in self.history if r["k"] > max(self.fd_steps, default=0)]
        want = later[0] if later else None
        if k != want:
            self.fail(ln, "finite-difference steps are not the steps written out, in order", want, k)
        r = self.rec_of(k)
        if r is None or "sv" not in r:
            self.fail(ln, f"finite differences for step {k}, which was not written out")
            self.fd_cur = None
            return
        h = Val(h_text, sign == "≈", ln)
        self.number(ln, "h", h_text, sign == "=")
        if not (finite(h.value) and h.value > 0):
            self.fail(ln, "h must be a positive number", "> 0", h_text)
        else:
            vals = list(r["params"].values()) + self.fd_inputs()
            if all(not v.pending and finite(v.value) for v in vals):
                big = max([Fraction(1)] + [abs(v.value) for v in vals])
                rb = max([Fraction(0)] + [radius(v.text, v.value, v.rounded) for v in vals if abs(v.value) == big])
                want_h = big / 10**6
                tol = radius(h.text, h.value, h.rounded) + rb / 10**6 + 4 * EPS * want_h
                self.count["operands"] += 1
                if abs(h.value - want_h) > tol:
                    self.fail(ln, "h is not 10⁻⁶·max(1, the largest |entry| of the step's parameters and of the "
                                  "input)", show(want_h), h.text)
        self.fd_cur = {"k": k, "h": h, "line": ln, "rows": {}, "flagged": {}, "table": False, "notes": []}
        self.fd_steps[k] = self.fd_cur

    def fd_inputs(self) -> list:
        """The input entries h is scaled by, with the parameters: the network's input."""
        return list(self.X.values())

    def fd_entries(self) -> list[str]:
        """Every parameter's gradient, layer by layer (a weight's entries, then its bias's), then
        every entry of ∂L/∂x of the network's input."""
        out = []
        for _, _, GP in self.param_tensors():
            out += GP.names()
        return out + self.tensor("∂L/∂x", 0, self.in_shape).names()

    def fd_table(self, i, ln) -> int:
        j = i + 1
        while j < len(self.lines) and self.lines[j][1].strip().startswith("∂L/∂"):
            j += 1
        rows = self.lines[i:j]
        self.count["matrices"] += 1
        cur = self.fd_cur
        if cur is None or cur["table"]:
            self.fail(ln, "finite-difference table without its `Step k, h = …` line")
            return j
        cur["table"] = True
        cells = self.table_cells(rows)
        header = ["entry", "backpropagation", "central difference", "difference"]
        if cells[0] != header:
            self.fail(ln, "finite-difference table header", "  ".join(header), "  ".join(cells[0]))
        entries = self.fd_entries()
        got = [c[0] for c in cells[1:]]
        self.count["structure"] += 1
        if got != entries:
            missing = [e for e in entries if e not in got]
            extra = [e for e in got if e not in entries]
            self.fail(ln, f"finite-difference table: the entries are not every parameter's gradient and every "
                          f"∂L/∂x, in order (missing {', '.join(missing) or 'none'}; unexpected "
                          f"{', '.join(extra) or 'none'})", ", ".join(entries), ", ".join(got))
        sv = self.rec_of(cur["k"])["sv"]
        for (lnr, _), row in zip(rows[1:], cells[1:]):
            if len(row) != 4:
                self.fail(lnr, "finite-difference row: expected 4 cells", 4, len(row))
                continue
            entry, bp_t, cd_t, diff_t = row
            bp_m, bp_s = ("≈", bp_t[1:]) if bp_t.startswith("≈") else ("", bp_t)
            what = f"{entry}: the backpropagation value (step {cur['k']})"
            if entry in sv:
                self.quote(lnr, what, entry, sv[entry], bp_m, bp_s)
            elif entry.startswith("∂L/∂x") and entry in entries:
                self.fd_unprinted_dx(lnr, what, cur["k"], entry, bp_m, bp_s)
            else:
                self.fail(lnr, f"{entry}: step {cur['k']} printed no such value")
                continue
            self.fd_cells(lnr, entry, bp_t, cd_t, diff_t, cur)
        self.check_aligned(rows, cells, "finite-difference table")
        return j

    def fd_unprinted_dx(self, ln, what, k, entry, mark, text):
        """The backpropagation value of an entry of ∂L/∂x of the input where the step did not
        print ∂L/∂x: it must be what the step's printed numbers give (the δ of a first
        convolution with its filters, or ∂L/∂y of a first activation times its slope at x), to
        within their rounding."""
        self.count["operands"] += 1
        try:
            v = parse_value(text)
        except ValueError:
            self.fail(ln, f"{what}: {text!r} is not a number")
            return
        self.number(ln, what, text, mark == "")
        rec = self.rec_of(k)
        sv, params = rec["sv"], rec["params"]
        L = self.layers[0]
        DX = self.tensor("∂L/∂x", 0, self.in_shape)
        full = next(i for i in DX.indices() if DX.name(i) == entry)
        pairs = []  # (a, radius of a, b, radius of b) of each product

        def printed(name, table):
            v = table.get(name)
            if v is None or v.pending:
                self.fail(ln, f"{what}: {name} is not printed in step {k}, so ∂L/∂x cannot be worked out")
                return None
            return v.value, radius(v.text, v.value, v.rounded)
        if L.kind == "dense":
            D, W = self.tensor("δ", 0, L.out_shape), self.weight("w", L)
            for o in range(L.O):
                d, w = printed(D.name((o,)), sv), printed(W.name((o, full[0])), params)
                if d is None or w is None:
                    return
                pairs.append(d + w)
        elif L.pool or L.kind == "flatten":
            if L.kind == "flatten":
                srcs = [(self.tensor("∂L/∂v", 0, L.out_shape).name((DX.indices().index(full),)), Fraction(1))]
            else:
                c, r, s_ = full
                DY, Y = self.tensor("∂L/∂y", 0, L.out_shape), self.tensor("y", 0, L.out_shape)
                X = self.tensor("x", 0, self.in_shape)
                n = L.KH * L.KW
                srcs = []
                for p, q in L.covering(r, s_):
                    if L.kind == "avg_pool":
                        srcs.append((DY.name((c, p, q)), Fraction(1, n)))
                    else:
                        pick = rec.get("picks", {}).get(Y.name((c, p, q)))
                        if isinstance(pick, tuple):
                            pick = pick[0]
                        if pick == X.name(full):
                            srcs.append((DY.name((c, p, q)), Fraction(1)))
            for name, f in srcs:
                d = printed(name, sv)
                if d is None:
                    return
                pairs.append(d + (f, Fraction(0)))
        elif L.conv:
            D, W = self.tensor("δ", 0, L.out_shape), self.weight("w", L)
            for f, p, q, c, r, s, a, b, _, _ in L.reads():
                if (c, r, s) != full:
                    continue
                d, w = sv.get(D.name((f, p, q))), params.get(W.name((f, c, a, b)))
                if d is None or w is None or w.pending:
                    self.fail(ln, f"{what}: {D.name((f, p, q)) if d is None else W.name((f, c, a, b))} is not printed "
                                  f"in step {k}, so ∂L/∂x cannot be worked out")
                    return
                pairs.append((d.value, radius(d.text, d.value, d.rounded), w.value, radius(w.text, w.value, w.rounded)))
        else:
            dy = sv.get(self.tensor("∂L/∂y", 0, self.in_shape).name(full))
            x = self.X.get(self.tensor("x", 0, self.in_shape).name(full))
            if dy is None or x is None:
                self.fail(ln, f"{what}: ∂L/∂y of layer 0 is not printed in step {k}, so ∂L/∂x cannot be worked out")
                return
            slope = self.slope_at(L, x)
            if slope is None:
                return
            pairs.append((dy.value, radius(dy.text, dy.value, dy.rounded)) + slope)
        if not all(finite(t) for a, _, b, _ in pairs for t in (a, b)):
            want = 0.0
            for a, _, b, _ in pairs:
                want += to_float(a) * to_float(b)
            if not same(want, v):
                self.fail(ln, f"{what}: not what the step's printed numbers give", show(want), mark + text)
            return
        E = sum((a * b for a, _, b, _ in pairs), Fraction(0))
        A = sum((abs(a * b) for a, _, b, _ in pairs), Fraction(0))
        if isinstance(v, float) and math.isnan(v):
            # finite terms that overflow f64 to ∞ and to −∞ give NaN
            big = [a * b for a, _, b, _ in pairs if abs(a * b) * (1 + Fraction(1, 10**6)) >= F64_OVERFLOW]
            if not (any(t > 0 for t in big) and any(t < 0 for t in big)):
                self.fail(ln, f"{what}: NaN, but the step's printed numbers give {show(E)} (no terms that overflow "
                              f"f64 to ∞ and −∞)", show(E), mark + text)
            return
        tol = sum((abs(a) * rb + abs(b) * ra + ra * rb for a, ra, b, rb in pairs), Fraction(0)) \
            + 2 * (len(pairs) + 1) * EPS * A + radius(text, v, mark == "≈")
        if isinstance(v, float) and math.isinf(v) and abs(E) + tol >= F64_OVERFLOW and (E > 0) == (v > 0):
            return  # an overflow
        if not finite(v) or abs(E - v) > tol:
            self.fail(ln, f"{what}: not what the step's printed numbers give (Σ δ·w, or ∂L/∂y·f′(x), to within their "
                          f"rounding, ≤ {show(tol)} off)", show(E), mark + text)

    def slope_at(self, L: NetLayer, x: Val):
        """A first activation's slope at the input entry x: (value, radius)."""
        if not finite(x.value):
            return (math.nan, Fraction(0))
        xv = x.value
        if L.act == "relu":
            return (Fraction(1) if xv > 0 else Fraction(0) if xv < 0 else L.g0.value, Fraction(0))
        if L.act == "leaky_relu":
            return (Fraction(1), Fraction(0)) if xv > 0 else (L.alpha.value, radius(L.alpha.text, L.alpha.value,
                                                                                      L.alpha.rounded))
        xf = to_float(xv)
        y = sigmoid(xf) if L.act == "sigmoid" else math.tanh(xf)
        f = y * (1 - y) if L.act == "sigmoid" else 1 - y * y
        # a few units in the last place, and what the rounding of x moves it (|f′′| ≤ 1)
        return (Fraction(f), Fraction(16 * 2.0 ** -53) + radius(x.text, x.value, x.rounded))

    def fd_note(self, ln, s):
        self.count["notes"] += 1
        cur = self.fd_cur
        if cur is None or not cur["table"]:
            self.fail(ln, f"a note of the finite-difference check before its table: {s!r}")
            return
        order = {e: k for k, e in enumerate(self.fd_entries())}
        m = NET_FD_NONFINITE.fullmatch(s)
        if m:
            self.fd_note_order(ln, cur, 0, order.get(m.group(1), -1))
            self.fd_nonfinite_note(ln, cur, m.group(1), m.group(2))
            return
        m = NET_POOL_NOTE.fullmatch(s)
        if m:
            self.fd_pool_note(ln, cur, order, m)
            return
        m = NET_KINK_NOTE.fullmatch(s)
        if not m:
            self.fail(ln, f"note not understood in the finite-difference check: {s!r}")
            return
        entry, zname, mark, z_t, act = m.groups()
        self.fd_note_order(ln, cur, 1, order.get(entry, -1))
        self.fd_flag(ln, cur, entry)
        parsed = parse_name(zname)
        rec = self.rec_of(cur["k"])
        if parsed is None or parsed[0] not in ("z", "y", "x"):
            self.fail(ln, f"note: {zname} is not an activation's argument")
            return
        base, zl, _ = parsed
        # the activation that takes zname: the layer after the one that gives it (x: layer 0)
        R = 0 if base == "x" else (zl if zl is not None else 0) + 1
        if R > len(self.layers) or self.junction(R)[0] != base or (base != "x" and zl is not None
                                                                    and self.junction(R)[1] != zl):
            self.fail(ln, f"note: {zname} is not what a layer takes")
            return
        LR = self.layers[R] if R < len(self.layers) else None
        self.count["structure"] += 1
        if LR is None or LR.act not in ("relu", "leaky_relu"):
            self.fail(ln, f"note: {zname} is not the argument of a relu or a leaky_relu (no kink there)",
                      "the input of a relu or leaky_relu", zname)
            return
        if act != LR.act:
            self.fail(ln, f"note: the kink is {LR.act}'s, the activation of layer {R}", LR.act, act)
        zrec = self.X.get(zname) if base == "x" else rec["sv"].get(zname)
        self.quote(ln, f"note: {zname} (step {cur['k']})", zname, zrec, mark if mark == "≈" else "", z_t)
        reach = self.fd_reach(cur, entry, R)
        z = parse_value(z_t)
        if reach is None or not finite(z):
            return
        zr = radius(z_t, z, mark == "≈")
        self.count["operands"] += 1
        if abs(z) - zr > reach * Fraction(1001, 1000):
            self.fail(ln, f"note: {zname} = {z_t} is not within reach of the kink: a move of {entry[len('∂L/∂'):]} by "
                          f"±h changes it by at most {show(reach)}", f"|{zname}| ≤ {show(reach)}", z_t)

    def fd_pool_note(self, ln, cur, order, m):
        """`entry: y⁽²⁾[0,1] ≈ v is within reach of a change of its max-pool window's maximum …`:
        y a max pool's output, quoted truly, whose window's two largest printed entries lie
        within twice what a move of the entry by ±h can change them by (the pick may change)."""
        entry, yname, mark, y_t = m.groups()
        self.fd_note_order(ln, cur, 1, order.get(entry, -1))
        self.fd_flag(ln, cur, entry)
        parsed = parse_name(yname)
        rec = self.rec_of(cur["k"])
        R = parsed[1] if parsed is not None and parsed[1] is not None else 0
        self.count["structure"] += 1
        if parsed is None or parsed[0] != "y" or R >= len(self.layers) or self.layers[R].kind != "max_pool":
            self.fail(ln, f"note: {yname} is not the output of a max pool")
            return
        L = self.layers[R]
        Y = self.tensor("y", R, L.out_shape)
        full = next((i for i in Y.indices() if Y.name(i) == yname), None)
        if full is None:
            self.fail(ln, f"note: {yname} is not an entry of layer {R}'s output")
            return
        self.quote(ln, f"note: {yname} (step {cur['k']})", yname, rec["sv"].get(yname), "≈" if mark == "≈" else "", y_t)
        ib, il, ish = self.junction(R)
        IN = self.tensor(ib, il, ish)
        src = self.X if ib == "x" else rec["sv"]
        vals = [src.get(IN.name(w)) for w in L.window(*full)]
        if any(v is None or v.pending or not finite(v.value) for v in vals) or len(vals) < 2:
            return
        reach = self.fd_reach(cur, entry, R)
        if reach is None:
            return
        top = sorted(vals, key=lambda v: v.value, reverse=True)[:2]
        gap = top[0].value - top[1].value - sum(radius(v.text, v.value, v.rounded) for v in top)
        self.count["operands"] += 1
        if gap > 2 * reach * Fraction(1001, 1000):
            self.fail(ln, f"note: the two largest entries of {yname}'s window are {top[0].text} and {top[1].text}: a "
                          f"move of {entry[len('∂L/∂'):]} by ±h changes each by at most {show(reach)}, too little to "
                          f"change which is the maximum", f"a gap ≤ {show(2 * reach)}", show(gap))

    def fd_note_order(self, ln, cur, kind, pos):
        """The notes after a table: those on values that are not finite, then those on kinks,
        each in the order of the table."""
        self.count["structure"] += 1
        if cur["notes"] and (kind, pos) < cur["notes"][-1]:
            self.fail(ln, "the notes of a finite-difference table are out of order (the entries that are not finite, "
                          "then the kinks, each in the table's order)")
        cur["notes"].append((kind, pos))

    def fd_moved(self, entry):
        """What a finite-difference entry moves: ('w', layer, full index), ('b', layer, f) or
        ('x', None, full index)."""
        for L, P, GP in self.param_tensors():
            for idx in GP.indices():
                if GP.name(idx) == entry:
                    return ("w" if GP.prefix.startswith("∂L/∂w") else "b"), L.k, idx
        DX = self.tensor("∂L/∂x", 0, self.in_shape)
        for idx in DX.indices():
            if DX.name(idx) == entry:
                return "x", None, idx
        return None

    def fd_reach(self, cur, entry, R):
        """How far a move of `entry`'s parameter (or input entry) by ±h can move the argument
        of layer R's activation (or pool), at most: the layer it belongs to moves its output by
        h times the largest |input| (a weight), h (a bias; an input entry, before layer 0), and
        each layer from there on multiplies a change by at most its gain (a convolution: max
        over filters of Σ|w|; a dense layer: max over outputs of Σ|w|; relu 1, leaky_relu
        max(1, |α|), sigmoid ¼, tanh 1; pools and flatten 1). None where that cannot be told
        from the text."""
        moved = self.fd_moved(entry)
        h = cur["h"].value
        if moved is None or not finite(h):
            return None
        rec = self.rec_of(cur["k"])
        sv, params = rec["sv"], rec["params"]

        def bound(v: Val):
            if v is None or v.pending or not finite(v.value):
                return None
            return abs(v.value) + radius(v.text, v.value, v.rounded)
        kind, l, idx = moved
        if kind == "x":
            change, start = h, 0
        else:
            if R <= l:
                self.fail(cur["line"], f"note on {entry}: moving a parameter of layer {l} cannot change the input of "
                                       f"layer {R}")
                return None
            L = self.layers[l]
            if kind == "b":
                change = h
            else:
                ib, il, ish = self.junction(l)
                IN = self.tensor(ib, il, ish)
                ins = [bound(self.X.get(n) if ib == "x" else sv.get(n)) for n in IN.names()]
                if any(b is None for b in ins):
                    return None
                change = h * max(ins, default=Fraction(0))
            start = l + 1
        for m in range(start, R):
            L = self.layers[m]
            if L.kind == "dense":
                W = self.weight("w", L)
                gains = []
                for o in range(L.O):
                    ws = [bound(params.get(W.name((o, i)))) for i in range(L.I)]
                    if any(w is None for w in ws):
                        return None
                    gains.append(sum(ws, Fraction(0)))
                change *= max(gains)
            elif L.conv:
                W = self.weight("w", L)
                gains = []
                for f in range(L.F):
                    ws = [bound(params.get(W.name((f, c, a, b)))) for c in range(L.C) for a in range(L.KH)
                          for b in range(L.KW)]
                    if any(w is None for w in ws):
                        return None
                    gains.append(sum(ws, Fraction(0)))
                change *= max(gains)
            elif L.act == "leaky_relu":
                change *= max(Fraction(1), abs(L.alpha.value) + radius(L.alpha.text, L.alpha.value, L.alpha.rounded))
            elif L.act == "sigmoid":
                change *= Fraction(1, 4)
        return change

    def fd_end_step(self, ln):
        cur, self.fd_cur = self.fd_cur, None
        if cur is None:
            return
        if not cur["table"]:
            self.fail(cur["line"], f"finite differences of step {cur['k']}: no table")
            return
        for entry, row in cur["rows"].items():
            if row["diff"] == "not compared" and entry not in cur["flagged"]:
                self.fail(row["line"], f"{entry} is not compared, but no note says why")
        # a compared entry whose move carries an argument of a relu (or leaky_relu) straight
        # across its kink: the layer right after the one it moves, where the argument moves by
        # exactly h times the entry's coefficient there
        rec = self.rec_of(cur["k"])
        h = cur["h"].value
        if not finite(h):
            return
        for entry, row in cur["rows"].items():
            if row["diff"] == "not compared":
                continue
            picked = self.fd_pool_crossing(entry, h, rec)
            if picked:
                yname, ytext = picked
                self.fail(row["line"], f"{entry}: a move of the input entry by ±h changes which entry is the maximum "
                                       f"of {yname}'s window (its exactly printed entries lie within h of each other), "
                                       f"but the central difference is compared and no note says so")
                continue
            crossed = self.fd_crossing(entry, h, rec)
            if crossed:
                zname, ztext, step = crossed
                self.fail(row["line"], f"{entry}: {zname} = {ztext} is within reach of the kink (a move by ±h changes "
                                       f"it by ≈{fmt_sig(step, 6)}), but the central difference is compared and no "
                                       f"note says so")

    def fd_pool_crossing(self, entry, h, rec):
        """(name, printed value) of an output of a max pool taking the network's input whose
        window's pick a move of an input entry by ±h certainly changes: the entry and another of
        the window, all printed exactly, lie within h of each other with the moved one the
        maximum or reaching it; None otherwise."""
        moved = self.fd_moved(entry)
        if moved is None or moved[0] != "x" or not self.layers or self.layers[0].kind != "max_pool":
            return None
        L = self.layers[0]
        c, r, s_ = moved[2]
        X, Y = self.tensor("x", 0, self.in_shape), self.tensor("y", 0, L.out_shape)
        x = self.X.get(X.name((c, r, s_)))
        if x is None or x.rounded is not False or not finite(x.value):
            return None
        for p, q in L.covering(r, s_):
            vals = [self.X.get(X.name(w)) for w in L.window(c, p, q)]
            if any(v is None or v.rounded is not False or not finite(v.value) for v in vals):
                continue
            top = max(v.value for v in vals)
            others = [v.value for v in vals if v is not x]
            near = [o for o in others if abs(o - x.value) < h * Fraction(999, 1000)]
            if near and (x.value == top or max(near) == top):
                y = rec["sv"].get(Y.name((c, p, q)))
                return Y.name((c, p, q)), y.text if y else "?"
        return None

    def fd_crossing(self, entry, h, rec):
        """(name, printed value, change) of an argument of the activation right after the entry's
        layer that a move of the entry by ±h certainly carries across 0, or None."""
        moved = self.fd_moved(entry)
        if moved is None:
            return None
        kind, l, idx = moved
        sv, params = rec["sv"], rec["params"]
        kinked = lambda k: k < len(self.layers) and self.layers[k].act in ("relu", "leaky_relu")
        if kind == "x":
            if not (kinked(0) or (self.layers[0].trains and kinked(1))):
                return None
        elif not kinked(l + 1):
            return None
        cands = []  # (name of the argument, |coefficient| at least)
        if kind == "x" and not self.layers[0].trains:
            cands.append((self.tensor("x", 0, self.in_shape).name(idx), Fraction(1)))
        elif kind == "x" and self.layers[0].kind == "dense":
            L = self.layers[0]
            Z, W = self.tensor("z", 0, L.out_shape), self.weight("w", L)
            for o in range(L.O):
                w = params.get(W.name((o, idx[0])))
                if w is not None and not w.pending and finite(w.value):
                    cands.append((Z.name((o,)), abs(w.value) - radius(w.text, w.value, w.rounded)))
        elif kind != "x" and self.layers[l].kind == "dense":
            L = self.layers[l]
            ib, il, ish = self.junction(l)
            IN, Z = self.tensor(ib, il, ish), self.tensor("z", l, L.out_shape)
            if kind == "b":
                cands.append((Z.name(idx), Fraction(1)))
            else:
                o, i = idx
                x = self.X.get(IN.name((i,))) if ib == "x" else sv.get(IN.name((i,)))
                if x is not None and finite(x.value):
                    cands.append((Z.name((o,)), abs(x.value) - radius(x.text, x.value, x.rounded)))
        elif kind == "x":
            L = self.layers[0]
            Z, W = self.tensor("z", 0, L.out_shape), self.weight("w", L)
            for f, p, q, c, r, s, a, b, _, _ in L.reads():
                if (c, r, s) == idx:
                    w = params.get(W.name((f, c, a, b)))
                    if w is not None and not w.pending and finite(w.value):
                        cands.append((Z.name((f, p, q)), abs(w.value) - radius(w.text, w.value, w.rounded)))
        else:
            L = self.layers[l]
            ib, il, ish = self.junction(l)
            IN, Z = self.tensor(ib, il, ish), self.tensor("z", l, L.out_shape)
            if kind == "b":
                cands += [(Z.name((idx[0], p, q)), Fraction(1)) for p in range(L.out_shape[1])
                          for q in range(L.out_shape[2])]
            else:
                f, c, a, b = idx
                for ff, p, q, cc, r, s, aa, bb, _, _ in L.reads():
                    if (ff, cc, aa, bb) == idx:
                        x = self.X.get(IN.name((c, r, s))) if ib == "x" else sv.get(IN.name((c, r, s)))
                        if x is not None and finite(x.value):
                            cands.append((Z.name((f, p, q)), abs(x.value) - radius(x.text, x.value, x.rounded)))
        for zname, coef in cands:
            z = self.X.get(zname) if zname.startswith("x") else sv.get(zname)
            if z is None or not finite(z.value) or coef <= 0:
                continue
            step = h * coef
            noise = self.z_noise(kind, l, zname, sv, params) if not zname.startswith("x") else Fraction(0)
            if noise is not None and abs(z.value) + radius(z.text, z.value, z.rounded) + noise < \
                    step * Fraction(999, 1000):
                return zname, z.text, step
        return None

    def z_noise(self, kind, l, zname, sv, params):
        """How far f64's rounding may move a convolution's output entry `zname` (of layer l, or
        of layer 0 for a move of the input) besides the move itself: a few units in the last
        place of the sum of its terms' sizes; None where they are not all printed."""
        L = self.layers[0 if kind == "x" else l]
        ib, il, ish = self.junction(L.k)
        IN, Z, W = self.tensor(ib, il, ish), self.tensor("z", L.k, L.out_shape), self.weight("w", L)
        total = Fraction(0)
        if L.kind == "dense":
            o = next(i for i in Z.indices() if Z.name(i) == zname)[0]
            for i in range(L.I):
                x = self.X.get(IN.name((i,))) if ib == "x" else sv.get(IN.name((i,)))
                w = params.get(W.name((o, i)))
                if x is None or w is None or w.pending or not (finite(x.value) and finite(w.value)):
                    return None
                total += abs(x.value * w.value)
            if L.bias:
                bv = params.get(self.bias_t("b", L).name((o,)))
                if bv is None or bv.pending or not finite(bv.value):
                    return None
                total += abs(bv.value)
            return 8 * EPS * total
        for f, p, q, c, r, s, a, b, _, _ in L.reads():
            if Z.name((f, p, q)) != zname:
                continue
            x = self.X.get(IN.name((c, r, s))) if ib == "x" else sv.get(IN.name((c, r, s)))
            w = params.get(W.name((f, c, a, b)))
            if x is None or w is None or w.pending or not (finite(x.value) and finite(w.value)):
                return None
            total += abs(x.value * w.value)
        if L.bias:
            idx = next(i for i in Z.indices() if Z.name(i) == zname)
            bv = params.get(self.bias_t("b", L).name((idx[0],)))
            if bv is None or bv.pending or not finite(bv.value):
                return None
            total += abs(bv.value)
        return 8 * EPS * total

    def end_fd(self, ln):
        self.fd_end_step(ln)
        missing = [r["k"] for r in self.history if r["k"] not in self.fd_steps and "sv" in r]
        self.count["structure"] += 1
        if missing:
            self.fail(ln, f"finite differences: no table for step(s) {', '.join(map(str, missing))}")
        compared = [(row["d"], k, e, row) for k, st in self.fd_steps.items() for e, row in st["rows"].items()
                    if "d" in row and finite(row["d"])]
        self.fd_largest_check(ln, compared)

    # -- the learner's mistakes -------------------------------------------------------------

    def recipe_layers(self, recipe: str) -> set:
        """The layers a recipe concerns: every convolution after the first (its ∂L/∂x goes back
        to a layer), those of them with more than one filter (the parts not summed), every
        convolution with a bias and more than one output position (the mean differs from the
        sum)."""
        out = set()
        for L in self.layers:
            if recipe == "spread" and L.kind == "max_pool" and L.k > 0 and L.KH * L.KW > 1 or \
                    recipe == "untransposed" and L.kind == "dense" and L.k > 0 and L.I == L.O > 1:
                out.add(L.k)
            if not L.conv:
                continue
            if recipe == "unrotated" and L.k > 0 or recipe == "unsummed" and L.k > 0 and L.F > 1 or \
                    recipe == "mean" and L.bias and L.out_shape[1] * L.out_shape[2] > 1:
                out.add(L.k)
        return out

    def recipe_made(self, recipe: str) -> bool:
        """Whether a recipe is shown: it concerns some layer (t − p: the loss, a softmax's)."""
        return self.loss == "softmax" if recipe == "flipped" else bool(self.recipe_layers(recipe))

    def recipe_noted(self, recipe: str) -> bool:
        """Whether a recipe that is not shown is noted as such: where the network has an op of
        the kind it is about (a convolution, a max pool, a dense layer; t − p: never, as it is
        shown exactly where the loss is a softmax's)."""
        if recipe == "spread":
            return any(L.kind == "max_pool" for L in self.layers)
        if recipe == "untransposed":
            return any(L.kind == "dense" for L in self.layers)
        return recipe != "flipped" and any(L.conv for L in self.layers)

    def begin_mistakes(self, ln):
        self.count["structure"] += 1
        if not self.ended or self.mistakes_seen:
            self.fail(ln, "the mistakes section out of place (it comes once, after the result and the "
                          "finite-difference check)")
        if not self.history or "sv" not in self.history[0]:
            raise ValueError("mistakes without a step 1")
        self.mistakes_seen = True
        self.made = [r for r in RECIPES if self.recipe_made(r)]
        self.absent = [r for r in RECIPES if not self.recipe_made(r) and self.recipe_noted(r)]
        self.ctx = "mistakes_intro"

    def mistakes_intro_line(self, i, ln, raw, text) -> int:
        if text == NET_MISTAKES_INTRO:
            self.indent(ln, raw, 2, "the mistakes' introduction")
            self.count["structure"] += 1
            if self.m_intro:
                self.fail(ln, "the mistakes' introduction twice")
            self.m_intro = True
            return i + 1
        if text.startswith("Note: "):
            self.absent_note(ln, raw, text[6:])
            return i + 1
        self.fail(ln, f"line not understood in the mistakes' introduction: {text!r}")
        return i + 1

    def absent_note(self, ln, raw, s):
        """`Note: <recipe> is not shown: <why>.`: every recipe that concerns no layer, in order,
        after the last mistake (or the introduction, where there is none)."""
        self.indent(ln, raw, 2, "a note on a recipe not shown")
        self.count["notes"] += 1
        m = re.fullmatch(r"(.+) is not shown: (.+)\.", s)
        recipe = next((r for r, t in RECIPE_TITLE.items() if m and t == m.group(1)), None)
        if recipe is None:
            self.fail(ln, f"note not understood in the mistakes: {s!r}")
            return
        if recipe not in self.absent:
            self.fail(ln, f"note: {RECIPE_TITLE[recipe]!r} concerns a layer of this network (layer "
                          f"{', '.join(map(str, sorted(self.recipe_layers(recipe))))}), so it is shown")
        elif m.group(2) != RECIPE_ABSENT[recipe]:
            self.fail(ln, "note: why the recipe concerns no layer", RECIPE_ABSENT[recipe], m.group(2))
        if self.made and (self.ctx != "mistake" or self.m_k != len(self.made)):
            self.fail(ln, "the notes on the recipes not shown come after the last mistake")
        if self.m_table:
            self.fail(ln, "a note on a recipe not shown after the mistakes' table")
        want = [r for r in self.absent if r not in self.absent_seen]
        if want and recipe != want[0]:
            self.fail(ln, "the recipes not shown are noted in order, once each", RECIPE_TITLE[want[0]], m.group(1))
        self.absent_seen.append(recipe)

    def begin_net_mistake(self, ln, k, title):
        self.count["structure"] += 1
        if not self.mistakes_seen or self.m_table:
            self.fail(ln, "a mistake's section out of place (after `Common mistakes in the backward pass, …`)")
        if k != len(self.mistakes) + 1:
            self.fail(ln, "mistakes are not numbered consecutively", len(self.mistakes) + 1, k)
        want = self.made[len(self.mistakes)] if len(self.mistakes) < len(self.made) else None
        recipe = next((r for r, t in RECIPE_TITLE.items() if t == title), None)
        if recipe is None or recipe != want:
            self.fail(ln, "not the recipe expected here (each recipe that concerns a layer, in order)",
                      RECIPE_TITLE.get(want, "none"), title)
        if recipe is None or recipe in (m["recipe"] for m in self.mistakes.values()):
            raise ValueError(f"the mistake {title!r} cannot be checked")
        self.ctx = "mistake"
        self.m_k, self.m_recipe, self.m_phase = k, recipe, "prose"
        self.m_note = None
        self.m_broken = False
        self.picks, self.tied = {}, {}
        self.base_sv = self.history[0]["sv"]
        self.sv, self.new, self.pending, self.sym_kinds, self.noted = {}, {}, {}, set(), set()
        self.cur = dict(self.history[0]["params"])
        self.stages, self.si, self.stage = self.mistake_stages(recipe), 0, None
        self.mistakes[k] = {"recipe": recipe, "line": ln, "L": None}

    def mistake_stages(self, recipe: str) -> list:
        """What a mistake prints of its backward pass: the stage it gets wrong in the highest
        layer it concerns (for the mean, in every layer it concerns); for a wrong ∂L/∂x, the
        whole backward pass of every layer below it, where the wrong gradient flows (the layers
        it concerns there getting ∂L/∂x wrong too); then the update."""
        wrong = self.recipe_layers(recipe)
        flows = recipe != "mean"
        out = []
        if recipe == "flipped":
            # the loss's gradient is the wrong one: every layer's whole backward pass follows
            out.append(self.lossgrad_stage(False, flipped=True))
            top = len(self.layers)
        else:
            top = max(wrong)
        for L in reversed(self.layers):
            l = L.k
            if l == top or (l in wrong and not flows):
                if recipe == "mean":
                    out.append(self.bgrad_mean_stage(L))
                elif L.conv:
                    out.append(self.xgrad_stage(L, False, False, recipe))
                else:
                    out += self.back_stages2(L, False, True, False, slip=recipe, only_dx=True)
            elif flows and l < top:
                gives = l > 0 or bool(self.input_grad)
                if not L.conv and (L.trains or L.pool or L.kind == "flatten"):
                    out += self.back_stages2(L, False, gives, False, slip=recipe if l in wrong else None)
                elif L.conv:
                    out.append(self.wgrad_stage(L))
                    if L.bias:
                        out.append(self.bgrad_stage(L, False))
                    if gives:
                        out.append(self.xgrad_stage(L, False, False, recipe if l in wrong else None))
                elif gives:
                    out.append(self.back_stage(L, False))
        if self.has_lr:
            out.append(self.update_stage())
        return out

    def bgrad_mean_stage(self, L: NetLayer) -> Stage:
        D, GB = self.tensor("δ", L.k, L.out_shape), self.bias_t("∂L/∂b", L)
        _, OH, OW = L.out_shape
        n = OH * OW
        terms = {(f,): [[D.name((f, p, q))] for p in range(OH) for q in range(OW)] for f in range(L.F)}
        lhs = GB.prefix + ("[f]" if L.F > 1 else "")
        d = D.prefix + ("[f,p,q]" if L.F > 1 else "[p,q]")
        expect = self.sums(GB, terms, True, EMPTY_REASONS["forward"])
        for e in expect.values():
            e.scale = Fraction(1, n)
        return Stage("bgrad", f"Layer {L.k}, bias gradient, the mistake: {lhs} = (1/{n})·Σ_p Σ_q {d}, the mean over "
                              f"the {n} positions, in place of their sum Σ_p Σ_q {d}", [Group(GB, expect)], L)

    def net_mistake_line(self, i, ln, raw, text) -> int:
        if text == RECIPE_TEXT[self.m_recipe]:
            self.indent(ln, raw, 2, "the recipe's explanation")
            self.count["structure"] += 1
            if self.m_phase != "prose":
                self.fail(ln, "the recipe's explanation comes once, first")
            self.m_phase = "back"
            return i + 1
        if self.m_phase == "prose":
            self.fail(ln, "a mistake begins with its recipe's explanation", RECIPE_TEXT[self.m_recipe], text)
            self.m_phase = "back"
        if self.m_broken and self.m_phase == "back" and text != "A forward pass with these parameters:" and \
                not (text.startswith("Note: ") and (MISTAKE_NONFINITE.fullmatch(text[6:]) or
                                                    re.fullmatch(r".+ is not shown: .+\.", text[6:]))) and \
                text != "The loss after step 1's update, by recipe":
            self.reasons.pop(ln, None)
            return i + 1  # not checked (see begin_stage)
        if text == "A forward pass with these parameters:":
            self.indent(ln, raw, 2, "the mistake's forward pass")
            self.mistake_forward(ln)
            return i + 1
        if text == "The loss after step 1's update, by recipe":
            self.indent(ln, raw, 2, "the mistakes' table")
            return self.mistake_table(i, ln)
        if text.startswith("Note: "):
            m = MISTAKE_NONFINITE.fullmatch(text[6:])
            if m:
                self.indent(ln, raw, 2, "a note on the first value that is not finite")
                self.mistake_nonfinite_note(ln, m)
                return i + 1
            if re.fullmatch(r".+ is not shown: .+\.", text[6:]):
                self.close_stage(ln)
                self.absent_note(ln, raw, text[6:])
                return i + 1
        if self.m_note is not None or self.absent_seen:
            self.fail(ln, "the mistake goes on after its last note")
        return self.section_line(i, ln, raw, text)

    def mistake_forward(self, ln):
        """`A forward pass with these parameters:` the parameters the mistake's update printed
        replace step 1's, and a forward pass and loss of their own follow."""
        self.count["structure"] += 1
        if self.m_phase != "back" or not self.has_lr:
            self.fail(ln, "a mistake's forward pass comes once, after its update (and only with a learning rate)")
        if self.m_broken:
            # the parameters the unchecked update gave: known only from their first printing
            self.stage, self.si, self.pending = None, len(self.stages), {}
            self.new = {key: Val(None, MAYBE, ln) for key in self.cur}
        self.close_stage(ln)
        self.close_mistake_part(ln)
        for key in self.cur:
            if key not in self.new:
                self.fail(ln, f"mistake {self.m_k}: no update printed for {key}")
                self.new[key] = self.cur[key]
        self.m_back_sv = self.sv
        self.sv, self.cur, self.new = {}, dict(self.new), {}
        self.stages, self.si, self.stage = self.stages_for("after", False), 0, None
        self.m_phase = "forward"

    def close_mistake_part(self, ln):
        missing = [st.header for st in self.stages[self.si:]]
        if missing:
            self.fail(ln, f"mistake {self.m_k}: {len(missing)} stage(s) missing: " + "; ".join(f"`{h}`" for h in missing))
        self.si = len(self.stages)
        self.flush_pending(ln)

    def mistake_merged(self):
        """The values of the mistake's pass, in the order they were computed: step 1's, where the
        mistake prints none of its own (its forward pass, and what it leaves as it was)."""
        mine = self.m_back_sv if self.m_phase == "forward" else self.sv
        return [(key, mine.get(key, v)) for key, v in self.base_sv.items()]

    def mistake_nonfinite_note(self, ln, m):
        self.count["notes"] += 1
        self.close_stage(ln)
        if self.m_note is not None:
            self.fail(ln, "a second note on the first value that is not finite")
        self.m_note = ln
        sym, mark, quoted, twice = m.group(1), m.group(2), m.group(3), m.group(4)
        if twice:
            self.fail(ln, "note: `so` twice (`meaningless, so so is everything this recipe computes from it`)",
                      "…, so is everything this recipe computes from it", "…, so so is everything …")
        first = next(((k, v) for k, v in self.mistake_merged() if not finite(v.value)), None)
        if first is None:
            self.fail(ln, f"note: no value of mistake {self.m_k}'s pass is not finite")
        elif first[0] != sym:
            self.fail(ln, f"note: {sym} is not the first value of the recipe's pass that is not finite: {first[0]} = "
                          f"{first[1].text} (line {first[1].line}) comes before it", first[0], sym)
        else:
            self.quote(ln, "note", sym, first[1], "≈" if mark == "≈" else "", quoted)

    def end_net_mistake(self, ln):
        self.close_stage(ln)
        if self.m_phase == "forward":
            self.close_mistake_part(ln)
            L = self.sv.get("L")
            if L is None:
                self.fail(ln, f"mistake {self.m_k}: its forward pass has no loss")
            self.mistakes[self.m_k]["L"] = L
        else:
            self.close_mistake_part(ln)
            self.m_back_sv = self.sv
            if self.has_lr:
                self.fail(ln, f"mistake {self.m_k}: no forward pass with the parameters it gives")
        self.count["structure"] += 1
        first = next(((k, v) for k, v in self.mistake_merged() if not finite(v.value)), None)
        if first is not None and self.m_note is None:
            self.fail(ln, f"mistake {self.m_k}: {first[0]} = {first[1].text} (line {first[1].line}) is not a finite "
                          f"number, but no note says it is the first value that is not")
        self.ctx = "tail"

    def mistake_table(self, i, ln) -> int:
        """The loss after step 1's update by each recipe, and by the correct step (step 2's loss,
        or the final one after a single step)."""
        self.close_stage(ln)
        j = i + 1
        while j < len(self.lines) and self.lines[j][1].strip():
            j += 1
        rows = self.lines[i + 1:j]
        self.count["matrices"] += 1
        if self.m_table:
            self.fail(ln, "a second table of the mistakes")
        self.m_table = True
        if not self.has_lr or self.m_k != len(self.made) or self.m_phase != "forward":
            self.fail(ln, "the mistakes' table comes after the last mistake's loss (with a learning rate)")
        if not rows:
            self.fail(ln, "the mistakes' table is empty")
            return j
        cells = self.table_cells(rows)
        if cells[0] != ["recipe", "L"]:
            self.fail(rows[0][0], "the mistakes' table header", "recipe  L", "  ".join(cells[0]))
        # the loss of the correct step after its update: step 2's, else the final one
        r2 = self.rec_of(2)
        correct = r2.get("L") if r2 else self.after_L
        if self.m_phase == "forward":
            self.mistakes[self.m_k]["L"] = self.sv.get("L")
        want = [(RECIPE_TITLE[mm["recipe"]], mm["L"], f"mistake {k}'s loss") for k, mm in sorted(self.mistakes.items())]
        want.append(("the correct step", correct, "the loss after step 1's update (step 2's, or the final one)"))
        self.count["structure"] += 1
        if [c[0] for c in cells[1:]] != [w[0] for w in want]:
            self.fail(rows[0][0], "the mistakes' table: its rows are not each mistake and the correct step, in order",
                      ", ".join(w[0] for w in want), ", ".join(c[0] for c in cells[1:]))
        for (lnr, _), got, (title, rec, what) in zip(rows[1:], cells[1:], want):
            if len(got) != 2:
                self.fail(lnr, "the mistakes' table: a row has two cells", 2, len(got))
                continue
            mark, t = ("≈", got[1][1:]) if got[1].startswith("≈") else ("", got[1])
            self.quote(lnr, f"the mistakes' table, {title!r}: L ({what})", "L", rec, mark, t)
        self.check_aligned(rows, cells, "the mistakes' table")
        return j

    def end_mistakes(self, ln):
        self.count["structure"] += 1
        if not self.m_intro:
            self.fail(ln, "the mistakes section has no introduction", NET_MISTAKES_INTRO, "none")
        if len(self.mistakes) != len(self.made):
            self.fail(ln, "not every recipe that concerns a layer is shown",
                      ", ".join(RECIPE_TITLE[r] for r in self.made),
                      ", ".join(RECIPE_TITLE[m["recipe"]] for m in self.mistakes.values()) or "none")
        if self.absent_seen != [r for r in self.absent if r in self.absent_seen] or set(self.absent_seen) != \
                set(self.absent):
            self.fail(ln, "the notes on the recipes not shown", ", ".join(RECIPE_TITLE[r] for r in self.absent) or
                      "none", ", ".join(RECIPE_TITLE[r] for r in self.absent_seen) or "none")
        if self.has_lr and self.made and not self.m_table:
            self.fail(ln, "no table of the loss each recipe leads to")

    def finish(self):
        last_ln = self.lines[-1][0] if self.lines else 0
        if self.ctx == "after":
            self.end_result(last_ln)
        elif self.ctx == "pass":
            self.ended = True
        elif self.ctx == "fd":
            self.end_fd(last_ln)
        elif self.ctx == "mistake":
            self.end_net_mistake(last_ln)
        if self.mistakes_seen:
            self.end_mistakes(last_ln)
        if not self.ended:
            self.fail(last_ln, "the derivation ends without its result")


# ---------------------------------------------------------------------------------------------
# The checker of a batch's derivation (rule 14)

SUB = "₀₁₂₃₄₅₆₇₈₉"


def sub(n: int) -> str:
    return "".join(SUB[int(c)] for c in str(n))


def unsub(s: str) -> int:
    return int("".join(str(SUB.index(c)) for c in s))


BATCH_TITLE = re.compile(r"Training a network of (one layer|\d+ layers) on a batch of (\d+) (examples?) \(the batch loss "
                         r"the (mean|sum) of theirs\): (.*)")
BATCH_LINE = re.compile(r"batch: (\d+) (examples?), reduction (mean|sum): the batch's loss is L = (?:(½|\(\d+/\d+\))·)?"
                        r"Σₙ Lₙ, over the examples n = 1 to (\d+), (the mean of the examples' losses \(PyTorch's "
                        r"default\)|the sum of the examples' losses)")
# an example's value quoted in the batch's equations: `L₂`, `∂L₂/∂w⁽⁰⁾[0,1]`
BATCH_REF = re.compile(r"(∂?)L([₀-₉]+)(/∂.+)?")
BATCH_STEP_INTRO = ("Every example's forward and backward pass at the same parameters, then the batch's loss and "
                    "gradient{then}.")
BATCH_STEP_FIRST = ("In an example's pass, L is that example's loss Lₙ and ∂L/∂ is ∂Lₙ/∂: each example is "
                    "backpropagated on its own, as if it were alone.")
BATCH_REST = ("Examples {a} to {n} are computed the same way and not written out; their losses and gradients enter "
              "the batch's equations below.")
BATCH_REST_AFTER = "Examples {a} to {n}: computed the same way, not written out."
BATCH_AFTER = "A last forward pass of every example, with the final parameters:"
# a batch of at most FULL_EXAMPLES examples is written out in full, a larger one its first HEAD_EXAMPLES;
# its summary gives the losses of the first SUMMARY_EXAMPLES
FULL_EXAMPLES, HEAD_EXAMPLES, SUMMARY_EXAMPLES = 4, 3, 8


def where_one_over_n(reduction: str, n: int) -> list[str]:
    lines = where_one_over_n_text(reduction, n)
    # (an exact derivation's lines are read with the slash of their fractions as FRAC_SLASH)
    return [t for _, t in exact_lines([(0, t) for t in lines])] if EXACT else lines


def where_one_over_n_text(reduction: str, n: int) -> list[str]:
    if reduction == "mean":
        return [f"The 1/N (here 1/{n}) is the batch loss's: the gradient of a mean is the mean of the gradients, so it "
                f"enters here, once, for every parameter.",
                "Not again in the update (η stays η), and not inside an example: there a bias's gradient is the sum "
                "of its δ over every position, never their mean.",
                f"Summing the examples' gradients without the 1/N would step {n} times as far."]
    return [f"With the sum there is no 1/N: the batch's gradient is the sum of the examples', {n} times their mean, so "
            f"the same η steps {n} times as far as with the mean."]


class BatchChecker(NetChecker):
    """The derivation of a network trained on a batch (`Training a network of … on a batch of N
    examples (the batch loss the mean|sum of theirs): …`): Given with every example's input and
    target, the layers and the batch's reduction; per step every example's forward and backward
    pass, each read as a step of a network without its update (rules 9–12), then the batch's
    loss, gradient and update (rule 14); the result with every example's last forward pass."""

    def __init__(self, fname: str, lines: list[tuple[int, str]], report, pedantic: bool,
                 allow_trailing: bool = False):
        super().__init__(fname, lines, report, pedantic, allow_trailing)
        self.N = None
        self.reduction = None
        self.bscale = Fraction(1)
        self.exs: list[dict] = []  # per example: its X, T, G (Given)
        self.batch_seen = False
        self.bpart = None  # the part of the step being read: an example's number, or 'batch'
        self.ex_done = 0  # the examples of this step (or of the result) written out so far
        self.rest_seen = False  # the line on the examples not written out
        self.exvals: dict = {}  # step (or 'after') → example → its values (sv)
        self.ex_cur = None  # the example whose Given values the section uses
        self.intro_seen = 0

    # -- the examples -------------------------------------------------------------------------

    @property
    def full(self) -> int:
        """The examples written out in full."""
        return self.N if self.N <= FULL_EXAMPLES else HEAD_EXAMPLES

    def use_example(self, n: int):
        self.ex_cur = n
        ex = self.exs[n - 1]
        self.X, self.T, self.G = ex["X"], ex["T"], ex["G"]

    def scale_prefix(self) -> str:
        return "" if self.bscale == 1 else scale_text(self.bscale) + "·"

    def values_of(self, where):
        return self.exvals.setdefault(where, {})

    def pending_examples(self, where, ln):
        """The values of the examples not written out: known only from their first printing, in
        the batch's equations (after a mistake's update, every example's loss)."""
        vals = self.values_of(where)
        mistaken = isinstance(where, tuple) and where[-1] == "after"
        after = where == "after" or mistaken
        for n in range(1 if mistaken else self.full + 1, self.N + 1):
            d = vals.setdefault(n, {})
            d.setdefault("L", Val(None, MAYBE, ln))
            if not after:
                for _, _, GP in self.param_tensors():
                    for name in GP.names():
                        d.setdefault(name, Val(None, MAYBE, ln))

    def lookup(self, sym: str) -> Val | None:
        m = BATCH_REF.fullmatch(sym)
        if m and (m.group(1) == "") == (m.group(3) is None):
            n = unsub(m.group(2))
            name = "L" if m.group(3) is None else "∂L" + m.group(3)
            where = "after" if self.ctx == "after" else self.bvals_step()
            d = self.values_of(where).get(n)
            if d is None and self.ctx == "mistake":
                d = self.values_of(1).get(n)
            return d.get(name) if d is not None else None
        return super().lookup(sym)

    def bvals_step(self):
        if self.ctx == "mistake":
            return ("mistake", self.m_k)
        return self.step

    # -- the title and Given ------------------------------------------------------------------

    def title_line(self, ln, raw, text):
        m = BATCH_TITLE.fullmatch(text)
        if not m:
            self.count["structure"] += 1
            self.fail(ln, f"title not understood: {text!r}")
            return
        self.N, self.reduction = int(m.group(2)), m.group(4)
        self.count["structure"] += 1
        if (m.group(3) == "example") != (self.N == 1) or self.N == 0:
            self.fail(ln, "title: singular/plural mismatch", f"{self.N} example{'s' if self.N != 1 else ''}",
                      f"{m.group(2)} {m.group(3)}")
        self.bscale = Fraction(1, self.N) if self.reduction == "mean" and self.N else Fraction(1)
        super().title_line(ln, raw, f"Training a network of {m.group(1)}: {m.group(5)}")

    def given_line(self, i, ln, raw, text) -> int:
        m = re.fullmatch(r"example (\d+): (.*)", text)
        if m:
            return self.given_example(i, ln, raw, int(m.group(1)), m.group(2))
        if text.startswith("layer ") and self.gstate == "ex":
            if self.gq:
                self.fail(ln, "Given: the matrices of an example are not all printed")
                self.gq = []
            self.gstate = "layers"
            self.in_shape = self.exs[0]["shape"] if self.exs else None
        if self.gstate == "layers" and (text.startswith("η (learning rate)") or text.startswith("no learning rate")):
            self.gstate = "lr"
            if len(self.exs) != self.N:
                self.fail(ln, "Given: every example's input and target, before the layers", self.N, len(self.exs))
        m = BATCH_LINE.fullmatch(text.replace(FRAC_SLASH, "/"))
        if text.startswith("batch: "):
            self.indent(ln, raw, 2, "a line of Given")
            self.count["structure"] += 1
            self.count["equations"] += 1
            if self.gstate != "sizes" or self.batch_seen:
                self.fail(ln, "the batch is given once, after the loss")
            self.batch_seen = True
            if not m:
                self.fail(ln, f"the batch's line not understood: {text!r}")
                return i + 1
            n = int(m.group(1))
            want_scale = self.scale_prefix()[:-1] if self.bscale != 1 else None
            if n != self.N or int(m.group(5)) != self.N or (m.group(2) == "example") != (n == 1):
                self.fail(ln, "the batch's line: not the title's count of examples", self.N, f"{n}, n = 1 to {m.group(5)}")
            if m.group(3) != self.reduction:
                self.fail(ln, "the batch's line: not the title's reduction", self.reduction, m.group(3))
            if m.group(4) != want_scale:
                self.fail(ln, "the batch's loss: its factor is 1/N of a mean, none of a sum",
                          want_scale or "none", m.group(4) or "none")
            if m.group(6).startswith("the mean") != (m.group(3) == "mean"):
                self.fail(ln, "the batch's line: its words are not its reduction's", m.group(3), m.group(6))
            return i + 1
        return super().given_line(i, ln, raw, text)

    def given_example(self, i, ln, raw, n, rest) -> int:
        self.indent(ln, raw, 2, "a line of Given")
        self.count["structure"] += 1
        if self.gq:
            self.fail(ln, f"Given: the matrices of {self.gq[0][0].prefix} are not all printed")
            self.gq = []
        if self.gstate not in ("x", "ex"):
            self.fail(ln, "the examples are given first, before the layers")
        m = re.fullmatch(r"x \(input, (\d+)×(\d+)×(\d+)\)", rest) or re.fullmatch(r"x \(input, (\d+)\)", rest)
        if m:
            if n != len(self.exs) + 1:
                self.fail(ln, "the examples are given in order, each its input then its target", len(self.exs) + 1, n)
            shape = tuple(int(g) for g in m.groups())
            if self.exs and shape != self.exs[0]["shape"]:
                self.fail(ln, "every example's input has the same shape", self.exs[0]["shape"], shape)
            ex = {"X": {}, "T": {}, "G": {}, "shape": shape, "line": ln}
            self.exs.append(ex)
            self.expect_matrices(self.tensor("x", 0, shape), ex["X"])
            self.gstate = "ex"
            return i + 1
        m = re.fullmatch(r"(t \(target|t \(target probabilities|g \(upstream gradient of the output), "
                         r"(\d+)×(\d+)×(\d+)\)", rest) or \
            re.fullmatch(r"(t \(target|t \(target probabilities|g \(upstream gradient of the output), (\d+)\)", rest)
        if m:
            if n != len(self.exs) or "tshape" in (self.exs[-1] if self.exs else {"tshape": 0}):
                self.fail(ln, "an example's target comes right after its input", len(self.exs), n)
                return i + 1
            objective = "loss" if rest.startswith("t") else "grad"
            probabilities = m.group(1).endswith("probabilities")
            if self.objective is not None and (objective, probabilities) != (self.objective, self.probabilities):
                self.fail(ln, "every example of a batch has the same kind of objective")
            self.objective, self.probabilities = objective, probabilities
            shape = tuple(int(g) for g in m.groups()[1:])
            ex = self.exs[-1]
            ex["tshape"] = shape
            self.expect_matrices(self.tensor(rest[0], 0, shape), ex["T"] if objective == "loss" else ex["G"])
            return i + 1
        self.fail(ln, f"line not understood in Given: example {n}: {rest!r}")
        return i + 1

    def given_loss(self, ln, s):
        self.T = self.exs[0]["T"] if self.exs else {}
        super().given_loss(ln, s)
        if self.loss == "softmax":
            for ex in self.exs[1:]:
                self.T = ex["T"]
                self.probability_vector(ln)

    def softmax_note(self, ln, s):
        """Given's note on targets a softmax never reaches: there exactly when some example's
        target has an entry 0; the one-hot wording when every such target is one-hot, else the
        soft one, both said of an example's L."""
        self.count["notes"] += 1
        zeros = [sum(1 for v in ex["T"].values() if v.value == 0) for ex in self.exs]
        hot = [z + 1 == len(ex["T"]) for z, ex in zip(zeros, self.exs) if z > 0]
        if self.softmax_noted is not None:
            self.fail(ln, "the note on the softmax's target twice")
        self.softmax_noted = ln
        if not any(zeros):
            self.fail(ln, "a note that the target is never reached, but no entry of any t is 0", "no note", s)
            return
        want = SOFTMAX_NOTE + (BATCH_ONE_HOT if all(hot) else BATCH_SOFT)
        if s != want:
            self.fail(ln, "the note on a target the softmax never reaches exactly", want, s)

    def end_given(self, ln):
        if self.exs:
            self.use_example(1)
        if self.loss == "softmax" and self.softmax_noted is None and \
                any(v.value == 0 for ex in self.exs for v in ex["T"].values()):
            self.count["notes"] += 1
            self.fail(ln, "an entry of a softmax's target is 0, which no softmax reaches, but no note says so")
        self.softmax_noted = self.softmax_noted or True  # (checked above)
        super().end_given(ln)
        self.count["structure"] += 1
        if not self.batch_seen:
            self.fail(ln, "Given has no line on the batch and its reduction")
        out = self.junction(len(self.layers))[2] if self.layers else None
        for n, ex in enumerate(self.exs, 1):
            if ex.get("tshape") is None:
                self.fail(ex["line"], f"example {n} has no target (or upstream gradient)")
            elif ex["tshape"] != out:
                self.fail(ex["line"], f"example {n}: the shape of its target is not the network's output's",
                          "×".join(map(str, out)) if out else None, "×".join(map(str, ex["tshape"])))
        if len(self.exs) != self.N:
            self.fail(ln, "Given: not the title's count of examples", self.N, len(self.exs))

    # -- steps ----------------------------------------------------------------------------------

    def dispatch(self, i, ln, raw, text) -> int:
        if self.ctx == "bintro" and text:
            self.indent(ln, raw, 2, "the step's introduction")
            self.count["structure"] += 1
            then = ", then one update" if self.has_lr else ""
            want = [BATCH_STEP_INTRO.format(then=then)] + ([BATCH_STEP_FIRST] if len(self.history) == 1 else [])
            k = self.intro_seen
            if k >= len(want) or text != want[k]:
                self.fail(ln, "the introduction of a batch's step", want[k] if k < len(want) else "nothing", text)
            self.intro_seen += 1
            return i + 1
        if self.ctx == "bintro":
            self.count["structure"] += 1
            then = ", then one update" if self.has_lr else ""
            want = 1 + (len(self.history) == 1)
            if self.intro_seen < want:
                self.fail(ln, "the introduction of a batch's step is incomplete",
                          BATCH_STEP_FIRST if self.intro_seen else BATCH_STEP_INTRO.format(then=then), "nothing")
            self.ctx = "bbetween"
            return i + 1
        return super().dispatch(i, ln, raw, text)

    def end_section(self, ln):
        if self.ctx == "step" and self.bpart not in (None, "batch"):
            self.close_example(ln)
            return
        super().end_section(ln)

    def heading(self, i, ln, raw, text) -> int:
        m = re.fullmatch(r"Step (\d+), example (\d+) of (\d+)", text)
        if m:
            self.count["structure"] += 1
            self.begin_example(ln, int(m.group(1)), int(m.group(2)), int(m.group(3)))
            return i + 1
        m = re.fullmatch(r"Step (\d+), the batch", text)
        if m:
            self.count["structure"] += 1
            self.begin_batch(ln, int(m.group(1)))
            return i + 1
        m = re.fullmatch(r"Step (\d+)", text)
        if m and self.ctx in ("bbetween", "step"):
            self.fail(ln, f"step {self.step}: the batch's part is missing before the next step")
            self.bpart = "batch"
            if self.ctx == "step":
                self.close_step(ln)
            self.ctx = "between"
        out = super().heading(i, ln, raw, text)
        if m and self.ctx == "step":
            self.ctx, self.bpart, self.ex_done, self.rest_seen, self.intro_seen = "bintro", None, 0, False, 0
        return out

    def section_init(self, stages):
        self.sv, self.new, self.noted, self.pending, self.sym_kinds = {}, {}, set(), {}, set()
        self.picks, self.tied = {}, {}
        self.sec_nonfinite, self.sec_note = None, None
        self.stages = stages
        self.si, self.stage = 0, None

    def example_stages(self, kind: str, first: bool) -> list:
        """An example's stages: a network's step without the update (`kind` 'step'), or its last
        forward pass ('after'); the loss that rose is noted at the batch's loss, not here."""
        has_lr = self.has_lr
        self.has_lr = False
        try:
            stages = self.stages_for(kind, first)
        finally:
            self.has_lr = has_lr
        for st in stages:
            for g in st.groups:
                g.notes.discard("rose")
        return stages

    def begin_example(self, ln, k, n, N):
        if self.ctx != "bbetween" or k != self.step:
            self.fail(ln, f"`Step {k}, example {n} of {N}` out of place (after its step's heading)")
        if n != self.ex_done + 1:
            self.fail(ln, "the examples are written out in order", self.ex_done + 1, n)
        if N != self.N:
            self.fail(ln, "an example's heading: not the batch's count of examples", self.N, N)
        if n > self.full:
            self.fail(ln, f"a batch of {self.N} examples writes out its first {self.full} in full, not {n}",
                      self.full, n)
        self.ex_done = n
        self.ctx, self.bpart = "step", n
        if 1 <= n <= len(self.exs):
            self.use_example(n)
        self.section_init(self.example_stages("step", first=len(self.history) == 1 and n == 1))

    def close_example(self, ln):
        self.close_stage(ln)
        self.close_section(ln, "example")
        self.values_of(self.step)[self.bpart] = dict(self.sv)
        rec = self.history[-1]
        rec.setdefault("ex", {})[self.bpart] = {"sv": dict(self.sv), "picks": dict(self.picks),
                                                "tied": dict(self.tied)}
        if self.sec_nonfinite and not rec.get("nonfinite"):
            rec["ex_nonfinite"] = self.sec_nonfinite
        self.ctx = "bbetween"

    def rest_line(self, ln, raw, text, after: bool) -> bool:
        """`Examples a to N are computed the same way …`: after the last example written out,
        exactly where some are not."""
        fmt = BATCH_REST_AFTER if after else BATCH_REST
        m = re.fullmatch(r"Examples (\d+) to (\d+)(?: are computed the same way and not written out; .*|: computed the "
                         r"same way, not written out\.)", text)
        if not m:
            return False
        self.indent(ln, raw, 2, "the examples not written out")
        self.count["structure"] += 1
        want = fmt.format(a=self.full + 1, n=self.N)
        if self.N <= FULL_EXAMPLES:
            self.fail(ln, f"a batch of {self.N} examples is written out in full", "no such line", text)
        elif text != want:
            self.fail(ln, "the examples not written out: the ones after the first written out", want, text)
        elif self.ex_done != self.full:
            self.fail(ln, f"the examples not written out: said after example {self.full}", self.full, self.ex_done)
        if self.rest_seen:
            self.fail(ln, "the examples not written out: said twice")
        self.rest_seen = True
        return True

    def begin_batch(self, ln, k):
        if self.ctx == "step" and self.bpart not in (None, "batch"):
            self.close_example(ln)
        if self.ctx != "bbetween" or k != self.step:
            self.fail(ln, f"`Step {k}, the batch` out of place (after its step's examples)")
        if self.ex_done != self.full:
            self.fail(ln, f"the batch's part before every example is written out ({self.full} of {self.N})",
                      self.full, self.ex_done)
        if self.N > FULL_EXAMPLES and not self.rest_seen:
            self.fail(ln, "no line says which examples are not written out",
                      BATCH_REST.format(a=self.full + 1, n=self.N), "nothing")
        self.ctx, self.bpart = "step", "batch"
        self.pending_examples(self.step, ln)
        self.section_init(self.batch_stages(first=len(self.history) == 1))

    def batch_loss_stage(self) -> Stage:
        Lt = NetTensor("L", (), ())
        e = Expect("sum", terms=[[f"L{sub(n)}"] for n in range(1, self.N + 1)], named=False, empty=None)
        e.scale = self.bscale
        group = Group(Lt, {"L": e}, notes=("rose",))
        group.mats = []
        return Stage("bloss", f"Batch loss: L = {self.scale_prefix()}Σₙ Lₙ, over the {plural(self.N, 'example', 'examples')}",
                     [group])

    def bgrad_groups(self, scale, grads=None) -> list:
        groups = []
        for _, _, GP in self.param_tensors():
            expect = {}
            for name in GP.names():
                e = Expect("sum", terms=[[f"∂L{sub(n)}{name[2:]}"] for n in range(1, self.N + 1)], named=True,
                           empty=None)
                e.scale = scale
                expect[name] = e
            groups.append(Group(GP, expect))
        return groups

    def batch_stages(self, first: bool) -> list:
        grad = Stage("bgrad", f"Batch gradient: ∂L/∂p = {self.scale_prefix()}Σₙ ∂Lₙ/∂p, for every parameter p",
                     self.bgrad_groups(self.bscale), prose=where_one_over_n(self.reduction, self.N) if first else ())
        out = [self.batch_loss_stage(), grad]
        if self.has_lr:
            out.append(self.update_stage())
        return out

    def section_line(self, i, ln, raw, text) -> int:
        if self.ctx == "step" and self.bpart not in (None, "batch") and text.startswith("Examples "):
            if self.rest_line(ln, raw, text, after=False):
                self.close_stage(ln)
                return i + 1
        if self.ctx == "after" and self.after_state == "forward":
            m = re.fullmatch(r"example (\d+) of (\d+):", text)
            if m:
                self.after_example(ln, raw, int(m.group(1)), int(m.group(2)))
                return i + 1
            if text.startswith("Examples ") and self.rest_line(ln, raw, text, after=True):
                self.close_after_example(ln)
                return i + 1
            if text.startswith("Batch loss: "):
                self.close_after_example(ln)
                self.after_batch(ln)
        if self.ctx == "after" and self.after_state == "forward" and text == "final parameters:" \
                and self.bpart != "batch":
            self.count["structure"] += 1
            self.fail(ln, "the result's batch loss is missing before the final parameters")
            self.close_after_example(ln)
        return super().section_line(i, ln, raw, text)

    # -- the result -----------------------------------------------------------------------------

    def begin_result(self, ln, m):
        super().begin_result(ln, m)
        self.ex_done, self.rest_seen, self.bpart = 0, False, None

    def result_line(self, i, ln, raw, text) -> int:
        if text == BATCH_AFTER:
            self.indent(ln, raw, 2, "the last forward pass")
            self.count["structure"] += 1
            if self.after_state not in (None, "noted"):
                self.fail(ln, "the last forward pass comes first in the result")
            self.after_state = "forward"
            self.stages = []
            return i + 1
        if text == "A last forward pass, with the final parameters:":
            self.count["structure"] += 1
            self.fail(ln, "a batch's last forward pass is of every example", BATCH_AFTER, text)
        m = re.fullmatch(r"Summary: the loss at the parameters each step started from, the batch's and each "
                         r"example's( \(of the first (\d+)\))?(?: \(the first and last ten steps, and one step in "
                         r"every (\d+)\))?", text)
        if m:
            self.indent(ln, raw, 2, "the summary")
            if self.after_state != "trend":
                self.fail(ln, "the summary comes last, after `L: a → b`")
            self.after_state = "summary"
            cols = min(self.N, SUMMARY_EXAMPLES)
            self.count["structure"] += 1
            if (m.group(1) is not None) != (cols < self.N) or (m.group(2) and int(m.group(2)) != cols):
                self.fail(ln, f"the summary of a batch of {self.N} examples gives the losses of "
                              f"{'the first ' + str(cols) if cols < self.N else 'every example'}",
                          f" (of the first {cols})" if cols < self.N else "no count", m.group(1) or "no count")
            return self.summary(i, ln, int(m.group(3)) if m.group(3) else None, cols)
        if text.startswith("Summary: the loss at the parameters each step started from"):
            self.count["structure"] += 1
            self.fail(ln, "a batch's summary gives the batch's loss and each example's", "…, the batch's and each "
                                                                                        "example's", text)
        return super().result_line(i, ln, raw, text)

    def after_example(self, ln, raw, n, N):
        self.indent(ln, raw, 2, "an example's last forward pass")
        self.count["structure"] += 1
        self.close_after_example(ln)
        if n != self.ex_done + 1 or N != self.N or n > self.full:
            self.fail(ln, "the examples' last forward passes: in order, the ones written out",
                      f"example {self.ex_done + 1} of {self.N}", f"example {n} of {N}")
        self.ex_done, self.bpart = n, n
        if 1 <= n <= len(self.exs):
            self.use_example(n)
        self.section_init(self.example_stages("after", first=False))

    def close_after_example(self, ln):
        if self.bpart in (None, "batch"):
            return
        self.close_stage(ln)
        self.close_section(ln, "after")
        self.values_of("after")[self.bpart] = dict(self.sv)
        self.bpart = "done"

    def after_batch(self, ln):
        self.count["structure"] += 1
        if self.ex_done != self.full:
            self.fail(ln, f"the batch's loss before every example's last forward pass ({self.full} of {self.N})",
                      self.full, self.ex_done)
        if self.N > FULL_EXAMPLES and not self.rest_seen:
            self.fail(ln, "no line says which examples' last forward passes are not written out",
                      BATCH_REST_AFTER.format(a=self.full + 1, n=self.N), "nothing")
        self.bpart = "batch"
        self.pending_examples("after", ln)
        self.section_init([self.batch_loss_stage()])

    def summary(self, i, ln, every, cols=None) -> int:
        if cols is None:
            return super().summary(i, ln, every)
        header = ["step", "L"] + [f"L{sub(n)}" for n in range(1, cols + 1)]
        j, rows, cells, _ = self.summary_table(
            i, ln, every, header, "summary header: the step, the batch's L and each example's")
        if rows is None:
            return j
        values = []
        for (lnr, raw), got in zip(rows[1:], cells[1:]):
            if len(got) != len(header):
                self.fail(lnr, f"summary row {got[0] if got else '?'}: wrong number of columns", len(header), len(got))
            row = []
            name = got[0] if got else "?"
            for c, g in enumerate(got[1:len(header)]):
                mark, t = ("≈", g[1:]) if g.startswith("≈") else ("", g)
                try:
                    v = parse_value(t)
                except ValueError:
                    self.fail(lnr, f"summary row {name}: not a number", "a number", g)
                    row.append(None)
                    continue
                if c == 0:
                    what, sym = "L", "L"
                    rec = self.after_L if name == "final" else (self.rec_of(int(name)) or {}).get("L") \
                        if name.isdigit() else None
                else:
                    what, sym = header[c + 1], "L"
                    where = "after" if name == "final" else int(name) if name.isdigit() else None
                    rec = (self.values_of(where).get(c) or {}).get("L") if where is not None else None
                    if rec is None and where is not None and (where == "after" or self.rec_of(where)):
                        self.fail(lnr, f"summary row {name}, {what}: that example's loss was not printed")
                if rec is not None:
                    self.quote(lnr, f"summary row {name}, {what}", sym, rec, mark, t)
                else:
                    self.count["operands"] += 1
                    self.number(lnr, f"summary row {name}, {what}", t, mark == "")
                row.append((t, v, mark == "≈", rec))
            values.append(row)
        self.summary_digits(rows, cells, values, header)
        self.check_aligned(rows, cells, "summary table")
        return j

    def end_result(self, ln):
        self.count["structure"] += 1
        if self.after_state in (None, "noted", "forward"):
            self.fail(ln, "the result ends before its final parameters")
        if self.fq:
            self.fail(ln, f"final parameters not printed: {', '.join(mat[0] for _, mat in self.fq)}")
        if not self.trend_seen and self.history and self.history[0].get("L") is not None:
            self.fail(ln, "no `L: first → final` line")
        if not self.summary_seen:
            self.fail(ln, "a batch's result ends with its summary (the batch's loss and each example's)")
        self.ended = True

    # -- the finite-difference check of a batch -------------------------------------------------

    BATCH_FD_INTRO = ("Each gradient entry next to the central difference (L(w + h) − L(w − h))/(2h), with L computed "
                      "by the same forward pass at the nudged parameter.")
    BATCH_KINK_TAIL = "when the parameter moves by ±h, so the central difference straddles the kink and is not compared."
    NET_KINK_TAIL = ("when the parameter or input entry moves by ±h, so the central difference straddles the kink and "
                     "is not compared.")

    def fd_line(self, i, ln, raw, text) -> int:
        # a batch's check moves only the parameters (each input is its own example's): its
        # sentences say so; read as a network's, whose rows are the parameters alone here
        if text.startswith(self.BATCH_FD_INTRO):
            text = NET_FD_INTRO + text[len(self.BATCH_FD_INTRO):]
        elif text.startswith(NET_FD_INTRO):
            self.fail(ln, "a batch's finite-difference check moves the parameters only, and says so",
                      self.BATCH_FD_INTRO, text)
        if text.startswith("Note: ") and text.endswith(self.BATCH_KINK_TAIL):
            text = text[: -len(self.BATCH_KINK_TAIL)] + self.NET_KINK_TAIL
        elif text.startswith("Note: ") and text.endswith(self.NET_KINK_TAIL):
            self.fail(ln, "a batch's finite-difference note: the parameter moves, no input entry",
                      self.BATCH_KINK_TAIL, text)
        if re.fullmatch(rf"Step (\d+), h ([=≈]) ({NUM})", text) and self.exs:
            self.use_example(1)
        return super().fd_line(i, ln, raw, text)

    def fd_inputs(self) -> list:
        """h: 10⁻⁶·max(1, the parameters and every example's input)."""
        return [v for ex in self.exs for v in ex["X"].values()]

    def fd_entries(self) -> list[str]:
        """Every parameter's gradient, layer by layer; no input entry (each is its own example's)."""
        out = []
        for _, _, GP in self.param_tensors():
            out += GP.names()
        return out

    def each_example(self, k, fn, quiet_all=False):
        """`fn` read against each example of step k written out, in turn, its values (z, y, x)
        that example's: the first against which it holds (no failure) is taken; if none, the
        failures against example 1 are reported. (A note quotes an activation's argument
        without saying whose: any example's will do.) Returns fn's result and the example."""
        rec = self.rec_of(k)
        exs = sorted((rec or {}).get("ex", {}).items())
        if not exs:
            return fn(), None
        saved_sv, saved_fail = rec.get("sv"), self.fail
        first = None
        try:
            for n, e in exs:
                fails = []
                rec["sv"] = e["sv"]
                self.use_example(n)
                self.fail = lambda line, msg, expected=None, printed=None, fails=fails: \
                    fails.append((line, msg, expected, printed))
                out = fn()
                if not fails:
                    return out, n
                if first is None:
                    first = (fails, out)
        finally:
            rec["sv"], self.fail = saved_sv, saved_fail
            if self.exs:
                self.use_example(1)
        for f in first[0]:
            self.fail(*f)
        return first[1], None

    def fd_note(self, ln, s):
        cur = self.fd_cur
        if cur is None or not cur["table"] or NET_FD_NONFINITE.fullmatch(s):
            return super().fd_note(ln, s)
        count, notes, flagged = dict(self.count), list(cur["notes"]), dict(cur["flagged"])

        def one():
            self.count.update(count)
            cur["notes"][:] = notes
            cur["flagged"].clear()
            cur["flagged"].update(flagged)
            return super(BatchChecker, self).fd_note(ln, s)
        self.each_example(cur["k"], one)

    def fd_crossing(self, entry, h, rec):
        return self.any_example(super().fd_crossing, entry, h, rec)

    def fd_pool_crossing(self, entry, h, rec):
        return self.any_example(super().fd_pool_crossing, entry, h, rec)

    def any_example(self, fn, entry, h, rec):
        """fn's finding (a kink a compared row crosses) for the first example that has one."""
        try:
            for n, e in sorted(rec.get("ex", {}).items()):
                self.use_example(n)
                out = fn(entry, h, {"sv": e["sv"], "params": rec["params"]})
                if out:
                    return out
            return None
        finally:
            if self.exs:
                self.use_example(1)

    # -- the mistakes of a batch ----------------------------------------------------------------

    BATCH_RECIPES = ("summed", "mean")
    BATCH_EXAMPLE_SLIP = "Example 1's pass, the stage it gets wrong (every example makes the same mistake):"
    BATCH_AFTER_MISTAKE = "The batch's loss with these parameters:"

    def recipe_made(self, recipe: str) -> bool:
        if recipe == "summed":
            return self.reduction == "mean" and self.N > 1
        return super().recipe_made(recipe)

    def recipe_noted(self, recipe: str) -> bool:
        return True if recipe == "summed" else super().recipe_noted(recipe)

    def begin_mistakes(self, ln):
        super().begin_mistakes(ln)
        self.made = [r for r in self.BATCH_RECIPES if self.recipe_made(r)]
        self.absent = [r for r in self.BATCH_RECIPES if not self.recipe_made(r) and self.recipe_noted(r)]

    def begin_net_mistake(self, ln, k, title):
        super().begin_net_mistake(ln, k, title)
        ex1 = self.history[0].get("ex", {}).get(1)
        if self.m_recipe == "mean" and ex1 is not None:
            # the stage example 1 gets wrong, from its own values of step 1
            self.base_sv = ex1["sv"]
            self.use_example(1)
        self.m_slip_seen = False
        self.values_of(("mistake", k))  # the examples' gradients: step 1's, but what the recipe changes
        self.exvals[("mistake", k)] = {n: dict(d) for n, d in self.values_of(1).items()}

    def mistake_stages(self, recipe: str) -> list:
        """A batch's recipe: the batch's gradient summed (no 1/N), from step 1's examples'
        gradients; or example 1's bias gradients as the mean over positions (every layer it
        concerns), then the batch's gradient of the examples' wrong ones (the other examples'
        first printed there); then the update from step 1's parameters."""
        out = []
        if recipe == "summed":
            mean = f"{scale_text(self.bscale)}·" if self.bscale != 1 else ""
            out.append(Stage("bgrad", f"Batch gradient, the mistake: ∂L/∂p = Σₙ ∂Lₙ/∂p, where the mean's ∂L/∂p = "
                                      f"{mean}Σₙ ∂Lₙ/∂p belongs", self.bgrad_groups(Fraction(1))))
        else:
            wrong = self.recipe_layers(recipe)
            out += [self.bgrad_mean_stage(L) for L in reversed(self.layers) if L.k in wrong]
            out.append(Stage("bgrad", f"Batch gradient: ∂L/∂p = {self.scale_prefix()}Σₙ ∂Lₙ/∂p",
                             self.bgrad_groups(self.bscale)))
        if self.has_lr:
            out.append(self.update_stage())
        return out

    def net_mistake_line(self, i, ln, raw, text) -> int:
        if text == self.BATCH_EXAMPLE_SLIP:
            self.indent(ln, raw, 2, "the example a recipe's stage is shown of")
            self.count["structure"] += 1
            if self.m_recipe != "mean" or self.m_slip_seen or self.si:
                self.fail(ln, "the line on example 1's pass belongs before the bias gradient averaged")
            self.m_slip_seen = True
            return i + 1
        if self.m_phase == "back" and text.startswith("Batch gradient") and self.m_recipe == "mean":
            self.count["structure"] += 1
            if not self.m_slip_seen:
                self.fail(ln, "the bias gradient averaged says whose pass it shows", self.BATCH_EXAMPLE_SLIP,
                          "nothing")
            self.close_stage(ln)
            # example 1's wrong bias gradients (just printed), the other examples' first printed here
            vals = self.values_of(("mistake", self.m_k))
            wrong = self.recipe_layers("mean")
            for _, _, GP in self.param_tensors():
                if not (GP.prefix.startswith("∂L/∂b") and any(GP.prefix == self.bias_t("∂L/∂b", L).prefix
                                                              for L in self.layers if L.k in wrong)):
                    continue
                for name in GP.names():
                    for n in range(1, self.N + 1):
                        vals.setdefault(n, {})[name] = (self.sv.get(name) if n == 1 else None) or Val(None, MAYBE, ln)
            self.m_ex_sv = self.sv
            self.sv = {}
        if text == self.BATCH_AFTER_MISTAKE:
            self.indent(ln, raw, 2, "the batch's loss after a mistake")
            self.mistake_forward(ln)
            self.stages = [self.batch_loss_stage()]
            self.pending_examples(("mistake", self.m_k, "after"), ln)
            return i + 1
        if text == "A forward pass with these parameters:":
            self.count["structure"] += 1
            self.fail(ln, "a batch's mistake gives the batch's loss with its parameters", self.BATCH_AFTER_MISTAKE,
                      text)
        return super().net_mistake_line(i, ln, raw, text)

    def bvals_step(self):
        if self.ctx == "mistake":
            return ("mistake", self.m_k, "after") if self.m_phase == "forward" else ("mistake", self.m_k)
        return self.step

    def summed(self, lhs, terms):
        """The batch gradient summed where the loss is the mean: each entry N times the mean's
        (step 1's batch gradient), so the update moves each parameter N times as far."""
        if self.ctx != "mistake" or self.m_recipe != "summed" or self.stage is None or self.stage.kind != "bgrad":
            return
        mine, right = self.sv.get(lhs), self.history[0].get("sv", {}).get(lhs)
        if mine is None or right is None or not (finite(mine.value) and finite(right.value)):
            return
        self.count["operands"] += 1
        n = self.N
        slack = radius(mine.text, mine.value, mine.rounded) + n * radius(right.text, right.value, right.rounded) \
            + 4 * EPS * abs(mine.value)
        if abs(mine.value - n * right.value) > slack:
            self.fail(mine.line, f"{lhs}: the summed gradient is not {n} times the mean's (step 1's batch gradient, line "
                                 f"{right.line}): η in effect {n} times larger", show(n * right.value), mine.text)


# ---------------------------------------------------------------------------------------------
# Files


def read_lines(path: str) -> list[tuple[int, str]]:
    text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    start = 0
    if path.endswith(".snap") and lines and lines[0].strip() == "---":
        for k in range(1, len(lines)):
            if lines[k].strip() == "---":
                start = k + 1
                break
    return [(k + 1, lines[k]) for k in range(start, len(lines))]


def check_file(path: str, quiet: bool, pedantic: bool, allow_trailing: bool = False) -> int:
    name = "<stdin>" if path == "-" else path
    try:
        lines = read_lines(path)
    except OSError as e:
        print(f"{name}: cannot read: {e}")
        return 1
    failures = 0

    def report(kind, line, msg):
        nonlocal failures
        msg = msg.replace(FRAC_SLASH, "/")  # an exact derivation's fractions as printed
        if kind == "fail":
            failures += 1
            print(f"{name}:{line}: {msg}")
        elif not quiet:
            print(f"{name}:{line}: note: {msg}")

    # one file may hold several derivations, each starting with its title line
    starts = [k for k, (_, t) in enumerate(lines) if t.startswith(("Training one convolutional layer:",
                                                                   NetChecker.TITLE))]
    if not starts:
        report("fail", lines[0][0] if lines else 1, "no derivation found (no `Training one convolutional layer:` "
                                                    "or `Training a network of …` line)")
    elif any(t.strip() for _, t in lines[: starts[0]]):
        report("note", lines[0][0], "text before the first derivation is ignored")
    totals = {"equations": 0, "operands": 0, "matrices": 0, "structure": 0, "notes": 0}
    for n, s in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        kind = (BatchChecker if " on a batch of " in lines[s][1] else NetChecker) \
            if lines[s][1].startswith(NetChecker.TITLE) else Checker
        part = lines[s:end]
        set_exact(is_exact(part))
        if EXACT:
            part = exact_lines(part)
        c = kind(name, part, report, pedantic, allow_trailing)
        if EXACT:
            c.exact_rules()
        c.run()
        set_exact(False)
        for k in totals:
            totals[k] += c.count[k]
    status = "OK" if failures == 0 else f"FAILED ({failures} failure{'s' if failures != 1 else ''})"
    print(f"{name}: {status}: {len(starts)} derivation{'s' if len(starts) != 1 else ''}, "
          f"{totals['equations']} equations, {totals['operands']} operands, {totals['matrices']} matrices/tables, "
          f"{totals['structure']} structure checks, {totals['notes']} notes checked")
    return failures


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    flags = {a for a in argv if a.startswith("--")}
    unknown = flags - {"--quiet", "--pedantic", "--help", "--allow-trailing"}
    if "--help" in flags or not args or unknown:
        print(__doc__)
        return 2 if (unknown or not args) and "--help" not in flags else 0
    bad = 0
    for path in args:
        bad += check_file(path, "--quiet" in flags, "--pedantic" in flags, "--allow-trailing" in flags)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

//! A network's literals, of any rank: an input `[C][H][W]` or `[H][W]`, a filter
//! `[F][C][KH][KW]` or `[KH][KW]`, a bias `[F]` or one number, read with their shape.
//!
//! A network's shapes are the const parameters of its ops' types, which the macro computes
//! from its literals, so these are read down to every number: lists `[a, b]` and repeats
//! `[a; 3]` with a literal count at every level, number literals (checked as a single
//! layer's are) or `f64` expressions (a `const`, a call) as entries. A level given as an
//! expression (`[R, R]` with a `const R: [f64; 3]`) has a shape only its type knows: an
//! error saying to write it out.

use proc_macro2::Span;
use syn::Expr;

use crate::errors::Errors;
use crate::valid::{self, Cell, ordinal, shown, ungroup};

/// How deep the macro looks for the rank: deeper literals are an error, not a recursion
/// without bound.
pub(crate) const MAX_RANK: usize = 8;

/// A literal as the code to generate.
pub(crate) enum Nested {
    /// One entry.
    Cell(Cell),
    /// `[a, b, …]`; `span` is the brackets'.
    List { span: Span, items: Vec<Nested> },
    /// `[a; count]`.
    Repeat { span: Span, item: Box<Nested>, count: Box<Expr> },
}

/// A literal the macro has read: its code and its shape, outermost length first (empty for
/// a single number).
pub(crate) struct Literal {
    pub code: Nested,
    pub dims: Vec<usize>,
}

/// The rank `expr` is written with: the brackets down its first entries, up to
/// [`MAX_RANK`] + 1.
pub(crate) fn rank(expr: &Expr) -> usize {
    let mut rank = 0;
    let mut at = ungroup(expr);
    while rank <= MAX_RANK {
        at = match at {
            Expr::Array(array) => match array.elems.first() {
                Some(first) => ungroup(first),
                None => return rank + 1,
            },
            Expr::Repeat(repeat) => ungroup(&repeat.expr),
            _ => return rank,
        };
        rank += 1;
    }
    rank
}

/// `"entries"`, `"rows"`.
fn plural(name: &str) -> String {
    if name == "entry" { "entries".to_owned() } else { format!("{name}s") }
}

/// What the entries at each depth of a literal of `rank` are called: a filter's
/// `[F][C][KH][KW]` are filters, channels, rows and entries; a map's channels, rows and
/// entries; a bias's entries.
pub(crate) fn level_names(rank: usize, filter: bool) -> Vec<&'static str> {
    let all: &[&str] = if filter {
        &["filter", "channel", "row", "entry"]
    } else {
        &["map", "channel", "row", "entry"]
    };
    let mut names: Vec<&'static str> = all.iter().rev().take(rank).rev().copied().collect();
    while names.len() < rank {
        names.insert(0, "block");
    }
    names
}

/// Reads `expr` as a literal of `rank`; `None` after an error (every error in it is
/// reported). `what` names it in messages (`` `input` ``, "the filter of layer 2").
pub(crate) fn read(
    expr: &Expr,
    rank: usize,
    names: &[&str],
    what: &str,
    errors: &mut Errors,
) -> Option<Literal> {
    let mut reader = Reader { what, names, rank, first: vec![None; rank], ok: true, errors };
    let code = reader.read(expr, 0, &mut Vec::new());
    let dims: Option<Vec<usize>> =
        reader.first.iter().map(|d| d.as_ref().map(|(n, _)| *n)).collect();
    if !reader.ok {
        return None;
    }
    Some(Literal { code: code?, dims: dims? })
}

struct Reader<'a, 'e> {
    what: &'a str,
    names: &'a [&'a str],
    rank: usize,
    /// The length of the first list at each depth, and where it is.
    first: Vec<Option<(usize, Vec<usize>)>>,
    ok: bool,
    errors: &'e mut Errors,
}

impl Reader<'_, '_> {
    /// "the 2nd row of the 1st channel of `input`", or "`input`" for the whole.
    fn describe(&self, path: &[usize]) -> String {
        let mut parts: Vec<String> = path
            .iter()
            .enumerate()
            .rev()
            .map(|(depth, i)| format!("the {} {}", ordinal(i + 1), self.names[depth]))
            .collect();
        parts.push(self.what.to_owned());
        parts.join(" of ")
    }

    fn error(&mut self, tokens: &Expr, message: String) -> Option<Nested> {
        self.errors.at(tokens, message);
        self.ok = false;
        None
    }

    /// Compares the length of the list at `path` with the first one at its depth.
    fn length(&mut self, expr: &Expr, path: &[usize], len: usize) {
        let depth = path.len();
        match &self.first[depth] {
            None => self.first[depth] = Some((len, path.to_vec())),
            Some((first, at)) if *first != len => {
                let (first, at) = (*first, at.clone());
                let unit = self.names[depth];
                // Ragged lists are inside another (the whole literal is one list).
                let outer = self.names[depth - 1];
                let message = format!(
                    "{} has {len} {}, but {} has {first}: every {outer} needs {first}",
                    self.describe(path),
                    if len == 1 { unit.to_owned() } else { plural(unit) },
                    self.describe(&at).replace(&format!(" of {}", self.what), ""),
                );
                self.error(expr, message);
            }
            Some(_) => {}
        }
    }

    fn read(&mut self, expr: &Expr, depth: usize, path: &mut Vec<usize>) -> Option<Nested> {
        if depth == self.rank {
            return match ungroup(expr) {
                Expr::Array(_) | Expr::Repeat(_) => {
                    let message = format!(
                        "expected a number as {}, found a list {}: every entry of {} is as deep as its first",
                        self.describe(path),
                        shown(expr),
                        self.what,
                    );
                    self.error(expr, message)
                }
                _ => {
                    let cell = valid::cell(expr, self.errors);
                    self.ok &= cell.is_some();
                    cell.map(Nested::Cell)
                }
            };
        }
        let unit = self.names[depth];
        match ungroup(expr) {
            Expr::Array(array) => {
                if array.elems.is_empty() {
                    let message =
                        format!("{} is empty; it needs at least one {unit}", self.describe(path));
                    return self.error(expr, message);
                }
                self.length(expr, path, array.elems.len());
                let mut items = Vec::with_capacity(array.elems.len());
                for (i, elem) in array.elems.iter().enumerate() {
                    path.push(i);
                    let item = self.read(elem, depth + 1, path);
                    path.pop();
                    items.extend(item);
                }
                let span = array.bracket_token.span.join();
                (items.len() == array.elems.len()).then_some(Nested::List { span, items })
            }
            Expr::Repeat(repeat) => {
                let Some(len) = valid::count(&repeat.len) else {
                    let message = format!(
                        "the macro computes a network's shapes from its literals: write the count of {} as a number, like `[0.5; 3]`, not {}",
                        self.describe(path),
                        shown(&repeat.len),
                    );
                    return self.error(&repeat.len, message);
                };
                if len == 0 {
                    let message = format!(
                        "{} is empty (a count of 0); it needs at least one {unit}",
                        self.describe(path)
                    );
                    return self.error(expr, message);
                }
                self.length(expr, path, len);
                path.push(0);
                let item = self.read(&repeat.expr, depth + 1, path);
                path.pop();
                let span = repeat.bracket_token.span.join();
                Some(Nested::Repeat { span, item: Box::new(item?), count: repeat.len.clone() })
            }
            other => {
                let found = shown(expr);
                let message = if valid::is_literal(other) {
                    format!(
                        "expected {} in brackets, found {found}: {} has {} levels of brackets, as its first entries do",
                        self.describe(path),
                        self.what,
                        self.rank,
                    )
                } else {
                    format!(
                        "the macro computes a network's shapes from its literals, so {} must be written out in brackets, not as {found}, whose shape only its type knows",
                        self.describe(path),
                    )
                };
                self.error(expr, message)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{level_names, rank, read};
    use crate::errors::Errors;

    fn expr(text: &str) -> syn::Expr {
        syn::parse_str(text).expect("an expression")
    }

    #[test]
    fn ranks_and_shapes() {
        assert_eq!(rank(&expr("1")), 0);
        assert_eq!(rank(&expr("[[1, 2], [3, 4]]")), 2);
        assert_eq!(rank(&expr("[[[1]; 2]; 3]")), 3);
        assert_eq!(rank(&expr("[[[[[[[[[[1]]]]]]]]]]")), 9);
        let mut errors = Errors::default();
        let names = level_names(4, true);
        let lit = read(&expr("[[[[1, 0]], [[0, A]]]; 3]"), 4, &names, "`filter`", &mut errors);
        assert!(errors.is_empty());
        assert_eq!(lit.expect("read").dims, [3, 2, 1, 2]);
    }

    #[test]
    fn ragged_and_mixed_literals_are_errors() {
        let names = level_names(3, false);
        for text in ["[[[1, 2]], [[1]]]", "[[[1]], [[1], [2]]]", "[[[1]], 2]", "[[[1]], [R]]"] {
            let mut errors = Errors::default();
            assert!(read(&expr(text), 3, &names, "`input`", &mut errors).is_none(), "{text}");
            assert!(!errors.is_empty(), "{text}");
        }
    }
}

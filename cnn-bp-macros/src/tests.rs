//! The expansion functions called directly on token streams: valid specs expand to an
//! expression, and mutated ones never panic.

use proc_macro2::{Delimiter, Group, Ident, Punct, Spacing, Span, TokenStream, TokenTree};

use crate::expand;

const SEED: &str = "input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]], filter: [[1, -1], [1, 1]], \
                    target: [[1, 0], [0, 1]], lr: 0.5, bias: 0.25, activation: leaky_relu(0.1), \
                    loss: mse, steps: 2, stride: (1, 1), padding: 0, kernel: convolution,";

fn tokens(text: &str) -> TokenStream {
    text.parse().expect("test input tokenizes")
}

fn is_error(expansion: &TokenStream) -> bool {
    expansion.to_string().contains("compile_error")
}

#[test]
fn a_valid_spec_expands_to_an_expression() {
    let expansion = expand::train(tokens(SEED));
    assert!(!is_error(&expansion), "{expansion}");
    syn::parse2::<syn::Expr>(expansion).expect("an expression");
    let matrix = expand::matrix(tokens("[1, -2.5], [1e3, 0x10]"));
    assert_eq!(matrix.to_string(), "[[1f64 , - 2.5f64] , [1000f64 , 16f64]]");
}

#[test]
fn generated_code_names_the_library_by_the_path_it_is_given() {
    let expansion = expand::train(tokens(&format!("(renamed::lib) {SEED}"))).to_string();
    assert!(expansion.contains("renamed :: lib :: __private :: Geometry"), "{expansion}");
    assert!(!expansion.contains("cnn_bp_core"), "{expansion}");
    let default = expand::train(tokens(SEED)).to_string();
    assert!(default.starts_with(":: cnn_bp_core :: __private ::"), "{default}");
}

/// A tiny deterministic generator (xorshift), so that the test needs no dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % n as u64).expect("below n")
    }
}

/// Replaces, deletes, duplicates or swaps a random token at a random depth.
fn mutate(stream: TokenStream, rng: &mut Rng) -> TokenStream {
    let mut trees: Vec<TokenTree> = stream.into_iter().collect();
    if trees.is_empty() {
        return TokenStream::new();
    }
    let at = rng.below(trees.len());
    if let TokenTree::Group(group) = &trees[at]
        && rng.below(2) == 0
    {
        let inner = mutate(group.stream(), rng);
        trees[at] = TokenTree::Group(Group::new(group.delimiter(), inner));
        return trees.into_iter().collect();
    }
    let replace = |rng: &mut Rng| -> TokenTree {
        let pick = |rng: &mut Rng, words: &[&'static str]| words[rng.below(words.len())];
        match rng.below(5) {
            0 => {
                let literals =
                    ["\"x\"", "1e999", "0", "1u8", "0x10", "1_000", "2.5f32", "'c'", "1e-400"];
                TokenTree::Literal(pick(rng, &literals).parse().expect("a literal"))
            }
            1 => {
                let puncts = [',', ':', '-', '=', '+', ';', '.'];
                TokenTree::Punct(Punct::new(puncts[rng.below(puncts.len())], Spacing::Alone))
            }
            2 => {
                let words = ["lr", "input", "relu", "leaky_relu", "steps", "stride", "matrix"];
                TokenTree::Ident(Ident::new(pick(rng, &words), Span::call_site()))
            }
            3 => TokenTree::Group(Group::new(Delimiter::Bracket, TokenStream::new())),
            _ => TokenTree::Group(Group::new(Delimiter::Parenthesis, tokens("1, 2, 3"))),
        }
    };
    match rng.below(4) {
        0 => {
            trees.remove(at);
        }
        1 => trees.insert(at, trees[at].clone()),
        2 => {
            let other = rng.below(trees.len());
            trees.swap(at, other);
        }
        _ => trees[at] = replace(rng),
    }
    trees.into_iter().collect()
}

#[test]
fn mutated_specs_never_panic() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let seed = tokens(SEED);
    for _ in 0..4_000 {
        let mut spec = seed.clone();
        for _ in 0..=rng.below(4) {
            spec = mutate(spec, &mut rng);
        }
        let expansion = expand::train(spec.clone());
        if !is_error(&expansion) {
            syn::parse2::<syn::Expr>(expansion).unwrap_or_else(|e| panic!("{spec}: {e}"));
        }
        let rows = spec.into_iter().find_map(|t| match t {
            TokenTree::Group(g) if g.delimiter() == Delimiter::Bracket => Some(g.stream()),
            _ => None,
        });
        if let Some(rows) = rows {
            let _ = expand::matrix(mutate(rows, &mut rng));
        }
    }
}

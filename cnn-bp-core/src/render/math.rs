//! The derivation's notation (`∂L/∂w[0,1] = δ[0,0]·x[0,1] + …`, `−2`, `1.5·10⁻⁹`) in LaTeX
//! that KaTeX and MathJax accept with nothing beyond amsmath, and the pieces the LaTeX and
//! Markdown renderers share.
//!
//! Only the formulas the document builder writes need translating, so this is a small
//! tokenizer rather than a parser: names with `[…]` indices become subscripts, Greek letters
//! and operators become control words, numbers keep their digits.

use super::doc::{Eq, Piece, Rich};
use super::text::for_each_line;
use crate::number::superscript_digit;

/// A formula in LaTeX, for math mode.
pub(crate) fn latex(notation: &str) -> String {
    let chars: Vec<char> = notation.chars().collect();
    let mut out = String::new();
    convert(&chars, &mut out);
    out
}

fn convert(chars: &[char], out: &mut String) {
    let mut k = 0;
    while k < chars.len() {
        let c = chars[k];
        k += 1;
        if c.is_ascii_digit() {
            k = number(chars, k - 1, out);
            continue;
        }
        if c.is_ascii_alphabetic() {
            let start = k - 1;
            while k < chars.len() && (chars[k].is_ascii_alphanumeric() || chars[k] == '_') {
                k += 1;
            }
            let word: String = chars[start..k].iter().collect();
            let from = out.len();
            out.push_str(&identifier(&word));
            let after_name = k;
            k = layer_mark(chars, k, out);
            let marked = k > after_name;
            k = subscript(chars, k, out);
            brace_if_squared(chars, k, marked, from, out);
            continue;
        }
        match c {
            '^' if chars.get(k) == Some(&'(') => {
                let end = closing(chars, k, '(', ')');
                out.push_str("^{");
                convert(&chars[k + 1..end], out);
                out.push('}');
                k = end + 1;
            }
            '{' => out.push_str("\\{"),
            '}' => out.push_str("\\}"),
            // The index of a sum, `Σ_i`, `Σ_k t[k]`: a subscript.
            '_' if k >= 2
                && chars[k - 2] == 'Σ'
                && chars.get(k).is_some_and(char::is_ascii_alphanumeric) =>
            {
                let end = k + chars[k..].iter().take_while(|c| c.is_ascii_alphanumeric()).count();
                out.push_str("_{");
                out.extend(&chars[k..end]);
                out.push('}');
                k = end;
            }
            '%' | '&' | '#' | '$' | '_' => {
                out.push('\\');
                out.push(c);
            }
            '\\' => out.push_str("\\backslash "),
            '~' => out.push_str("\\sim "),
            c if c.is_ascii() => out.push(c),
            // An example's number, `L₂`: a subscript.
            '₀'..='₉' | 'ₙ' => {
                out.push_str("_{");
                out.push(subscript_char(c));
                while let Some(&d @ ('₀'..='₉' | 'ₙ')) = chars.get(k) {
                    out.push(subscript_char(d));
                    k += 1;
                }
                out.push('}');
            }
            'δ' if chars.get(k) == Some(&'\u{303}') => {
                out.push_str("\\tilde{\\delta}");
                k = subscript(chars, k + 1, out);
            }
            c => {
                let from = out.len();
                out.push_str(symbol(c));
                if matches!(c, 'δ' | 'η' | 'σ' | 'α') {
                    let after_name = k;
                    k = layer_mark(chars, k, out);
                    let marked = k > after_name;
                    k = subscript(chars, k, out);
                    brace_if_squared(chars, k, marked, from, out);
                }
            }
        }
    }
}

/// The character a subscript character stands for: `₂` is `2`, `ₙ` is `n`.
fn subscript_char(c: char) -> char {
    if c == 'ₙ' { 'n' } else { char::from_digit(u32::from(c) - 0x2080, 10).unwrap_or('?') }
}

/// Digits, a decimal point and a power of ten (`1.5·10⁻⁹` is `1.5\times 10^{-9}`); a fraction
/// of whole numbers (`5/32`, `2/4`) is `\frac{5}{32}`.
fn number(chars: &[char], mut k: usize, out: &mut String) -> usize {
    let whole = |from: usize| chars[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let numerator = whole(k);
    if chars.get(k + numerator) == Some(&'/') {
        let denominator = whole(k + numerator + 1);
        let end = k + numerator + 1 + denominator;
        // Not `1/2.16823` (a decimal quotient) nor `1/1.5·10⁷`: those stay as written.
        if denominator > 0 && !matches!(chars.get(end), Some('.' | '·')) {
            let digits = |from: usize, n: usize| chars[from..from + n].iter().collect::<String>();
            out.push_str("\\frac{");
            out.push_str(&digits(k, numerator));
            out.push_str("}{");
            out.push_str(&digits(k + numerator + 1, denominator));
            out.push('}');
            return end;
        }
    }
    while k < chars.len() && (chars[k].is_ascii_digit() || chars[k] == '.') {
        out.push(chars[k]);
        k += 1;
    }
    let power = chars.get(k..k + 4).is_some_and(|four| {
        four[..3] == ['·', '1', '0'] && (four[3] == '⁻' || superscript_digit(four[3]).is_some())
    });
    if power {
        out.push_str("\\times 10^{");
        k += 3;
        if chars[k] == '⁻' {
            out.push('-');
            k += 1;
        }
        while let Some(digit) = chars.get(k).and_then(|&c| superscript_digit(c)) {
            out.push(char::from_digit(digit, 10).unwrap_or('?'));
            k += 1;
        }
        out.push('}');
    }
    k
}

/// A name with a layer mark that is squared or transposed (`y⁽¹⁾[0,0]²`, `w⁽⁴⁾ᵀ`) is braced,
/// `{y^{(1)}_{0,0}}^{2}`: a second superscript right after the first is an error in TeX.
fn brace_if_squared(chars: &[char], k: usize, marked: bool, from: usize, out: &mut String) {
    if marked && matches!(chars.get(k), Some('²' | 'ᵀ')) {
        out.insert(from, '{');
        out.push('}');
    }
}

/// `⁽ᵏ⁾` right after a name: its layer, as a superscript (`z⁽⁰⁾` is `z^{(0)}`).
fn layer_mark(chars: &[char], mut k: usize, out: &mut String) -> usize {
    if chars.get(k) != Some(&'⁽') {
        return k;
    }
    out.push_str("^{(");
    k += 1;
    while let Some(digit) = chars.get(k).and_then(|&c| superscript_digit(c)) {
        out.push(char::from_digit(digit, 10).unwrap_or('?'));
        k += 1;
    }
    out.push_str(")}");
    if chars.get(k) == Some(&'⁾') { k + 1 } else { k }
}

/// `[…]` right after a name: its indices, as a subscript.
fn subscript(chars: &[char], k: usize, out: &mut String) -> usize {
    if chars.get(k) != Some(&'[') {
        return k;
    }
    let end = closing(chars, k, '[', ']');
    out.push_str("_{");
    convert(&chars[k + 1..end], out);
    out.push('}');
    end + 1
}

/// The index of the bracket that closes the one at `open`, or the end if it is not closed.
fn closing(chars: &[char], open: usize, left: char, right: char) -> usize {
    let mut depth = 0;
    for (k, &c) in chars.iter().enumerate().skip(open) {
        if c == left {
            depth += 1;
        } else if c == right {
            depth -= 1;
            if depth == 0 {
                return k;
            }
        }
    }
    chars.len()
}

fn identifier(word: &str) -> String {
    match word {
        "max" => "\\max ".to_owned(),
        "tanh" => "\\tanh ".to_owned(),
        "exp" => "\\exp ".to_owned(),
        "log" => "\\log ".to_owned(),
        "NaN" => "\\text{NaN}".to_owned(),
        "g_b" => "g_b".to_owned(),
        w if w.chars().count() == 1 => w.to_owned(),
        w if w.chars().all(|c| c.is_ascii_uppercase()) => format!("\\mathit{{{w}}}"),
        w => format!("\\operatorname{{{}}}", w.replace('_', "\\_")),
    }
}

/// The control word of a non-ASCII symbol of the notation.
fn symbol(c: char) -> &'static str {
    match c {
        '−' => "-",
        '·' => "\\cdot ",
        '×' => "\\times ",
        '⋆' => "\\star ",
        '∗' => "\\ast ",
        '⊙' => "\\odot ",
        '←' => "\\leftarrow ",
        '→' => "\\to ",
        '≈' => "\\approx ",
        '∞' => "\\infty ",
        '⌊' => "\\lfloor ",
        '⌋' => "\\rfloor ",
        '½' => "\\tfrac{1}{2}",
        '²' => "^{2}",
        'ᵀ' => "^{\\top}",
        '′' => "'",
        '°' => "^{\\circ}",
        '±' => "\\pm ",
        'Σ' => "\\sum ",
        '∂' => "\\partial ",
        'δ' => "\\delta ",
        'η' => "\\eta ",
        'σ' => "\\sigma ",
        'α' => "\\alpha ",
        _ => "\\square ",
    }
}

/// Words inside math mode: `\text{…}`, with the notation's symbols as math.
pub(crate) fn text_in_math(words: &str) -> String {
    let mut out = String::from("\\text{");
    for c in words.chars() {
        match c {
            '{' | '}' | '%' | '&' | '#' | '$' | '_' => {
                out.push('\\');
                out.push(c);
            }
            '\\' | '~' | '^' => out.push('?'),
            c if c.is_ascii() => out.push(c),
            c => {
                out.push('$');
                out.push_str(symbol(c).trim_end());
                out.push('$');
            }
        }
    }
    out.push('}');
    out
}

/// A code name inside math mode.
pub(crate) fn code_in_math(code: &str) -> String {
    format!("\\texttt{{{}}}", code.replace('_', "\\_"))
}

/// Running text as one formula: words in `\text{}`, formulas translated.
pub(crate) fn rich_in_math(rich: &Rich) -> String {
    rich.0
        .iter()
        .map(|piece| match piece {
            Piece::Text(words) => text_in_math(words),
            Piece::Math(notation) => latex(notation),
            Piece::Code(code) => code_in_math(code),
        })
        .collect()
}

/// Lines that are formulas and nothing else as one display: several as rows of an `aligned`
/// block, aligned at their first ` = ` (`true`), one as it is; `None` when a line has words.
pub(crate) fn display_lines(lines: &[Rich]) -> Option<(String, bool)> {
    let formulas: Vec<&str> = lines.iter().map(only_math).collect::<Option<_>>()?;
    let rows: Vec<String> = formulas
        .iter()
        .map(|notation| match notation.split_once(" = ") {
            Some((lhs, rhs)) if formulas.len() > 1 => format!("{} &= {}", latex(lhs), latex(rhs)),
            _ => latex(notation),
        })
        .collect();
    Some((rows.join(" \\\\\n"), rows.len() > 1))
}

/// Whether a line is a formula and nothing else.
pub(crate) fn only_math(rich: &Rich) -> Option<&str> {
    match rich.0.as_slice() {
        [Piece::Math(notation)] => Some(notation),
        _ => None,
    }
}

/// One row of an `aligned` block: `lhs &= named \\ &= chain = result \quad \text{(reason)}`.
/// A long sum continues on rows of its own, `&\quad + …`, broken where the plain text breaks
/// it (the text writes equations two levels deep).
pub(crate) fn equation_rows(eq: &Eq) -> String {
    let rel = if eq.assign { "\\leftarrow" } else { "=" };
    let result = eq.result.as_ref().map(|(exact, value)| {
        format!(" {} {}", if *exact { "=" } else { "\\approx" }, latex(value))
    });
    let result = result.unwrap_or_default();
    let lhs = latex(&eq.lhs);
    // Where the text's lines start: two levels of indentation, the name, ` = ` or ` + `.
    let width = 4 + eq.lhs.chars().count() + 3;
    let rows = |body: &str| -> String {
        let mut rows = String::with_capacity(body.len() + body.len() / 2);
        for_each_line(width, width, body, |k, line| {
            if k > 0 {
                rows.push_str(" \\\\\n  &\\quad + ");
            }
            rows.push_str(&latex(line));
        });
        rows
    };
    let chain = rows(&eq.chain.join(" = "));
    let mut row = match &eq.named {
        Some(named) => format!("{lhs} &{rel} {} \\\\\n  &= {chain}{result}", rows(named)),
        None if eq.chain.is_empty() => format!("{lhs} &{}", result.trim_start()),
        None => format!("{lhs} &{rel} {chain}{result}"),
    };
    if let Some(reason) = &eq.reason {
        row.push_str(" \\quad ");
        row.push_str(&rich_in_math(&Rich::default().t("(").and(reason.clone()).t(")")));
    }
    row
}

/// `label = \begin{bmatrix} … \end{bmatrix}`.
pub(crate) fn matrix(label: &Rich, cells: &[Vec<String>], approx: bool) -> String {
    let rows: Vec<String> = cells
        .iter()
        .map(|row| row.iter().map(|c| latex(c)).collect::<Vec<_>>().join(" & "))
        .collect();
    format!(
        "{} {} \\begin{{bmatrix}} {} \\end{{bmatrix}}",
        rich_in_math(label),
        if approx { "\\approx" } else { "=" },
        rows.join(" \\\\ ")
    )
}

/// A table as an `array`: the header over a rule, then the rows.
pub(crate) fn array(header: &[Rich], rows: &[Vec<Rich>]) -> String {
    let row = |cells: &[Rich]| cells.iter().map(rich_in_math).collect::<Vec<_>>().join(" & ");
    let body: Vec<String> = rows.iter().map(|r| row(r)).collect();
    format!(
        "\\begin{{array}}{{{}}}\n{} \\\\ \\hline\n{}\n\\end{{array}}",
        "r".repeat(header.len()),
        row(header),
        body.join(" \\\\\n")
    )
}

#[cfg(test)]
mod tests {
    use super::latex;

    #[test]
    fn names_indices_and_numbers() {
        assert_eq!(latex("z[0,1]"), "z_{0,1}");
        assert_eq!(latex("∂L/∂w[1,0]"), "\\partial L/\\partial w_{1,0}");
        assert_eq!(latex("w⁽⁴⁾ᵀ·δ⁽⁴⁾"), "{w^{(4)}}^{\\top}\\cdot \\delta ^{(4)}");
        assert_eq!(latex("exp(z[0] − m)"), "\\exp (z_{0} - m)");
        assert_eq!(latex("f′(z[0,0])"), "f'(z_{0,0})");
        assert_eq!(latex("δ[0,0]·x[2p + i − 1, q]"), "\\delta _{0,0}\\cdot x_{2p + i - 1, q}");
        assert_eq!(latex("−1.5·10⁻⁹"), "-1.5\\times 10^{-9}");
        assert_eq!(latex("1·10²⁰⁰"), "1\\times 10^{200}");
        assert_eq!(latex("2·1.23442·10⁷"), "2\\cdot 1.23442\\times 10^{7}");
        assert_eq!(latex("1 − 0.5²"), "1 - 0.5^{2}");
        assert_eq!(latex("z⁽¹²⁾[0,1,2]"), "z^{(12)}_{0,1,2}");
        assert_eq!(latex("L = ½·(L₁ + L₁₂)"), "L = \\tfrac{1}{2}\\cdot (L_{1} + L_{12})");
        assert_eq!(latex("∂L₂/∂b⁽³⁾[1]"), "\\partial L_{2}/\\partial b^{(3)}_{1}");
        assert_eq!(latex("L = Σₙ Lₙ"), "L = \\sum _{n} L_{n}");
        assert_eq!(
            latex("∂L/∂y⁽¹⁾[0,0]·f′(z⁽⁰⁾[0,0])"),
            "\\partial L/\\partial y^{(1)}_{0,0}\\cdot f'(z^{(0)}_{0,0})"
        );
        assert_eq!(latex("δ⁽²⁾[1,0]"), "\\delta ^{(2)}_{1,0}");
        assert_eq!(latex("1 − y⁽¹⁾[0,0]²"), "1 - {y^{(1)}_{0,0}}^{2}");
        assert_eq!(latex("y = σ(z) = 1/(1 + e^(−z))"), "y = \\sigma (z) = 1/(1 + e^{-z})");
        assert_eq!(latex("½[(3 − 1)²]"), "\\tfrac{1}{2}[(3 - 1)^{2}]");
        assert_eq!(
            latex("(1/4)·(−5/32) = 3/2"),
            "(\\frac{1}{4})\\cdot (-\\frac{5}{32}) = \\frac{3}{2}"
        );
        assert_eq!(latex("1/2.16823"), "1/2.16823");
        assert_eq!(latex("leaky_relu′(z[0,0])"), "\\operatorname{leaky\\_relu}'(z_{0,0})");
        assert_eq!(latex("Σ_i Σ_j x[i]"), "\\sum _{i} \\sum _{j} x_{i}");
        assert_eq!(latex("−Σ_k t[k]"), "-\\sum _{k} t_{k}");
        assert_eq!(latex("OH = ⌊3/2⌋ + 1"), "\\mathit{OH} = \\lfloor \\frac{3}{2}\\rfloor  + 1");
        assert_eq!(latex("max(0, ∞)"), "\\max (0, \\infty )");
        assert_eq!(latex("δ̃[0,1]·g_b ± h"), "\\tilde{\\delta}_{0,1}\\cdot g_b \\pm  h");
    }

    #[test]
    fn every_character_of_the_output_is_ascii() {
        let notation = "∂L/∂W = rot180(X ⋆ δ) ∗ ⊙ ← → ≈ × ° α η Σ NaN";
        assert!(latex(notation).is_ascii(), "{}", latex(notation));
    }
}

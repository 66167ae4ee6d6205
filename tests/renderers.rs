//! The LaTeX and Markdown derivations against the text one, and Markdown against CommonMark.
//!
//! All three are written from one document, so every equation of the text must be in the
//! others: checked here on the committed snapshots by comparing the numbers each one prints,
//! in order. The Markdown is parsed with `pulldown-cmark` (tables and math enabled): every
//! table must come out whole, and every formula as math rather than as emphasis or text.

use std::fs;
use std::path::{Path, PathBuf};

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

fn snapshots() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

/// A snapshot's content: what follows insta's header.
fn content(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let body = text
        .splitn(3, "---\n")
        .nth(2)
        .unwrap_or_else(|| panic!("{} has no header", path.display()));
    body.to_owned()
}

/// The text snapshots that have LaTeX and Markdown companions.
fn names() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(snapshots())
        .expect("the snapshot directory")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix("_latex.snap").map(str::to_owned)
        })
        .collect();
    names.sort();
    names
}

/// The runs of digits, in order, with the notation's spellings made alike: `½` is `1/2`,
/// `²` a `2`, the text's `·10⁻⁹` and LaTeX's `\times 10^{-9}` the `e−9` of an exponent, and an
/// example's number, the text's `L₂` and LaTeX's `L_{2}`, a `2`.
fn numbers(text: &str) -> Vec<String> {
    const SUPERSCRIPTS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        // `·10` followed by superscript digits is a power of ten.
        if c == '·' {
            let rest: String = chars.clone().take(3).collect();
            let mut three = rest.chars();
            if three.next() == Some('1')
                && three.next() == Some('0')
                && three.next().is_some_and(|s| s == '⁻' || SUPERSCRIPTS.contains(&s))
            {
                chars.next();
                chars.next();
                plain.push('e');
                while let Some(&s) = chars.peek() {
                    match SUPERSCRIPTS.iter().position(|&d| d == s) {
                        Some(d) => plain.push(char::from(b'0' + u8::try_from(d).unwrap_or(0))),
                        None if s == '⁻' => plain.push('−'),
                        None => break,
                    }
                    chars.next();
                }
                continue;
            }
        }
        match c {
            '₀'..='₉' => plain.push(char::from_digit(u32::from(c) - 0x2080, 10).unwrap_or('?')),
            c => plain.push(c),
        }
    }
    // A layer mark is no number: the text's `⁽⁰⁾` has no digits, LaTeX's `^{(0)}` does.
    let plain = without_layer_marks(&plain);
    let text = plain.replace('½', "{1}{2}").replace('²', "^{2}").replace("\\times 10^{", "e");
    let mut runs = Vec::new();
    let mut run = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() || (c == '.' && !run.is_empty()) {
            run.push(c);
        } else if !run.is_empty() {
            runs.push(run.trim_end_matches('.').to_owned());
            run.clear();
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

/// `text` without layer marks: the text's `⁽k⁾`, LaTeX's `^{(k)}`.
fn without_layer_marks(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut marked = false;
    for c in text.chars() {
        match c {
            '⁽' => marked = true,
            '⁾' => marked = false,
            c if !marked => out.push(c),
            _ => {}
        }
    }
    let text = out;
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("^{(") {
        let after = &rest[at + 3..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && after[digits..].starts_with(")}") {
            out.push_str(&rest[..at]);
            rest = &after[digits + 2..];
        } else {
            out.push_str(&rest[..at + 3]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn latex_and_markdown_print_every_number_of_the_text_in_order() {
    let names = names();
    assert!(names.len() >= 20, "every snapshot spec has a LaTeX companion: {names:?}");
    for name in names {
        let text = numbers(&content(&snapshots().join(format!("{name}.snap"))));
        for page in ["latex", "markdown"] {
            let other = numbers(&content(&snapshots().join(format!("{name}_{page}.snap"))));
            if let Some(k) = (0..text.len().min(other.len())).find(|&k| text[k] != other[k]) {
                panic!(
                    "{name} ({page}): number {k} is {} in the text but {} here; the text has {:?} …",
                    text[k],
                    other[k],
                    &text[k.saturating_sub(5)..(k + 5).min(text.len())]
                );
            }
            assert_eq!(text.len(), other.len(), "{name} ({page}): a different count of numbers");
        }
    }
}

#[test]
fn markdown_parses_as_commonmark_with_tables_and_math_intact() {
    let options = Options::ENABLE_TABLES | Options::ENABLE_MATH;
    for name in names() {
        let markdown = content(&snapshots().join(format!("{name}_markdown.snap")));
        let text = content(&snapshots().join(format!("{name}.snap")));
        let (mut tables, mut cells, mut columns, mut display) = (0, 0, 0, 0);
        let mut in_emphasis = false;
        for event in Parser::new_ext(&markdown, options) {
            match event {
                Event::Start(Tag::Table(alignments)) => {
                    tables += 1;
                    columns = alignments.len();
                }
                Event::Start(Tag::TableHead | Tag::TableRow) => cells = 0,
                Event::Start(Tag::TableCell) => cells += 1,
                Event::End(TagEnd::TableHead | TagEnd::TableRow) => {
                    assert_eq!(cells, columns, "{name}: a table row with a different cell count");
                }
                Event::Start(Tag::Emphasis | Tag::Strong) => in_emphasis = true,
                Event::End(TagEnd::Emphasis | TagEnd::Strong) => in_emphasis = false,
                Event::Text(t) if in_emphasis => {
                    assert_eq!(&*t, "Note:", "{name}: only `Note:` is emphasised, not {t:?}");
                }
                Event::DisplayMath(math) => {
                    display += 1;
                    assert!(math.is_ascii(), "{name}: non-ASCII math {math}");
                }
                Event::InlineMath(math) => {
                    assert!(math.is_ascii(), "{name}: non-ASCII math {math}");
                }
                _ => {}
            }
        }
        // The text's summary, check and comparison tables each become a Markdown table.
        let expected_tables = text.matches("  Summary: ").count()
            + text.lines().filter(|l| l.trim_start().starts_with("entry  ")).count()
            + text.matches("The parameters after one step").count()
            + text.matches("The loss after step 1's update, by recipe").count();
        assert_eq!(tables, expected_tables, "{name}: tables");
        // Every run of equations and every matrix is a display block.
        let matrices = text.lines().filter(|l| l.contains(" = [ ") || l.contains(" ≈ [ ")).count();
        assert!(display >= matrices, "{name}: {display} display blocks for {matrices} matrices");
    }
}

#[test]
fn the_symbolic_form_is_a_method_and_a_key() {
    use cnn_bp_core::{Form, train};
    let by_key = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.5,
        show: symbolic,
    };
    let by_method = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.5,
    }
    .with_form(Form::Symbolic);
    assert_eq!(by_key.to_string(), by_method.to_string());
    assert_eq!(by_key.to_latex(), by_method.to_latex());
    let latex = by_key.to_latex();
    assert!(
        latex.contains(r"\delta _{0,0} &= \partial L/\partial y_{0,0}\cdot f'(z_{0,0})"),
        "{latex}"
    );
    // The numeric form shows names only on the sums over positions.
    let numeric = by_method.with_form(Form::Numeric).to_string();
    assert!(!numeric.contains("δ[0,0] = ∂L/∂y[0,0]·f′(z[0,0])"));
    assert!(numeric.contains("δ[0,0] = 2·1 = 2"));
}

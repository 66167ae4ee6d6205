//! The derivation for pages that render math: LaTeX (MathJax or KaTeX, or the body of a
//! LaTeX document with amsmath) and GitHub-flavoured Markdown.
//!
//! Both write the same document: prose as paragraphs, each run of equations as one `aligned`
//! block, matrices as `bmatrix`. They differ in the delimiters (`\[ \]` and `\( \)` for LaTeX,
//! `$$` and `$` for Markdown), in headings and notes, and in the summary (an `array` in LaTeX,
//! a Markdown table in Markdown).

use super::doc::{Block, Piece, Rich};
use super::math;

/// Which page format.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Latex,
    Markdown,
}

/// Writes a document for a page.
pub(crate) fn page(blocks: &[Block], dialect: Dialect) -> String {
    let mut out = Page { dialect, text: String::new(), aligned: Vec::new() };
    for block in blocks {
        if let Block::Equation { eq, .. } = block {
            out.aligned.push(math::equation_rows(eq));
            continue;
        }
        out.flush();
        match block {
            Block::Title(text) => out.heading(1, text),
            Block::Section(text) => out.heading(2, text),
            Block::Stage(text) => out.heading(3, text),
            Block::Para { lines, .. } => {
                if let Some((rows, aligned)) = math::display_lines(lines) {
                    out.display(&rows, aligned);
                } else {
                    let words: Vec<String> = lines.iter().map(|l| out.prose(l)).collect();
                    out.paragraph(&words.join(" "));
                }
            }
            Block::Note { text, .. } => {
                let words = out.prose(text);
                match dialect {
                    Dialect::Latex => out.paragraph(&format!("Note: {words}")),
                    Dialect::Markdown => out.paragraph(&format!("> **Note:** {words}")),
                }
            }
            Block::Matrix { label, cells, approx, .. } => {
                out.display(&math::matrix(label, cells, *approx), false);
            }
            Block::Table { caption, header, rows, .. } => {
                if !caption.0.is_empty() {
                    let caption = out.prose(caption);
                    out.paragraph(&caption);
                }
                match dialect {
                    Dialect::Latex => out.display(&math::array(header, rows), false),
                    Dialect::Markdown => out.table(header, rows),
                }
            }
            Block::Equation { .. } => {}
        }
    }
    out.flush();
    out.text
}

struct Page {
    dialect: Dialect,
    text: String,
    /// Rows of the `aligned` block being collected.
    aligned: Vec<String>,
}

impl Page {
    fn paragraph(&mut self, text: &str) {
        if !self.text.is_empty() {
            self.text.push('\n');
        }
        self.text.push_str(text);
        self.text.push('\n');
    }

    fn flush(&mut self) {
        if !self.aligned.is_empty() {
            let rows = core::mem::take(&mut self.aligned);
            self.display(&rows.join(" \\\\\n"), true);
        }
    }

    /// A display-math block; `aligned` wraps it in an `aligned` environment.
    fn display(&mut self, body: &str, aligned: bool) {
        let body = if aligned {
            format!("\\begin{{aligned}}\n{body}\n\\end{{aligned}}")
        } else {
            body.to_owned()
        };
        let block = match self.dialect {
            Dialect::Latex => format!("\\[\n{body}\n\\]"),
            Dialect::Markdown => format!("$$\n{body}\n$$"),
        };
        self.paragraph(&block);
    }

    fn heading(&mut self, level: usize, text: &Rich) {
        let words = self.prose(text);
        match self.dialect {
            Dialect::Latex => self.paragraph(&words),
            Dialect::Markdown => self.paragraph(&format!("{} {words}", "#".repeat(level))),
        }
    }

    /// Running text with inline math. In LaTeX a code name next to a formula joins it
    /// (`relu_grad_at_zero = 0` is one formula); in Markdown it is code.
    fn prose(&self, rich: &Rich) -> String {
        let mut out = String::new();
        let mut formula = String::new();
        for piece in &rich.0 {
            match (piece, self.dialect) {
                (Piece::Math(notation), _) => formula.push_str(&math::latex(notation)),
                (Piece::Code(code), Dialect::Latex) => formula.push_str(&math::code_in_math(code)),
                (Piece::Code(code), Dialect::Markdown) => {
                    self.end_formula(&mut formula, &mut out);
                    out.push('`');
                    out.push_str(code);
                    out.push('`');
                }
                (Piece::Text(words), _) => {
                    self.end_formula(&mut formula, &mut out);
                    out.push_str(&self.words(words));
                }
            }
        }
        self.end_formula(&mut formula, &mut out);
        out
    }

    fn end_formula(&self, formula: &mut String, out: &mut String) {
        if !formula.trim().is_empty() {
            out.push_str(&self.inline(formula));
        }
        formula.clear();
    }

    fn inline(&self, latex: &str) -> String {
        let latex = latex.trim();
        match self.dialect {
            Dialect::Latex => format!("\\({latex}\\)"),
            Dialect::Markdown => format!("${latex}$"),
        }
    }

    /// Words, with the characters the page format would read as markup escaped.
    fn words(&self, words: &str) -> String {
        let mut out = String::new();
        for c in words.chars() {
            match self.dialect {
                Dialect::Latex
                    if matches!(c, '\\' | '{' | '}' | '$' | '%' | '&' | '#' | '_' | '^' | '~') =>
                {
                    out.push_str(&self.inline(&math::latex(&c.to_string())));
                }
                Dialect::Markdown
                    if c.is_ascii_punctuation()
                        && !matches!(
                            c,
                            ',' | '.' | ':' | ';' | '(' | ')' | '\'' | '"' | '-' | '/' | '?' | '='
                        ) =>
                {
                    out.push('\\');
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
        out
    }

    /// A Markdown table, numbers right-aligned.
    fn table(&mut self, header: &[Rich], rows: &[Vec<Rich>]) {
        let row = |cells: &[Rich]| {
            let cells: Vec<String> =
                cells.iter().map(|c| self.prose(c).replace('|', "\\|")).collect();
            format!("| {} |", cells.join(" | "))
        };
        let mut lines = vec![row(header), format!("|{}", " ---: |".repeat(header.len()))];
        lines.extend(rows.iter().map(|r| row(r)));
        self.paragraph(&lines.join("\n"));
    }
}

//! The plain-text derivation: what `Display` prints and snapshots hold.

use super::doc::{Block, Eq, Rich};

/// Writes a document as indented plain text.
pub(crate) fn text(blocks: &[Block]) -> String {
    let mut out = Out::default();
    for (k, block) in blocks.iter().enumerate() {
        match block {
            Block::Title(text) => out.line(0, &text.plain()),
            Block::Section(text) => {
                if k > 0 {
                    out.0.push('\n');
                }
                out.line(0, &text.plain());
            }
            Block::Stage(text) => out.line(1, &text.plain()),
            Block::Para { depth, lines } => {
                for line in lines {
                    out.line(*depth, &line.plain());
                }
            }
            Block::Note { depth, text } => out.line(*depth, &format!("Note: {}", text.plain())),
            Block::Equation { depth, eq } => {
                for line in equation(eq) {
                    out.line(*depth, &line);
                }
            }
            Block::Matrix { depth, label, cells, approx } => {
                for line in matrix(&label.plain(), cells, *approx) {
                    out.line(*depth, &line);
                }
            }
            Block::Table { depth, caption, header, rows } => {
                let depth = if caption.0.is_empty() {
                    *depth
                } else {
                    out.line(*depth, &caption.plain());
                    depth + 1
                };
                let plain = |row: &[Rich]| row.iter().map(Rich::plain).collect::<Vec<_>>();
                let rows: Vec<Vec<String>> = rows.iter().map(|r| plain(r)).collect();
                for line in table(&plain(header), &rows) {
                    out.line(depth, &line);
                }
            }
        }
    }
    out.0
}

#[derive(Default)]
struct Out(String);

impl Out {
    fn line(&mut self, indent: usize, text: &str) {
        for _ in 0..indent {
            self.0.push_str("  ");
        }
        self.0.push_str(text);
        self.0.push('\n');
    }
}

/// ` = v` or ` ≈ v`.
fn result(eq: &Eq) -> String {
    eq.result
        .as_ref()
        .map(|(exact, value)| format!(" {} {value}", if *exact { '=' } else { '≈' }))
        .unwrap_or_default()
}

/// One line, or two when the operands' names come first: `z[0,0] = x[0,0]·w[0,0] + …`, then
/// `       = 1·1 + … = 3` under it.
fn equation(eq: &Eq) -> Vec<String> {
    let rel = if eq.assign { " ← " } else { " = " };
    let mut chain = String::new();
    for (k, link) in eq.chain.iter().enumerate() {
        if k > 0 {
            chain.push_str(" = ");
        }
        chain.push_str(link);
    }
    if let Some(named) = &eq.named {
        let mut first = String::with_capacity(eq.lhs.len() + named.len() + 3);
        first.push_str(&eq.lhs);
        first.push_str(rel);
        first.push_str(named);
        let mut second: String = " ".repeat(eq.lhs.chars().count());
        second.push_str(" = ");
        second.push_str(&chain);
        second.push_str(&result(eq));
        return vec![first, second];
    }
    let mut line = eq.lhs.clone();
    if !chain.is_empty() {
        line.push_str(rel);
        line.push_str(&chain);
    }
    line.push_str(&result(eq));
    if let Some(reason) = &eq.reason {
        line.push_str("   (");
        line.push_str(&reason.plain());
        line.push(')');
    }
    vec![line]
}

/// A column-aligned matrix, the label on its first row: `z = [ 3  0 ]`, then `    [ −2  1 ]`.
fn matrix(label: &str, cells: &[Vec<String>], approx: bool) -> Vec<String> {
    let cols = cells.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..cols)
        .map(|c| cells.iter().map(|row| row[c].chars().count()).max().unwrap_or(0))
        .collect();
    let head = format!("{label} {} ", if approx { '≈' } else { '=' });
    let pad = " ".repeat(head.chars().count());
    cells
        .iter()
        .enumerate()
        .map(|(r, row)| {
            let mut line = if r == 0 { head.clone() } else { pad.clone() };
            line.push('[');
            for (c, (cell, width)) in row.iter().zip(&widths).enumerate() {
                let gap = if c == 0 { 1 } else { 2 };
                line.push_str(&" ".repeat(gap + width - cell.chars().count()));
                line.push_str(cell);
            }
            line.push_str(" ]");
            line
        })
        .collect()
}

/// Right-aligned columns, two spaces apart.
fn table(header: &[String], rows: &[Vec<String>]) -> Vec<String> {
    let all: Vec<&[String]> =
        core::iter::once(header).chain(rows.iter().map(Vec::as_slice)).collect();
    let columns = header.len();
    let widths: Vec<usize> = (0..columns)
        .map(|c| all.iter().map(|r| r.get(c).map_or(0, |s| s.chars().count())).max().unwrap_or(0))
        .collect();
    all.iter()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, width)| format!("{}{cell}", " ".repeat(width - cell.chars().count())))
                .collect();
            cells.join("  ").trim_end().to_owned()
        })
        .collect()
}

//! The plain-text derivation: what `Display` prints and snapshots hold.

use super::doc::{Block, Eq, Rich};

/// Writes a document as indented plain text.
pub(crate) fn text(blocks: &[Block]) -> String {
    let mut out = Out(String::with_capacity(blocks.len() * 48));
    for (k, block) in blocks.iter().enumerate() {
        match block {
            Block::Title(text) => out.rich(0, "", text),
            Block::Section(text) => {
                if k > 0 {
                    out.0.push('\n');
                }
                out.rich(0, "", text);
            }
            Block::Stage(text) => out.rich(1, "", text),
            Block::Para { depth, lines } => {
                for line in lines {
                    out.rich(*depth, "", line);
                }
            }
            Block::Note { depth, text } => out.rich(*depth, "Note: ", text),
            Block::Equation { depth, eq } => equation(&mut out, *depth, eq),
            Block::Matrix { depth, label, cells, approx } => {
                for line in matrix(&label.plain(), cells, *approx) {
                    out.line(*depth, &line);
                }
            }
            Block::Table { depth, caption, header, rows } => {
                let depth = if caption.0.is_empty() {
                    *depth
                } else {
                    out.rich(*depth, "", caption);
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

struct Out(String);

impl Out {
    fn indent(&mut self, indent: usize) {
        for _ in 0..indent {
            self.0.push_str("  ");
        }
    }

    fn line(&mut self, indent: usize, text: &str) {
        self.indent(indent);
        self.0.push_str(text);
        self.0.push('\n');
    }

    /// `prefix` and the running text as one line.
    fn rich(&mut self, indent: usize, prefix: &str, text: &Rich) {
        self.indent(indent);
        self.0.push_str(prefix);
        text.write_plain(&mut self.0);
        self.0.push('\n');
    }
}

/// Appends ` = v` or ` ≈ v`.
fn push_result(out: &mut String, eq: &Eq) {
    if let Some((exact, value)) = &eq.result {
        out.push_str(if *exact { " = " } else { " ≈ " });
        out.push_str(value);
    }
}

/// Appends the chain of right-hand sides, ` = ` between them.
fn push_chain(out: &mut String, eq: &Eq) {
    for (k, link) in eq.chain.iter().enumerate() {
        if k > 0 {
            out.push_str(" = ");
        }
        out.push_str(link);
    }
}

/// One line, or two when the operands' names come first: `z[0,0] = x[0,0]·w[0,0] + …`, then
/// `       = 1·1 + … = 3` under it.
fn equation(out: &mut Out, depth: usize, eq: &Eq) {
    let rel = if eq.assign { " ← " } else { " = " };
    out.indent(depth);
    out.0.push_str(&eq.lhs);
    if let Some(named) = &eq.named {
        out.0.push_str(rel);
        out.0.push_str(named);
        out.0.push('\n');
        out.indent(depth);
        for _ in 0..eq.lhs.chars().count() {
            out.0.push(' ');
        }
        out.0.push_str(" = ");
    } else if !eq.chain.is_empty() {
        out.0.push_str(rel);
    }
    push_chain(&mut out.0, eq);
    push_result(&mut out.0, eq);
    if let Some(reason) = eq.reason.as_ref().filter(|_| eq.named.is_none()) {
        out.0.push_str("   (");
        reason.write_plain(&mut out.0);
        out.0.push(')');
    }
    out.0.push('\n');
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

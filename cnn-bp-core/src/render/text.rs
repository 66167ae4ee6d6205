//! The plain-text derivation: what `Display` prints and snapshots hold.

use super::doc::{Block, Eq, Rich};

/// Writes a document as indented plain text.
pub(crate) fn text(blocks: &[Block]) -> String {
    let mut out = Out(String::with_capacity(blocks.len() * 48), String::new());
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

/// The text, and a buffer reused for each equation's line of numbers.
struct Out(String, String);

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

/// The longest line of a printed sum; longer sums continue on the next line.
pub(crate) const WIDTH: usize = 120;

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
/// `       = 1·1 + … = 3` under it. A sum longer than [`WIDTH`] continues on the lines below,
/// each starting with `+` under the `=`.
fn equation(out: &mut Out, depth: usize, eq: &Eq) {
    let rel = if eq.assign { " ← " } else { " = " };
    let lhs = eq.lhs.chars().count();
    // The lines of a sum continue with `+` under the `=`.
    let continued = |out: &mut String| {
        for _ in 0..2 * depth + lhs {
            out.push(' ');
        }
        out.push_str(" + ");
    };
    let mut numbers = core::mem::take(&mut out.1);
    numbers.clear();
    push_chain(&mut numbers, eq);
    push_result(&mut numbers, eq);
    if let Some(reason) = &eq.reason {
        numbers.push_str("   (");
        reason.write_plain(&mut numbers);
        numbers.push(')');
    }
    out.indent(depth);
    out.0.push_str(&eq.lhs);
    let width = 2 * depth + lhs + 3;
    if let Some(named) = &eq.named {
        out.0.push_str(rel);
        wrapped(&mut out.0, width, named, continued);
        out.indent(depth);
        for _ in 0..lhs {
            out.0.push(' ');
        }
        out.0.push_str(" = ");
    } else if !eq.chain.is_empty() {
        out.0.push_str(rel);
    }
    wrapped(&mut out.0, width, &numbers, continued);
    out.1 = numbers;
}

/// `body` after a first line's start of `first` characters, broken before a ` + ` wherever a
/// line would pass [`WIDTH`]; `continued` starts each line after the first.
fn wrapped(out: &mut String, first: usize, body: &str, continued: impl Fn(&mut String)) {
    for_each_line(first, first, body, |k, line| {
        if k > 0 {
            continued(out);
        }
        out.push_str(line);
        out.push('\n');
    });
}

/// A printed sum cut into lines of at most [`WIDTH`] characters, before its ` + `s (none of
/// which is inside a term): `line(k, text)` gets each line's terms, joined by ` + `, without
/// the `+` that starts a continued line. `first` and `continued` are the widths of what comes
/// before the first line and before each of the others. A single term longer than a line
/// stays whole.
pub(crate) fn for_each_line(
    first: usize,
    continued: usize,
    body: &str,
    mut line: impl FnMut(usize, &str),
) {
    // A char is at least a byte: a body whose bytes fit fits.
    if first + body.len() <= WIDTH {
        line(0, body);
        return;
    }
    // A term ends at a ` + ` (no term holds a `+`). A line's bytes bound its width from above
    // (a char is at least a byte), so its chars are counted only when its bytes do not fit:
    // about once a line.
    let bytes = body.as_bytes();
    let separator_from = |from: usize| {
        let mut at = from;
        while let Some(plus) = bytes[at..].iter().position(|&b| b == b'+') {
            let i = at + plus;
            if i > 0 && bytes[i - 1] == b' ' && bytes.get(i + 1) == Some(&b' ') {
                return i - 1;
            }
            at = i + 1;
        }
        bytes.len()
    };
    let (mut start, mut before, mut k) = (0, first, 0);
    // The chars of the line so far, once its bytes stop telling.
    let mut chars: Option<usize> = None;
    let mut term = 0;
    loop {
        let end = separator_from(term);
        if term > start {
            let fits = if before + end - start <= WIDTH {
                true
            } else {
                let so_far = *chars.get_or_insert_with(|| body[start..term - 3].chars().count());
                let with = so_far + 3 + body[term..end].chars().count();
                chars = Some(with);
                before + with <= WIDTH
            };
            if !fits {
                // `term − 3` is where the ` + ` before this term starts.
                line(k, &body[start..term - 3]);
                k += 1;
                (start, before, chars) = (term, continued, None);
            }
        }
        if end == bytes.len() {
            break;
        }
        term = end + 3;
    }
    line(k, &body[start..]);
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

//! The derivation as one self-contained HTML5 page: the same document as the text, LaTeX and
//! Markdown, its formulas as MathML Core (converted from the LaTeX the crate writes, by
//! `math-core`), every matrix a grid coloured by value with its numbers printed, the layers
//! as a row of boxes at the top, the loss per step as an inline SVG chart, a print stylesheet,
//! and a small script that highlights, on hover or focus, the entries an equation used. The
//! page reads fully without the script, and refers to nothing outside itself.

use core::fmt::Write as _;

use math_core::{LatexToMathML, MathCoreConfig, MathDisplay};

use super::doc::{Block, Eq, Piece, Rich};
use super::math;

/// What the page shows besides the document: the layers, and the loss per step.
pub(crate) struct Figure {
    /// The input's label and shape, then each layer's label and output shape.
    pub(crate) layers: Vec<(String, String)>,
    /// The loss at each step's start, then after the last update.
    pub(crate) losses: Vec<f64>,
}

/// A network's layers from its document's chain of shapes, `x 1×3×3 → conv 2×2 → 1×2×2 →
/// relu → 1×2×2`: the input, then each op with the shape it gives.
pub(crate) fn chain(blocks: &[Block]) -> Vec<(String, String)> {
    let line = blocks.iter().find_map(|b| match b {
        Block::Para { lines, .. } => lines
            .iter()
            .map(plain)
            .find(|l| l.starts_with("x ") && l.contains(" → ") && !l.contains(':')),
        _ => None,
    });
    let Some(line) = line else { return Vec::new() };
    let mut parts = line.split(" → ");
    let input = parts.next().unwrap_or_default();
    let mut layers = vec![("x".to_owned(), input.trim_start_matches("x ").to_owned())];
    let rest: Vec<&str> = parts.collect();
    for pair in rest.chunks(2) {
        if let [op, shape] = pair {
            layers.push(((*op).to_owned(), (*shape).to_owned()));
        }
    }
    layers
}

/// The page of a document.
pub(crate) fn page(blocks: &[Block], figure: &Figure) -> String {
    let converter = LatexToMathML::new(MathCoreConfig::default())
        .unwrap_or_else(|_| unreachable!("the default configuration is valid"));
    let mut page = Page { converter, body: String::new(), open: false };
    let title = blocks.iter().find_map(|b| match b {
        Block::Title(text) => Some(plain(text)),
        _ => None,
    });
    for block in blocks {
        match block {
            Block::Title(text) => {
                let _ = write!(page.body, "<header><h1>{}</h1>", page.prose(text));
                page.body.push_str(&diagram(&figure.layers));
                page.body.push_str(&chart(&figure.losses));
                page.body.push_str("</header>\n");
            }
            Block::Section(text) => {
                page.close();
                let _ = writeln!(page.body, "<section>\n<h2>{}</h2>", page.prose(text));
                page.open = true;
            }
            Block::Stage(text) => {
                let _ = writeln!(page.body, "<h3>{}</h3>", page.prose(text));
            }
            Block::Para { lines, .. } => page.para(lines),
            Block::Note { text, .. } => {
                let _ = writeln!(
                    page.body,
                    "<p class=\"note\"><strong>Note:</strong> {}</p>",
                    page.prose(text)
                );
            }
            Block::Matrix { label, cells, approx, .. } => page.matrix(label, cells, *approx),
            Block::Table { caption, header, rows, .. } => page.table(caption, header, rows),
            Block::Equation { eq, .. } => page.equation(eq),
        }
    }
    page.close();
    let title = escape(&title.unwrap_or_else(|| "cnn-bp derivation".to_owned()));
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n{}</main>\n\
         <script>{SCRIPT}</script>\n</body>\n</html>\n",
        page.body
    )
}

struct Page {
    converter: LatexToMathML,
    body: String,
    /// Whether a `<section>` is open.
    open: bool,
}

impl Page {
    fn close(&mut self) {
        if self.open {
            self.body.push_str("</section>\n");
            self.open = false;
        }
    }

    /// MathML of a LaTeX formula; a formula the converter cannot read is shown as its LaTeX
    /// source, marked, rather than dropped.
    fn mathml(&self, latex: &str, display: MathDisplay) -> String {
        match self.converter.convert_with_local_counter(latex, display) {
            Ok(mathml) => mathml,
            Err(_) => format!("<code class=\"unconverted\">{}</code>", escape(latex)),
        }
    }

    /// An equation as a block of its own (not one `aligned` block per run, as LaTeX has it),
    /// with the entry it defines and the entries it uses, for the script to highlight.
    fn equation(&mut self, eq: &Eq) {
        // The names its right-hand side gives, or, without them, the entries its chain
        // quotes (a pool's `∂L/∂y⁽¹⁾[0,1] = ∂L/∂y⁽²⁾[0,0]`, routed from its window).
        let uses = eq.named.as_deref().map_or_else(|| entries(&eq.chain.join(" ")), entries);
        let picks = picked(eq, &uses)
            .map_or_else(String::new, |p| format!(" data-picks=\"{}\"", escape(p)));
        let uses = uses.join(" ");
        let latex = format!("\\begin{{aligned}}\n{}\n\\end{{aligned}}", math::equation_rows(eq));
        let _ = writeln!(
            self.body,
            "<div class=\"eq\" tabindex=\"0\" data-defines=\"{}\" data-uses=\"{}\"{picks}>{}</div>",
            escape(&eq.lhs),
            escape(&uses),
            self.mathml(&latex, MathDisplay::Block)
        );
    }

    fn para(&mut self, lines: &[Rich]) {
        if let Some((rows, aligned)) = math::display_lines(lines) {
            let latex = if aligned {
                format!("\\begin{{aligned}}\n{rows}\n\\end{{aligned}}")
            } else {
                rows
            };
            let formula = self.mathml(&latex, MathDisplay::Block);
            let _ = writeln!(self.body, "<div class=\"formula\">{formula}</div>");
        } else {
            let words: Vec<String> = lines.iter().map(|l| self.prose(l)).collect();
            let _ = writeln!(self.body, "<p>{}</p>", words.join(" "));
        }
    }

    /// Running text: words escaped, formulas as inline MathML, code names as code.
    fn prose(&self, rich: &Rich) -> String {
        let mut out = String::new();
        for piece in &rich.0 {
            match piece {
                Piece::Text(words) => out.push_str(&escape(words)),
                Piece::Math(notation) => {
                    out.push_str(&self.mathml(&math::latex(notation), MathDisplay::Inline));
                }
                Piece::Code(code) => {
                    let _ = write!(out, "<code>{}</code>", escape(code));
                }
            }
        }
        out
    }

    /// `label = ` and a grid, each cell coloured on a diverging scale by its value relative to
    /// the matrix's largest magnitude (orange above 0, purple below), its number printed.
    fn matrix(&mut self, label: &Rich, cells: &[Vec<String>], approx: bool) {
        let name = entry_base(label);
        // A channel of a map, `y⁽¹⁾[0]`, names its entries `y⁽¹⁾[0,i,j]`.
        let (base, channel) = match name.strip_suffix(']').and_then(|n| n.rsplit_once('[')) {
            Some((base, c)) if c.bytes().all(|b| b.is_ascii_digit()) => {
                (base.to_owned(), Some(c.to_owned()))
            }
            _ => (name.clone(), None),
        };
        let values: Vec<Vec<Option<f64>>> =
            cells.iter().map(|row| row.iter().map(|c| value(c)).collect()).collect();
        let largest = values.iter().flatten().flatten().fold(0.0_f64, |m, v| m.max(v.abs()));
        let rel = if approx { "≈" } else { "=" };
        let _ = write!(
            self.body,
            "<figure class=\"matrix\"><figcaption>{} {rel}</figcaption><table class=\"grid\"><tbody>",
            self.prose(label)
        );
        for (i, row) in cells.iter().enumerate() {
            self.body.push_str("<tr>");
            for (j, cell) in row.iter().enumerate() {
                let entry = match &channel {
                    Some(c) => format!("{base}[{c},{i},{j}]"),
                    None => format!("{base}[{i},{j}]"),
                };
                let alt = if cells.len() == 1 && channel.is_none() {
                    format!(" data-alt=\"{}\"", escape(&format!("{base}[{j}]")))
                } else {
                    String::new()
                };
                let colour = values[i][j].map_or_else(
                    || " class=\"nonfinite\"".to_owned(),
                    |v| format!(" style=\"background:{}\"", shade(v, largest)),
                );
                let _ = write!(
                    self.body,
                    "<td tabindex=\"0\" data-name=\"{}\"{alt}{colour}>{}</td>",
                    escape(&entry),
                    escape(cell)
                );
            }
            self.body.push_str("</tr>");
        }
        self.body.push_str("</tbody></table></figure>\n");
    }

    fn table(&mut self, caption: &Rich, header: &[Rich], rows: &[Vec<Rich>]) {
        self.body.push_str("<table class=\"summary\">");
        if !caption.0.is_empty() {
            let _ = write!(self.body, "<caption>{}</caption>", self.prose(caption));
        }
        self.body.push_str("<thead><tr>");
        for cell in header {
            let _ = write!(self.body, "<th scope=\"col\">{}</th>", self.prose(cell));
        }
        self.body.push_str("</tr></thead><tbody>");
        for row in rows {
            self.body.push_str("<tr>");
            for cell in row {
                let _ = write!(self.body, "<td>{}</td>", self.prose(cell));
            }
            self.body.push_str("</tr>");
        }
        self.body.push_str("</tbody></table>\n");
    }
}

/// Of a maximum, `max(y[0,0], y[0,1], …) = max(3.25, 2.25, …)`, the entry it picked: the
/// first of the largest printed values, as the backward pass routes the gradient.
fn picked<'a>(eq: &Eq, uses: &'a [String]) -> Option<&'a String> {
    let args = eq.chain.first()?.strip_prefix("max(")?.strip_suffix(')')?;
    let values: Vec<f64> = args.split(", ").map(value).collect::<Option<_>>()?;
    if values.len() != uses.len() || !eq.named.as_deref()?.starts_with("max(") {
        return None;
    }
    let largest = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    uses.get(values.iter().position(|&v| v == largest)?)
}

/// The entries a right-hand side names, `x[0,1]`, `w⁽⁰⁾[1,0]`, `∂L/∂y⁽¹⁾[0,0]`, in order.
fn entries(named: &str) -> Vec<String> {
    let chars: Vec<char> = named.chars().collect();
    let mut out = Vec::new();
    let mut k = 0;
    while k < chars.len() {
        if chars[k] == '[' {
            let end = chars[k..].iter().position(|&c| c == ']').map(|p| k + p);
            if let Some(end) = end
                && chars[k + 1..end].iter().all(|c| c.is_ascii_digit() || *c == ',')
                && end > k + 1
            {
                let mut start = k;
                while start > 0
                    && !matches!(chars[start - 1], ' ' | '(' | '·' | ',' | '[' | '−' | '+')
                {
                    start -= 1;
                }
                if start < k {
                    out.push(chars[start..=end].iter().collect());
                }
                k = end + 1;
                continue;
            }
        }
        k += 1;
    }
    out
}

/// A document's value as printed: `−1.5`, `≈0.25`, `3/4`, `2.5·10⁻⁷`; `None` for `∞`, `NaN`.
fn value(cell: &str) -> Option<f64> {
    const SUPERSCRIPTS: &str = "⁰¹²³⁴⁵⁶⁷⁸⁹";
    let mut text = String::new();
    let cell = cell.trim().trim_start_matches('≈');
    let (mantissa, exponent) = match cell.split_once("·10") {
        Some((m, e)) => (m, Some(e)),
        None => (cell, None),
    };
    for c in mantissa.chars() {
        text.push(if c == '−' { '-' } else { c });
    }
    let mut v = match text.split_once('/') {
        Some((n, d)) => n.parse::<f64>().ok()? / d.parse::<f64>().ok()?,
        None => text.parse::<f64>().ok()?,
    };
    if let Some(e) = exponent {
        let digits: String = e
            .chars()
            .map(|c| match c {
                '⁻' => Some('-'),
                c => SUPERSCRIPTS
                    .chars()
                    .position(|s| s == c)
                    .and_then(|d| char::from_digit(u32::try_from(d).ok()?, 10)),
            })
            .collect::<Option<String>>()?;
        v *= 10f64.powi(digits.parse().ok()?);
    }
    v.is_finite().then_some(v)
}

/// The background of a cell of value `v` in a matrix whose largest magnitude is `largest`:
/// white at 0, towards orange (#e66101) above it and purple (#5e3c99) below, at most 55% of
/// the way, so that black text keeps a contrast above 7:1 (WCAG AAA).
fn shade(v: f64, largest: f64) -> String {
    let t = if largest > 0.0 { (v / largest).clamp(-1.0, 1.0) } else { 0.0 };
    let base: [f64; 3] = if t >= 0.0 { [230.0, 97.0, 1.0] } else { [94.0, 60.0, 153.0] };
    let w = 0.55 * t.abs();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // within 0..=255
    let [r, g, b] = base.map(|c| (255.0 + (c - 255.0) * w).round() as u8);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// The layers as a row of boxes, each with its name and output shape.
fn diagram(layers: &[(String, String)]) -> String {
    if layers.is_empty() {
        return String::new();
    }
    let mut out =
        String::from("<ol class=\"layers\" aria-label=\"the layers and their output shapes\">");
    for (k, (name, shape)) in layers.iter().enumerate() {
        let role = if k == 0 { "input" } else { "layer" };
        let _ = write!(
            out,
            "<li class=\"{role}\"><span class=\"name\">{}</span><span class=\"shape\">{}</span></li>",
            escape(name),
            escape(shape)
        );
    }
    out.push_str("</ol>");
    out
}

/// The loss per step as an SVG line chart with labelled axes; nothing for fewer than three
/// points (one step and the loss after it say as much in the summary).
fn chart(losses: &[f64]) -> String {
    let points: Vec<(usize, f64)> =
        losses.iter().copied().enumerate().filter(|(_, l)| l.is_finite()).collect();
    if points.len() < 3 {
        return String::new();
    }
    let (w, h, left, bottom, top, right) = (560.0, 220.0, 70.0, 40.0, 16.0, 16.0);
    let lo = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min).min(0.0);
    let hi = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let hi = if hi > lo { hi } else { lo + 1.0 };
    let last = (losses.len() - 1) as f64;
    let x = |k: usize| left + (w - left - right) * k as f64 / last;
    let y = |l: f64| top + (h - top - bottom) * (hi - l) / (hi - lo);
    let line: Vec<String> =
        points.iter().map(|&(k, l)| format!("{:.1},{:.1}", x(k), y(l))).collect();
    let mut out = format!(
        "<figure class=\"chart\"><svg viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-labelledby=\"loss-title\">\
         <title id=\"loss-title\">The loss L at the start of each step, and after the last update</title>"
    );
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"{left}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\"/><line class=\"axis\" x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{0}\"/>",
        h - bottom,
        w - right
    );
    for (l, anchor) in [(hi, "hi"), (lo, "lo")] {
        let _ = write!(
            out,
            "<text class=\"tick {anchor}\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left - 6.0,
            y(l) + 4.0,
            short(l)
        );
    }
    let steps = losses.len() - 1;
    for k in 0..=steps {
        let label = if k == steps { "end".to_owned() } else { (k + 1).to_string() };
        if steps <= 12 || k % steps.div_ceil(10) == 0 || k == steps {
            let _ = write!(
                out,
                "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{label}</text>",
                x(k),
                h - bottom + 16.0
            );
        }
    }
    let _ = write!(
        out,
        "<text class=\"label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">step</text>\
         <text class=\"label\" x=\"14\" y=\"{:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {:.1})\">loss L</text>\
         <polyline class=\"loss\" points=\"{}\"/>",
        left + (w - left - right) / 2.0,
        h - 6.0,
        top + (h - top - bottom) / 2.0,
        top + (h - top - bottom) / 2.0,
        line.join(" ")
    );
    for &(k, l) in &points {
        let _ = write!(
            out,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\"><title>{}</title></circle>",
            x(k),
            y(l),
            short(l)
        );
    }
    out.push_str("</svg><figcaption>The loss per step (the last point after the final update).</figcaption></figure>");
    out
}

/// A loss for an axis label: six significant digits.
fn short(v: f64) -> String {
    let text = format!("{v:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".to_owned() } else { text.replace('-', "−") }
}

/// The name a matrix's entries go by in the equations: its label's formula (`X (input, 3×3)`
/// is `X`), the single layer's capital `X` and `W` (and `∂L/∂W`) written small, as its
/// equations write their entries (`x[0,1]`, `∂L/∂w[0,0]`).
fn entry_base(label: &Rich) -> String {
    let formula = label.0.iter().find_map(|p| match p {
        Piece::Math(m) => Some(m.to_string()),
        _ => None,
    });
    let mut name = formula.unwrap_or_else(|| plain(label));
    if name.ends_with('X') || name.ends_with('W') {
        let last = name.pop().map(|c| c.to_ascii_lowercase()).unwrap_or_default();
        name.push(last);
    }
    name
}

/// Rich text as plain text (for the title and the names of entries).
fn plain(rich: &Rich) -> String {
    rich.0
        .iter()
        .map(|p| match p {
            Piece::Text(t) | Piece::Math(t) | Piece::Code(t) => t.as_ref(),
        })
        .collect()
}

/// Text escaped for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { color-scheme: light; --ink: #111; --muted: #444; --rule: #bbb; --mark: #fff1b8; }
body { margin: 0; color: var(--ink); background: #fff; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.4rem; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 0.5rem; padding-top: 0.5rem; border-top: 1px solid var(--rule); }
h3 { font-size: 1rem; margin: 1.2rem 0 0.3rem; }
math { font-family: "STIX Two Math", "Cambria Math", "Latin Modern Math", "TeX Gyre Termes Math", "DejaVu Math TeX Gyre", math; }
.eq, .formula { overflow-x: auto; margin: 0.15rem 0; padding: 0.1rem 0.4rem; border-radius: 4px; }
.eq math, .formula math { display: inline math; math-style: normal; }
.eq:focus, .eq.active { background: var(--mark); outline: 2px solid #7a5c00; }
.note { border-left: 4px solid #7a5c00; padding: 0.2rem 0.6rem; background: #faf7ee; }
.matrix { display: inline-flex; align-items: center; gap: 0.5rem; margin: 0.4rem 1.5rem 0.4rem 0; vertical-align: middle; }
.grid { border-collapse: collapse; font-variant-numeric: tabular-nums; }
.grid td { border: 1px solid #777; padding: 0.15rem 0.5rem; text-align: right; min-width: 2.5rem; }
.grid td.nonfinite { background: repeating-linear-gradient(45deg, #fff, #fff 4px, #ddd 4px, #ddd 8px); }
.grid td:focus, .grid td.used { outline: 3px solid #000; outline-offset: -3px; font-weight: 700; }
.grid td.defined { outline: 3px dashed #000; outline-offset: -3px; }
.grid td.picked { outline: 4px double #000; outline-offset: -4px; text-decoration: underline; }
.summary { border-collapse: collapse; margin: 0.5rem 0; font-variant-numeric: tabular-nums; }
.summary caption { text-align: left; color: var(--muted); padding-bottom: 0.3rem; }
.summary th, .summary td { border-bottom: 1px solid var(--rule); padding: 0.2rem 0.7rem; text-align: right; }
.layers { display: flex; flex-wrap: wrap; gap: 0.5rem 1.6rem; list-style: none; padding: 0; margin: 0 0 1rem; }
.layers li { position: relative; border: 2px solid #333; border-radius: 6px; padding: 0.3rem 0.7rem; background: #f3f3f3; text-align: center; }
.layers li.input { background: #e8eef8; }
.layers li + li::before { content: "→"; position: absolute; left: -1.35rem; top: 50%; transform: translateY(-50%); color: var(--muted); }
.layers .name { display: block; font-weight: 600; }
.layers .shape { display: block; color: var(--muted); font-variant-numeric: tabular-nums; }
.chart svg { max-width: 100%; height: auto; }
.chart .axis { stroke: #333; stroke-width: 1; }
.chart .loss { fill: none; stroke: #b35806; stroke-width: 2; }
.chart circle { fill: #b35806; }
.chart text { font-size: 12px; fill: var(--ink); }
.chart figcaption { color: var(--muted); font-size: 0.9rem; }
.unconverted { color: #8b0000; }
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  .eq, .formula { overflow: visible; }
  .eq:focus, .eq.active, .grid td.used, .grid td.defined, .grid td.picked { outline: none; background: inherit; }
  h2 { break-before: auto; break-after: avoid; }
  h3 { break-after: avoid; }
  .eq, .matrix, .summary, .chart { break-inside: avoid; }
  .grid td, .layers li { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
"#;

const SCRIPT: &str = r#"
(function () {
  "use strict";
  function scope(el) { return el.closest("section") || document; }
  function clear() {
    document.querySelectorAll(".used, .defined, .picked, .active").forEach(function (e) {
      e.classList.remove("used", "defined", "picked", "active");
    });
  }
  function mark(eq, root) {
    eq.classList.add("active");
    var uses = (eq.dataset.uses || "").split(" ").filter(Boolean);
    var roots = [root, document.querySelector("section")];
    roots.forEach(function (r) {
      if (!r) { return; }
      r.querySelectorAll("td[data-name]").forEach(function (td) {
        if (uses.indexOf(td.dataset.name) >= 0 || uses.indexOf(td.dataset.alt) >= 0) { td.classList.add("used"); }
        if (td.dataset.name === eq.dataset.defines || td.dataset.alt === eq.dataset.defines) { td.classList.add("defined"); }
        if (eq.dataset.picks && td.dataset.name === eq.dataset.picks) { td.classList.add("picked"); }
      });
    });
  }
  function show(target) {
    var eq = target.closest(".eq");
    var td = target.closest("td[data-name]");
    if (!eq && !td) { return; }
    clear();
    var root = scope(eq || td);
    if (!eq) {
      var names = [td.dataset.name, td.dataset.alt];
      eq = Array.prototype.find.call(root.querySelectorAll(".eq"), function (e) {
        return names.indexOf(e.dataset.defines) >= 0;
      });
      if (!eq) { return; }
    }
    mark(eq, root);
  }
  document.addEventListener("mouseover", function (e) { show(e.target); });
  document.addEventListener("focusin", function (e) { show(e.target); });
})();
"#;

#[cfg(test)]
mod tests {
    use super::{Eq, entries, picked, shade, value};

    #[test]
    fn the_entries_an_equation_names() {
        assert_eq!(
            entries("x[0,0]·w⁽⁰⁾[0,0] + x[0,1]·w⁽⁰⁾[0,1] + b⁽⁰⁾"),
            ["x[0,0]", "w⁽⁰⁾[0,0]", "x[0,1]", "w⁽⁰⁾[0,1]"]
        );
        assert_eq!(entries("max(y⁽¹⁾[0,0,0], y⁽¹⁾[0,0,1])"), ["y⁽¹⁾[0,0,0]", "y⁽¹⁾[0,0,1]"]);
        assert_eq!(entries("∂L/∂y⁽¹⁾[1,0]·f′(z⁽⁰⁾[1,0])"), ["∂L/∂y⁽¹⁾[1,0]", "z⁽⁰⁾[1,0]"]);
        assert_eq!(
            entries("½[∂L₁/∂w⁽⁰⁾[0,0] + ∂L₂/∂w⁽⁰⁾[0,0]]"),
            ["∂L₁/∂w⁽⁰⁾[0,0]", "∂L₂/∂w⁽⁰⁾[0,0]"]
        );
    }

    #[test]
    fn a_maximum_picks_the_first_of_its_largest_entries() {
        let eq = |named: &str, chain: &str| Eq {
            lhs: "y⁽²⁾[0,0]".to_owned(),
            assign: false,
            named: Some(named.to_owned()),
            chain: vec![chain.to_owned()],
            result: None,
            reason: None,
            digits: 6,
            result_digits: 6,
        };
        let window = "max(y⁽¹⁾[0,0], y⁽¹⁾[0,1], y⁽¹⁾[1,0], y⁽¹⁾[1,1])";
        let max = eq(window, "max(1.5, −2, 3.25, 3.25)");
        let uses = entries(window);
        assert_eq!(picked(&max, &uses).map(String::as_str), Some("y⁽¹⁾[1,0]"));
        let relu = eq("max(0, z[0,0])", "max(0, 3)");
        assert_eq!(picked(&relu, &entries("max(0, z[0,0])")), None);
    }

    #[test]
    fn printed_values() {
        assert_eq!(value("−1.5"), Some(-1.5));
        assert_eq!(value("≈0.25"), Some(0.25));
        assert_eq!(value("−3/4"), Some(-0.75));
        assert_eq!(value("2.5·10⁻⁷"), Some(2.5e-7));
        assert_eq!(value("∞"), None);
        assert_eq!(shade(0.0, 1.0), "#ffffff");
        assert_eq!(shade(1.0, 1.0), "#f1a873");
        assert_eq!(shade(-2.0, 2.0), "#a694c7");
    }
}

//! `to_html()`: the page parses as HTML5 without a single parse error (html5ever), every
//! `<math>` element is well-formed XML in the MathML namespace (roxmltree), the page prints
//! every number of the text derivation in the same order, and it refers to nothing outside
//! itself. Two pages are held in insta snapshots.

use std::fmt::Write as _;

use cnn_bp_core::train;
use html5ever::tendril::TendrilSink as _;
use markup5ever_rcdom::RcDom;

/// The pages of a spread of specs, each beside its text derivation: a single layer (with its
/// check and mistakes, and symbolic), networks with pooling, dense layers and a softmax, a
/// batch, an exact run and a long one.
fn pages() -> Vec<(&'static str, String, String)> {
    let seed = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.5,
        check: finite_differences,
        mistakes: true,
    };
    let symbolic = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        bias: 0.5,
        activation: sigmoid,
        lr: 0.5,
        steps: 2,
        show: symbolic,
    };
    let classifier = train! {
        input: [[1, 0, 2, -1, 1], [0, 1, -1, 2, 0], [2, -1, 1, 0, 1], [-1, 2, 0, 1, -1], [1, 0, 1, -1, 2]],
        layers: [
            conv { filter: [[0.5, 0, -0.5], [0, 1, 0], [-0.5, 0, 0.5]], bias: 0 },
            relu,
            max_pool { size: 2, stride: 1 },
            flatten,
            dense { weight: [[1, -1, 0, 0.5], [0, 0.5, 1, -1], [-1, 0, 0.5, 1]], bias: [0, 0, 0] },
        ],
        target: [0, 1, 0],
        loss: softmax_cross_entropy,
        lr: 0.5,
        steps: 2,
        check: finite_differences,
        mistakes: true,
    };
    let batch = train! {
        examples: [
            { input: [[1, -1, 0], [0, 1, 0], [0, -1, 1]], target: [[1]] },
            { input: [[1, 0, 1], [0, 1, 0], [1, 0, 1]],   target: [[0]] },
        ],
        layers: [conv { filter: [[1, -1], [1, 1]] }, relu, avg_pool { size: 2 }],
        lr: 0.5,
        steps: 2,
    };
    let exact = train! {
        input: [[1, 2, 0, 1], [0, 1, 1, 3], [1, 0, 2, 1]],
        layers: [conv { filter: [[1, -1], [0.5, 1]], bias: 0.1, padding: 1 }, relu, avg_pool { size: 2 },
                 flatten, dense { weight: [[1, 0, 0, 1], [-0.5, 1, 0, 1]], bias: [0, 0.25] }],
        target: [1, 0],
        loss: sse,
        lr: 0.1,
        steps: 2,
        input_grad: true,
        arithmetic: exact,
    };
    let long = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.1,
        steps: 25,
    };
    vec![
        ("seed", seed.to_string(), seed.to_html()),
        ("symbolic", symbolic.to_string(), symbolic.to_html()),
        ("classifier", classifier.to_string(), classifier.to_html()),
        ("batch", batch.to_string(), batch.to_html()),
        ("exact", exact.to_string(), exact.to_html()),
        ("long", long.to_string(), long.to_html()),
    ]
}

#[test]
fn every_page_parses_as_html5_without_an_error() {
    for (name, _, page) in pages() {
        let dom = html5ever::parse_document(RcDom::default(), html5ever::ParseOpts::default())
            .from_utf8()
            .read_from(&mut page.as_bytes())
            .expect("reading from a string");
        let errors = &dom.errors;
        assert!(
            errors.is_empty(),
            "{name}: {} parse errors, the first {:?}",
            errors.len(),
            &errors[..errors.len().min(5)]
        );
        assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"), "{name}");
    }
}

/// Every `<math …>…</math>` of a page, as written.
fn math_elements(page: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = page;
    while let Some(start) = rest.find("<math") {
        let end = rest[start..].find("</math>").expect("a closed <math>") + start + "</math>".len();
        out.push(&rest[start..end]);
        rest = &rest[end..];
    }
    out
}

#[test]
fn every_math_element_is_well_formed_mathml() {
    for (name, text, page) in pages() {
        let elements = math_elements(&page);
        // Every equation of the text has its own block: at least as many as its `=` lines.
        let equations = text.lines().filter(|l| l.trim_start().starts_with("= ")).count();
        assert!(
            elements.len() > equations,
            "{name}: {} math elements for {equations} equations",
            elements.len()
        );
        for math in elements {
            // The HTML parser reads `<math>` as MathML; as XML it needs its namespace said.
            let xml =
                math.replacen("<math", "<math xmlns=\"http://www.w3.org/1998/Math/MathML\"", 1);
            let doc = roxmltree::Document::parse(&xml)
                .unwrap_or_else(|e| panic!("{name}: {e} in {}", &math[..math.len().min(300)]));
            let root = doc.root_element();
            assert_eq!(root.tag_name().name(), "math", "{name}");
            for node in root.descendants().filter(roxmltree::Node::is_element) {
                let tag = node.tag_name().name();
                // MathML Core's elements, and the HTML `code` that an `mtext` may hold.
                assert!(
                    MATHML_CORE.contains(&tag) || tag == "code",
                    "{name}: <{tag}> is not MathML Core"
                );
            }
        }
    }
}

const MATHML_CORE: &[&str] = &[
    "math",
    "mi",
    "mn",
    "mo",
    "mtext",
    "mspace",
    "ms",
    "mrow",
    "mfrac",
    "msqrt",
    "mroot",
    "mstyle",
    "merror",
    "mpadded",
    "mphantom",
    "msub",
    "msup",
    "msubsup",
    "munder",
    "mover",
    "munderover",
    "mmultiscripts",
    "mprescripts",
    "mtable",
    "mtr",
    "mtd",
    "semantics",
    "annotation",
    "annotation-xml",
];

/// The runs of digits of a text derivation, its notation's spellings made alike with the
/// page's: `½` is `1/2`, `²` a `2`, `·10⁻⁹` the `e−9` of an exponent, `L₂` a `2`; a layer mark
/// `⁽⁰⁾` is no number.
fn text_numbers(text: &str) -> Vec<String> {
    const SUPERSCRIPTS: &str = "⁰¹²³⁴⁵⁶⁷⁸⁹";
    let mut plain = String::new();
    let mut marked = false;
    let chars: Vec<char> = text.chars().collect();
    let mut k = 0;
    while k < chars.len() {
        let c = chars[k];
        k += 1;
        match c {
            '⁽' => marked = true,
            '⁾' => marked = false,
            _ if marked => {}
            '·' if chars.get(k..k + 2) == Some(&['1', '0'])
                && chars.get(k + 2).is_some_and(|&s| s == '⁻' || SUPERSCRIPTS.contains(s)) =>
            {
                plain.push('e');
                k += 2;
                while let Some(&s) = chars.get(k) {
                    match SUPERSCRIPTS.chars().position(|d| d == s) {
                        Some(d) => plain.push(char::from(b'0' + u8::try_from(d).unwrap_or(0))),
                        None if s == '⁻' => plain.push('−'),
                        None => break,
                    }
                    k += 1;
                }
            }
            '½' => plain.push_str(" 1 2 "),
            '²' => plain.push_str(" 2 "),
            '₀'..='₉' => plain.push(char::from_digit(u32::from(c) - 0x2080, 10).unwrap_or('?')),
            c => plain.push(c),
        }
    }
    runs(&plain)
}

/// The runs of digits of a page's visible text: its head, script, layer diagram and chart
/// left out, every tag removed, a MathML layer mark `^{(0)}` left out and `×10` before an
/// exponent read as the text's `e`; the rest as [`text_numbers`] reads the text.
fn page_numbers(page: &str) -> Vec<String> {
    let mut page = page.to_owned();
    for (open, close) in [
        ("<head>", "</head>"),
        ("<script>", "</script>"),
        ("<ol class=\"layers\"", "</ol>"),
        ("<figure class=\"chart\">", "</figure>"),
    ] {
        while let Some(start) = page.find(open) {
            let end = page[start..].find(close).expect("closed") + start + close.len();
            page.replace_range(start..end, " ");
        }
    }
    let mark = "<mrow><mo stretchy=\"false\">(</mo><mn>";
    let tail = "</mn><mo stretchy=\"false\">)</mo></mrow>";
    let mut from = 0;
    while let Some(at) = page[from..].find(mark) {
        let (start, after) = (from + at, from + at + mark.len());
        let digits = page[after..].bytes().take_while(u8::is_ascii_digit).count();
        if page[after + digits..].starts_with(tail) {
            page.replace_range(start..after + digits + tail.len(), "");
            from = start;
        } else {
            from = after;
        }
    }
    let mut text = String::new();
    let mut in_tag = false;
    for c in page.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if in_tag => {}
            c => text.push(c),
        }
    }
    // `1.5<mo>×</mo><msup><mn>10</mn>…` is the text's `1.5·10⁻⁹`.
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // A grid's cell prints its number as the text does, `1.5·10⁻⁹`.
    text_numbers(&text.replace(" × 10 ", "e"))
}

fn runs(text: &str) -> Vec<String> {
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

#[test]
fn every_number_of_the_text_is_on_the_page_in_order() {
    for (name, text, page) in pages() {
        let (text, page) = (text_numbers(&text), page_numbers(&page));
        if let Some(k) = (0..text.len().min(page.len())).find(|&k| text[k] != page[k]) {
            let around = |v: &[String]| v[k.saturating_sub(6)..(k + 6).min(v.len())].join(" ");
            panic!(
                "{name}: number {k} is {} in the text but {} on the page\n  text: {}\n  page: {}",
                text[k],
                page[k],
                around(&text),
                around(&page)
            );
        }
        assert_eq!(text.len(), page.len(), "{name}: as many numbers");
    }
}

#[test]
fn a_page_refers_to_nothing_outside_itself() {
    for (name, _, page) in pages() {
        let lower = page.to_lowercase();
        for outside in [
            "src=", "href=", "url(", "@import", "<link", "<iframe", "<img", "<object", "<embed",
            "//",
        ] {
            let hits: Vec<usize> = lower.match_indices(outside).map(|(at, _)| at).collect();
            // `//` only as the MathML namespace an `xmlns` names (none is written) or in prose.
            assert!(hits.is_empty(), "{name}: {outside} at {hits:?}");
        }
    }
}

#[test]
fn a_page_has_a_heading_per_step_the_layers_and_for_several_steps_a_chart() {
    let pages = pages();
    let page = |n: &str| &pages.iter().find(|p| p.0 == n).expect("a page").2;
    let classifier = page("classifier");
    for layer in ["conv 3×3", "relu", "max_pool 2×2, stride 1", "flatten", "dense 4→3"] {
        assert!(classifier.contains(&format!("<span class=\"name\">{layer}</span>")), "{layer}");
    }
    assert!(classifier.contains("<h2>Step 2</h2>"));
    assert!(page("long").contains("<svg") && page("long").contains(">loss L</text>"));
    assert!(!page("seed").contains("<svg"), "one step: no chart");
    let mut headings = String::new();
    for line in page("seed").lines().filter(|l| l.starts_with("<h2>")) {
        let _ = writeln!(headings, "{line}");
    }
    insta::assert_snapshot!("seed_headings", headings);
}

#[test]
fn the_html_of_two_specs() {
    let seed = train! {
        input:  [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
        filter: [[1, -1], [1, 1]],
        target: [[1, 0], [0, 1]],
        lr: 0.5,
    };
    insta::assert_snapshot!("seed_question", seed.to_html());
    let pool = train! {
        input: [[0.5, 0.25], [1, -0.5]],
        layers: [conv { filter: [[0.5]] }, max_pool { size: 2 }, flatten, dense { weight: [[1], [-1]] }],
        target: 1,
        loss: softmax_cross_entropy,
        lr: 0.5,
        steps: 3,
    };
    // z⁽⁰⁾ = 0.5·x, its window's maximum 0.5 (x[1,0]), the logits [0.5, −0.5]: against class 1
    // L = −log(e^−0.5/(e^0.5 + e^−0.5)) = log(1 + e).
    assert!((pool.steps()[0].loss() - 1f64.exp().ln_1p()).abs() < 1e-12);
    assert!(pool.loss_after() < pool.steps()[0].loss());
    insta::assert_snapshot!("max_pool_classifier", pool.to_html());
}

#!/usr/bin/env node
// Checks that every math span in cnn-bp's LaTeX / Markdown output renders with KaTeX.
//
//   node scripts/katex/check.mjs FILE...      check files; exit 1 on any error
//   node scripts/katex/check.mjs --self-test  check the checker on built-in strings
//
// Dialect by file name:
//   .tex   LaTeX:    display \[ … \], inline \( … \); a stray \] or \) outside math is an error
//   .md    Markdown: display $$ … $$, inline $ … $ (closed on the same line); `code spans`,
//                    fenced code blocks and \$ are not math
//   other  (e.g. insta .snap) detected from the content: \[ or \( → LaTeX, else $ → Markdown,
//          else plain text with no math. A .snap file's header (up to its second `---` line)
//          is blanked first, so line numbers still match the file.
// Each span is rendered with KaTeX in strict mode. KaTeX's strict mode still accepts the Unicode
// symbols it knows (− × ≤ ∂ α → …), which a LaTeX document without unicode-math rejects, so any
// non-ASCII character in math is reported as well.
// An unclosed delimiter is an error. Errors print as `file:line: message` plus the source.

import { readFileSync } from 'node:fs';
import katex from 'katex';

const KATEX_OPTIONS = { throwOnError: true, strict: 'error', trust: false, output: 'htmlAndMathml' };

// ---- extraction: text → { spans: [{ src, display, start }], errors: [{ at, msg }] } ----
// `start` and `at` are character offsets into the text.

// LaTeX dialect. `\x` pairs are skipped as a unit, so `\\[2pt]` inside math is not a delimiter.
function extractLatex(text) {
  const spans = [], errors = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '\\') continue;
    const d = text[i + 1];
    if (d === '[' || d === '(') {
      const display = d === '[';
      const end = findLatexClose(text, i + 2, display ? '\\]' : '\\)');
      if (end < 0) {
        errors.push({ at: i, msg: `unclosed \\${d} (no matching \\${display ? ']' : ')'})` });
      } else {
        spans.push({ src: text.slice(i + 2, end), display, start: i + 2 });
        i = end; // `i++` below and the loop's `i++` step over the closing delimiter
      }
    } else if (d === ']' || d === ')') {
      errors.push({ at: i, msg: `stray \\${d} outside math` });
    }
    i++; // skip the escaped character
  }
  return { spans, errors };
}

// Offset of `close` after `from`, or -1 if the text ends or another \[ \( \] \) comes first.
function findLatexClose(text, from, close) {
  for (let j = from; j < text.length; j++) {
    if (text[j] !== '\\') continue;
    const pair = text.slice(j, j + 2);
    if (pair === close) return j;
    if (['\\[', '\\(', '\\]', '\\)'].includes(pair)) return -1;
    j++;
  }
  return -1;
}

// Markdown dialect (GitHub): $$…$$ display, $…$ inline, skipping code and \-escapes.
function extractMarkdown(text) {
  const spans = [], errors = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    // Fenced code block: from a ``` or ~~~ line to the next fence line of the same kind.
    const fence = (i === 0 || text[i - 1] === '\n') && /^ {0,3}(`{3,}|~{3,})/.exec(text.slice(i, i + 80));
    if (fence) {
      const closeFence = new RegExp(`\\n {0,3}${fence[1][0] === '`' ? '`' : '~'}{${fence[1].length},}[ \\t]*(\\n|$)`);
      const m = closeFence.exec(text.slice(i + fence[0].length));
      i = m ? i + fence[0].length + m.index + m[0].length : text.length; // an unclosed fence runs to the end
    } else if (c === '\\') {
      i += 2; // an escaped character such as \$ or \` is plain text
    } else if (c === '`') {
      // Code span: a run of N backticks up to the next run of exactly N; unmatched runs are text.
      const n = /^`+/.exec(text.slice(i))[0].length;
      const m = new RegExp(`(?<!\`)\`{${n}}(?!\`)`, 'g');
      m.lastIndex = i + n;
      const close = m.exec(text);
      i = close ? close.index + n : i + n;
    } else if (c === '$') {
      const display = text[i + 1] === '$';
      const open = display ? 2 : 1;
      const end = findDollarClose(text, i + open, display);
      if (end < 0) {
        errors.push({ at: i, msg: `unclosed ${'$'.repeat(open)} (no matching ${'$'.repeat(open)}${display ? '' : ' on the same line'})` });
        i += open;
      } else {
        spans.push({ src: text.slice(i + open, end), display, start: i + open });
        i = end + open;
      }
    } else {
      i++;
    }
  }
  return { spans, errors };
}

// Offset of the closing $$ (display) or $ (inline, same line only) after `from`, or -1.
function findDollarClose(text, from, display) {
  for (let j = from; j < text.length; j++) {
    if (text[j] === '\\') j++; // \$ inside math is not a delimiter
    else if (!display && text[j] === '\n') return -1;
    else if (text[j] === '$' && (!display || text[j + 1] === '$')) return j;
  }
  return -1;
}

// ---- per file ----

// Blank an insta .snap header (`---` … `---`), keeping its newlines so line numbers match.
function stripSnapHeader(text) {
  const m = /^---\r?\n(?:.*\r?\n)*?---\r?\n/.exec(text);
  return m ? m[0].replace(/[^\n]/g, '') + text.slice(m[0].length) : text;
}

// 'latex', 'markdown' or 'plain'. An unescaped \[ or \( means LaTeX (`\\[2pt]` does not count).
function dialectOf(name, text) {
  if (name.endsWith('.tex')) return 'latex';
  if (name.endsWith('.md')) return 'markdown';
  if (/(?<!\\)\\[[(]/.test(text)) return 'latex';
  if (text.includes('$')) return 'markdown';
  return 'plain';
}

const lineAt = (text, offset) => text.slice(0, offset).split('\n').length;

// One-line, shortened view of a math source, centred near `pos` when it is long.
function shorten(src, pos = 0) {
  const flat = src.replace(/\s+/g, ' ').trim();
  if (flat.length <= 100) return flat;
  const from = Math.max(0, Math.min(flat.length - 100, Math.round(pos * flat.length / src.length) - 50));
  return (from > 0 ? '…' : '') + flat.slice(from, from + 100) + (from + 100 < flat.length ? '…' : '');
}

// Returns { dialect, spans: count, errors: [{ line, msg, src }] } for one file's text.
function checkText(name, rawText) {
  const text = name.endsWith('.snap') ? stripSnapHeader(rawText) : rawText;
  const dialect = dialectOf(name, text);
  if (dialect === 'plain') return { dialect, spans: 0, errors: [] };
  const { spans, errors: delimErrors } = dialect === 'latex' ? extractLatex(text) : extractMarkdown(text);
  const errors = delimErrors.map(e => ({ line: lineAt(text, e.at), msg: e.msg, src: shorten(text.slice(e.at, e.at + 100)) }));
  for (const { src, display, start } of spans) {
    let msg = null, pos = 0;
    try {
      katex.renderToString(src, { ...KATEX_OPTIONS, displayMode: display });
      const bad = /[^\x00-\x7f]/.exec(src); // rendered, but not ASCII (see the top comment)
      if (bad) {
        const code = bad[0].codePointAt(0).toString(16).toUpperCase().padStart(4, '0');
        msg = `non-ASCII character "${bad[0]}" (U+${code}) in math; write it as a LaTeX command`;
        pos = bad.index;
      }
    } catch (e) {
      msg = `KaTeX: ${e.rawMessage ?? e.message}`;
      pos = Number.isInteger(e.position) ? e.position : 0;
    }
    if (msg) errors.push({ line: lineAt(text, start + pos), msg, src: shorten(src, pos) });
  }
  errors.sort((a, b) => a.line - b.line);
  return { dialect, spans: spans.length, errors };
}

// ---- self-test: the checker must pass good documents and report bad ones ----

function selfTest() {
  const goodLatex = [
    'Given',
    '',
    '\\[',
    '\\begin{aligned}',
    'z_{0,0} &= x_{0,0}\\cdot w_{0,0} + x_{0,1}\\cdot w_{0,1} \\\\[2pt]',
    '  &= 1\\cdot 1 + (-1)\\cdot (-1) = 2',
    '\\end{aligned}',
    '\\]',
    '',
    'Loss: \\(L = \\tfrac{1}{2}\\cdot \\sum (y - t)^{2}\\), so \\(\\partial L/\\partial y = y - t\\) costs $5',
    '\\(\\texttt{relu\\_grad\\_at\\_zero}\\) and \\(W \\leftarrow W - \\eta \\cdot \\partial L/\\partial W\\)',
  ].join('\n');
  const goodMarkdown = [
    '# Step 1: $z = X \\star W$',
    '',
    '$$',
    'W = \\begin{bmatrix} 1 & -1 \\\\ 1 & 1 \\end{bmatrix}',
    '$$',
    '',
    'set `relu_grad_at_zero: $1` or ``a ` $b`` (code), costs \\$5, $\\delta _{1,0} = 0$',
    '',
    '| entry | value |',
    '| --- | --- |',
    '| $w_{0,0}$ | $1 - 0.5\\cdot 2 = 0$ |',
    '',
    '```',
    'echo $HOME',
    '```',
  ].join('\n');
  const snapHeader = '---\nsource: tests/snapshots.rs\nexpression: d\n---\n';
  // [name, file name, text, expected spans, expected error lines (one entry per error)]
  const cases = [
    ['good LaTeX document', 'good.tex', goodLatex, 5, []],
    ['good Markdown document', 'good.md', goodMarkdown, 5, []],
    ['LaTeX snapshot, header stripped', 'a.snap', snapHeader + goodLatex, 5, []],
    ['Markdown snapshot', 'b.snap', snapHeader + goodMarkdown, 5, []],
    ['plain-text snapshot', 'c.snap', snapHeader + 'X (input, 3×3) = [ 1  −1 ]\n', 0, []],
    ['\\(\\frac{1}\\) (missing argument)', 'bad.tex', 'ok \\(x\\)\nbad \\(\\frac{1}\\)\n', 2, [2]],
    ['$$ x − 1 $$ (Unicode minus)', 'bad.md', 'text\n\n$$ x − 1 $$\n', 1, [3]],
    ['Unicode minus in a .snap', 'bad.snap', snapHeader + '\\[\nx − 1\n\\]\n', 1, [6]],
    ['unclosed \\[', 'bad.tex', 'a \\(x\\)\n\\[\nx + 1\n\nmore text\n', 1, [2]],
    ['stray \\]', 'bad.tex', 'x + 1\n\\]\n', 0, [2]],
    ['\\( closed by \\]', 'bad.tex', '\\(x\\]\n', 0, [1, 1]],
    ['unclosed $$', 'bad.md', '$$\nx\n', 0, [1]],
    ['unclosed inline $', 'bad.md', 'costs $5 today\n', 0, [1]],
    ['KaTeX error inside a table cell', 'bad.md', '| a |\n| --- |\n| $x^$ |\n', 1, [3]],
  ];
  let passed = 0, failed = 0;
  for (const [what, name, text, spans, lines] of cases) {
    const r = checkText(name, text);
    const got = r.errors.map(e => e.line);
    const ok = r.spans === spans && JSON.stringify(got) === JSON.stringify(lines);
    ok ? passed++ : failed++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}: ${r.spans} spans, errors at lines [${got}]` +
      (ok ? '' : ` (expected ${spans} spans, errors at lines [${lines}])`));
    for (const e of r.errors) console.log(`       ${name}:${e.line}: ${e.msg}`);
  }
  console.log(`katex self-test (katex ${katex.version}): ${passed} passed, ${failed} failed`);
  return failed === 0;
}

// ---- command line ----

const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--self-test') {
  process.exit(selfTest() ? 0 : 1);
}
if (args.length === 0 || args.some(a => a.startsWith('--'))) {
  console.error('usage: node scripts/katex/check.mjs FILE...   |   node scripts/katex/check.mjs --self-test');
  process.exit(2);
}
let spanCount = 0, errorCount = 0;
for (const file of args) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    console.log(`${file}: cannot read: ${e.message}`);
    errorCount++;
    continue;
  }
  const { spans, errors } = checkText(file, text);
  spanCount += spans;
  errorCount += errors.length;
  for (const e of errors) console.log(`${file}:${e.line}: ${e.msg}\n    ${e.src}`);
}
console.log(`katex: ${args.length} files, ${spanCount} math spans, ${errorCount} errors`);
process.exit(errorCount > 0 ? 1 : 0);

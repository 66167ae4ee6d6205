#!/usr/bin/env node
// Opens cnn-bp's self-contained HTML pages in a real headless Chromium and fails on what a reader
// would see broken.
//
//   node scripts/browser/check.mjs [--out DIR] PAGE.html...   check pages; exit 1 if any fails
//   node scripts/browser/check.mjs --self-test                check the checker on fixture pages
//
// Chromium is $CHROMIUM or /usr/bin/chromium (Debian's package; scripts/browser/install-chromium.sh
// installs it). playwright-core only drives it: it never downloads a browser.
//
// Each page is opened from its file:// URL in a fresh context: viewport 1200×900, device scale
// factor 1, light colour scheme, locale en-US, time zone UTC. It is opened twice.
//
//   1. JavaScript enabled. The page fails on
//      - any request other than for the page's own file:// URL (data: and blob: URLs are the
//        page's own bytes and are not requests); such requests are also blocked: the page must
//        reference nothing outside itself, not even a file beside it;
//      - any console message of type `error` (a blocked request makes one too), any uncaught
//        exception or unhandled rejection (`pageerror`), a crash, or a load that times out;
//      - any <math> element with a zero-width or zero-height bounding box, or one that
//        checkVisibility() says is not shown (display:none anywhere above it, visibility:hidden,
//        opacity 0, content-visibility:hidden as in a closed <details>): a page must show all its
//        math. The count and the first few by their text are reported;
//      - any <math> element that Chromium does not lay out as MathML (computed `display` neither
//        `math`/`inline math` nor `block math`);
//      - a blank screenshot, full page or top: see isBlank() below.
//      It saves <out>/<name>.png (full page) and <out>/<name>-top.png (the top 1200×800, for the
//      README's picture; its size is printed, and a warning if it exceeds 300 KB).
//   2. JavaScript disabled, to check that the page reads without its script: the same request,
//      console, math and blank checks (the screenshot is checked, not saved).
//
// Measurements are taken after the load event and document.fonts.ready (and, with JavaScript, two
// animation frames later), so web fonts (data: URLs only) and the inline script have run.
// One line per page: `OK   page  (…)` or `FAILED page: reason; reason`.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { PNG } from 'pngjs';

const VIEWPORT = { width: 1200, height: 900 };
const TOP_CLIP = { x: 0, y: 0, width: 1200, height: 800 };
const TOP_MAX_BYTES = 300 * 1024;
const LOAD_TIMEOUT_MS = 30_000;
const SHOW_FIRST = 3;

// ---- blank screenshots ----
// A screenshot is blank when fewer than BLANK_MIN_INK of its pixels differ from its most common
// colour (the background) by more than BLANK_TOLERANCE (sum of the R, G, B differences), or when
// it has fewer than BLANK_MIN_COLOURS distinct colours. Anti-aliased text alone gives hundreds of
// colours and a few per cent of "ink"; an empty page, a page of one flat colour (white, black on a
// GPU failure, a full-screen box) or one with a stray dot or two does not pass. A page whose only
// content is a one-line heading is blank too: the pages checked here are whole derivations.
const BLANK_MIN_INK = 0.005;
const BLANK_TOLERANCE = 24;
const BLANK_MIN_COLOURS = 16;

function inkStats(pngBuffer) {
  const { width, height, data } = PNG.sync.read(pngBuffer);
  const counts = new Map();
  for (let i = 0; i < data.length; i += 4) {
    const key = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let bg = 0, bgCount = -1;
  for (const [k, c] of counts) if (c > bgCount) { bg = k; bgCount = c; }
  const br = bg >> 16, bgG = (bg >> 8) & 255, bb = bg & 255;
  let ink = 0;
  for (let i = 0; i < data.length; i += 4) {
    const d = Math.abs(data[i] - br) + Math.abs(data[i + 1] - bgG) + Math.abs(data[i + 2] - bb);
    if (d > BLANK_TOLERANCE) ink++;
  }
  const pixels = width * height;
  return { width, height, colours: counts.size, ink: pixels ? ink / pixels : 0 };
}

function isBlank(stats) {
  return stats.ink < BLANK_MIN_INK || stats.colours < BLANK_MIN_COLOURS;
}

function blankReason(what, s) {
  return `blank ${what} screenshot (${s.width}×${s.height}: ${(s.ink * 100).toFixed(2)}% ink, ` +
    `${s.colours} colours; needs ≥ ${BLANK_MIN_INK * 100}% and ≥ ${BLANK_MIN_COLOURS})`;
}

// ---- the browser ----

async function launch() {
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  try {
    statSync(executablePath);
  } catch {
    throw new Error(`no Chromium at ${executablePath}: run scripts/browser/install-chromium.sh ` +
      `or set CHROMIUM`);
  }
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox', // root in CI; the pages are our own
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      // Belt and braces beside the request blocking below: no host name resolves.
      '--host-resolver-rules=MAP * ~NOTFOUND',
    ],
  });
}

const short = (s, n = 50) => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > n ? t.slice(0, n - 1) + '…' : t;
};

// The fonts Chromium drew the math's text with (the first MATH_FONT_SAMPLE token elements), as
// [family, glyph count], most glyphs first. Informational: MathML Core takes fraction, script and
// stretchy-operator metrics from the first font's OpenType MATH table, so math drawn mostly in a
// font without one ("DejaVu Sans" for the bare `math` family on Debian) still shows, but with
// poorly placed scripts; a warning is printed when the family with the most glyphs has no Math in
// its name.
const MATH_FONT_SAMPLE = 300;
async function mathFonts(context, page) {
  const cdp = await context.newCDPSession(page);
  try {
    await cdp.send('DOM.enable');
    await cdp.send('CSS.enable');
    const { root } = await cdp.send('DOM.getDocument', { depth: 0 });
    const { nodeIds } = await cdp.send('DOM.querySelectorAll',
      { nodeId: root.nodeId, selector: 'math mi, math mn, math mo, math mtext, math ms' });
    const glyphs = new Map();
    for (const nodeId of nodeIds.slice(0, MATH_FONT_SAMPLE)) {
      const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
      for (const f of fonts) glyphs.set(f.familyName, (glyphs.get(f.familyName) ?? 0) + f.glyphCount);
    }
    return [...glyphs].sort((a, b) => b[1] - a[1]);
  } finally {
    await cdp.detach();
  }
}

// Opens `url` once; returns { reasons, mathCount, full?, top? } (screenshots as PNG buffers).
async function visit(browser, url, { javaScriptEnabled, screenshots }) {
  const context = await browser.newContext({
    viewport: VIEWPORT,
    deviceScaleFactor: 1,
    javaScriptEnabled,
    colorScheme: 'light',
    locale: 'en-US',
    timezoneId: 'UTC',
    serviceWorkers: 'block',
  });
  const reasons = [];
  const outside = [];
  const consoleErrors = [];
  const pageErrors = [];
  const own = (u) => u === url || u.startsWith('data:') || u.startsWith('blob:') ||
    u === 'about:blank';
  await context.route('**/*', (route) =>
    own(route.request().url()) ? route.continue() : route.abort('blockedbyclient'));
  const page = await context.newPage();
  page.on('request', (r) => { if (!own(r.url())) outside.push(r.url()); });
  page.on('websocket', (ws) => outside.push(ws.url()));
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => pageErrors.push(e.message ?? String(e)));
  page.on('crash', () => reasons.push('page crashed'));
  const result = { reasons, mathCount: 0 };
  try {
    const response = await page.goto(url, { waitUntil: 'load', timeout: LOAD_TIMEOUT_MS });
    if (response && !response.ok()) reasons.push(`load failed: ${response.status()}`);
    // Runs in Playwright's own world, so it works with the page's JavaScript disabled too.
    // With the page's JavaScript disabled, timers and animation frames never fire, even here; then
    // nothing can change after the load anyway.
    const math = await page.evaluate(async (frames) => {
      await document.fonts.ready;
      if (frames) await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      const all = [...document.getElementsByTagNameNS('http://www.w3.org/1998/Math/MathML', 'math')];
      const bad = [], notMathml = [];
      for (const m of all) {
        const r = m.getBoundingClientRect();
        const shown = m.checkVisibility({ visibilityProperty: true, opacityProperty: true });
        const text = m.textContent || m.getAttribute('alttext') || '(empty)';
        if (r.width === 0 || r.height === 0 || !shown) {
          bad.push(`${text} [${Math.round(r.width)}×${Math.round(r.height)}${shown ? '' : ', hidden'}]`);
        }
        const display = getComputedStyle(m).display;
        if (shown && !/\bmath\b/.test(display)) notMathml.push(`${text} [display: ${display}]`);
      }
      return { count: all.length, bad, notMathml };
    }, javaScriptEnabled);
    result.mathCount = math.count;
    if (math.bad.length) {
      reasons.push(`${math.bad.length} of ${math.count} <math> with zero size or not shown: ` +
        math.bad.slice(0, SHOW_FIRST).map((t) => `"${short(t)}"`).join(', ') +
        (math.bad.length > SHOW_FIRST ? ', …' : ''));
    }
    if (math.notMathml.length) {
      reasons.push(`${math.notMathml.length} <math> not laid out as MathML: ` +
        math.notMathml.slice(0, SHOW_FIRST).map((t) => `"${short(t)}"`).join(', '));
    }
    if (screenshots) result.mathFonts = await mathFonts(context, page);
    const full = await page.screenshot({ fullPage: true, animations: 'disabled' });
    const fullStats = inkStats(full);
    if (isBlank(fullStats)) reasons.push(blankReason('full-page', fullStats));
    result.fullStats = fullStats;
    if (screenshots) {
      result.full = full;
      result.top = await page.screenshot({ clip: TOP_CLIP, animations: 'disabled' });
      const topStats = inkStats(result.top);
      if (isBlank(topStats)) reasons.push(blankReason('top', topStats));
    }
    if (javaScriptEnabled) {
      // A cnn-bp page's script: focusing an equation that names entries (and then an entry
      // it defines) must highlight the entries it used. Pages without such equations (the
      // self-test's fixtures) are not asked.
      const highlight = await page.evaluate(() => {
        const eq = Array.from(document.querySelectorAll('.eq[data-uses]'))
          .find((e) => e.dataset.uses.trim() && document.querySelector('td[data-name]'));
        if (!eq) return null;
        eq.focus();
        const used = document.querySelectorAll('td.used').length;
        const active = eq.classList.contains('active');
        const cell = Array.from(document.querySelectorAll('td[data-name]'))
          .find((td) => td.dataset.name === eq.dataset.defines || td.dataset.alt === eq.dataset.defines);
        let fromCell = null;
        if (cell) {
          document.body.focus();
          cell.focus();
          fromCell = document.querySelectorAll('td.used').length;
        }
        return { used, active, fromCell, defines: eq.dataset.defines };
      });
      if (highlight && !(highlight.used > 0 && highlight.active)) {
        reasons.push(`focusing the equation of ${highlight.defines} highlighted ${highlight.used} entries`);
      }
      if (highlight && highlight.fromCell === 0) {
        reasons.push(`focusing the entry ${highlight.defines} highlighted no entries`);
      }
    }
  } catch (e) {
    // Playwright's messages go on with a call log, in colour: the first line says it.
    reasons.push(`could not check: ${short(String(e.message ?? e).split('\n')[0], 200)}`);
  } finally {
    await context.close();
  }
  if (outside.length) {
    const uniq = [...new Set(outside)];
    reasons.unshift(`${uniq.length} request(s) outside the page, blocked: ` +
      uniq.slice(0, SHOW_FIRST).map((u) => short(u, 80)).join(', ') +
      (uniq.length > SHOW_FIRST ? ', …' : ''));
  }
  for (const e of pageErrors.slice(0, SHOW_FIRST)) reasons.push(`page error: ${short(e, 120)}`);
  if (consoleErrors.length) {
    reasons.push(`${consoleErrors.length} console error(s): ` +
      consoleErrors.slice(0, SHOW_FIRST).map((t) => `"${short(t, 120)}"`).join(', '));
  }
  return result;
}

// Checks one page; writes its screenshots into `out` (if given). Returns { ok, line, reasons }.
async function checkPage(browser, file, out) {
  const url = pathToFileURL(resolve(file)).href;
  const started = Date.now();
  const reasons = [];
  const js = await visit(browser, url, { javaScriptEnabled: true, screenshots: true });
  reasons.push(...js.reasons);
  const noJs = await visit(browser, url, { javaScriptEnabled: false, screenshots: false });
  reasons.push(...noJs.reasons.map((r) => `without JavaScript: ${r}`));
  const notes = [`${js.mathCount} math`];
  if (js.mathFonts?.length) {
    notes.push(`math in ${js.mathFonts.map(([f, n]) => `${f} ${n}`).join(', ')}` +
      (/math/i.test(js.mathFonts[0][0]) ? '' : ' (warning: mostly not a math font)'));
  }
  if (js.fullStats) notes.push(`${js.fullStats.width}×${js.fullStats.height}`);
  if (out && js.full) {
    const name = basename(file).replace(/\.x?html?$/i, '');
    mkdirSync(out, { recursive: true });
    const fullPath = join(out, `${name}.png`), topPath = join(out, `${name}-top.png`);
    writeFileSync(fullPath, js.full);
    writeFileSync(topPath, js.top);
    const kb = Math.round(js.top.length / 1024);
    notes.push(`${fullPath}, ${topPath} ${kb} KB` +
      (js.top.length > TOP_MAX_BYTES ? ` (warning: over ${TOP_MAX_BYTES / 1024} KB)` : ''));
  }
  notes.push(`${((Date.now() - started) / 1000).toFixed(1)} s`);
  const ok = reasons.length === 0;
  const line = ok ? `OK     ${file}  (${notes.join(', ')})` : `FAILED ${file}: ${reasons.join('; ')}`;
  return { ok, line, reasons };
}

async function checkFiles(files, out) {
  const names = new Map();
  for (const f of files) {
    const n = basename(f);
    if (names.has(n)) {
      console.error(`check.mjs: ${f} and ${names.get(n)} would share a screenshot name`);
      return 2;
    }
    names.set(n, f);
  }
  const browser = await launch();
  let failed = 0;
  try {
    for (const f of files) {
      const { ok, line } = await checkPage(browser, f, out);
      console.log(line);
      if (!ok) failed++;
    }
  } finally {
    await browser.close();
  }
  if (failed) console.log(`${failed} of ${files.length} page(s) FAILED`);
  return failed ? 1 : 0;
}

// ---- self-test ----

const page = (body, head = '') => `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>fixture</title>
<style>body{font-family:'DejaVu Serif',serif;margin:2em} td{width:2.5em;height:2.5em;text-align:center}
math{font-family:'TeX Gyre Termes Math',math;font-size:1.3em}</style>${head}</head>
<body>${body}</body></html>`;

const GOOD_BODY = `<h1>Backpropagation through a 2×2 max-pooling layer</h1>
<p>The loss <math><mi>L</mi></math> and its gradient with respect to the input
<math><msub><mi>x</mi><mrow><mi>i</mi><mo>,</mo><mi>j</mi></mrow></msub></math>:</p>
<math display="block"><mfrac><mrow><mo>∂</mo><mi>L</mi></mrow><mrow><mo>∂</mo><msub><mi>x</mi><mn>11</mn></msub></mrow></mfrac>
<mo>=</mo><munderover><mo>∑</mo><mrow><mi>n</mi><mo>=</mo><mn>1</mn></mrow><mi>N</mi></munderover>
<msub><mi>δ</mi><mi>n</mi></msub><mo>⋅</mo><msub><mi>w</mi><mi>n</mi></msub></math>
<math display="block"><mi>W</mi><mo>=</mo><mrow><mo>[</mo><mtable>
<mtr><mtd><mn>1</mn></mtd><mtd><mo>−</mo><mn>2</mn></mtd></mtr>
<mtr><mtd><mfrac><mn>1</mn><mn>3</mn></mfrac></mtd><mtd><mn>4</mn></mtd></mtr></mtable><mo>]</mo></mrow></math>
<table><tr><td style="background:#fdd">1</td><td style="background:#dfd">−2</td></tr>
<tr><td style="background:#ddf">1/3</td><td style="background:#ffd">4</td></tr></table>
<svg width="400" height="160" viewBox="0 0 400 160"><polyline fill="none" stroke="#c33" stroke-width="3"
points="10,20 90,70 170,100 250,120 330,130 390,134"/><line x1="10" y1="150" x2="390" y2="150" stroke="#333"/></svg>
<p id="s">Step 1 of 10</p>
<script>document.getElementById('s').dataset.ready = 'yes';</script>`;

// [name, html, expected: null for OK, or a substring one of the page's reasons must contain]
const FIXTURES = [
  ['good', page(GOOD_BODY), null],
  ['blank', page(''), 'blank full-page screenshot'],
  ['white-on-white', page(`<div style="color:#fff">${'Invisible text. '.repeat(400)}</div>`),
    'blank full-page screenshot'],
  ['console-error', page(GOOD_BODY + '<script>console.error("boom")</script>'),
    'console error(s): "boom"'],
  ['page-error', page(GOOD_BODY + '<script>notAFunction()</script>'), 'page error:'],
  ['hidden-math', page(GOOD_BODY + '<div style="display:none"><math><mi>h</mi></math></div>'),
    '1 of 5 <math> with zero size or not shown: "h [0×0, hidden]"'],
  ['empty-math', page(GOOD_BODY + '<p><math></math></p>'), '1 of 5 <math> with zero size or not shown: "(empty) [0×0]"'],
  ['collapsed-math', page(GOOD_BODY + '<details><summary>more</summary><math><mi>c</mi></math></details>'),
    '<math> with zero size or not shown: "c'],
  ['math-shown-by-script-only', page(GOOD_BODY, '<noscript><style>math{display:none}</style></noscript>'),
    'without JavaScript: 4 of 4 <math> with zero size'],
  ['external-image', page(GOOD_BODY + '<img src="https://example.com/x.png" alt="">'),
    'request(s) outside the page, blocked: https://example.com/x.png'],
  ['external-script', page(GOOD_BODY + '<script src="http://example.com/x.js"></script>'),
    'request(s) outside the page, blocked: http://example.com/x.js'],
  ['external-font', page(GOOD_BODY,
    '<style>@font-face{font-family:F;src:url(https://example.com/f.woff2)} h1{font-family:F}</style>'),
    'request(s) outside the page, blocked: https://example.com/f.woff2'],
  ['sibling-file', page(GOOD_BODY + '<img src="good.html" alt="">'),
    'request(s) outside the page, blocked: file://'],
  ['script-fetch', page(GOOD_BODY + '<script>fetch("http://example.com/api").catch(()=>{})</script>'),
    'request(s) outside the page, blocked: http://example.com/api'],
  ['data-url-image', page(GOOD_BODY + '<img alt="dot" src="data:image/png;base64,' +
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==">'),
    null],
];

async function selfTest() {
  const dir = mkdtempSync(join(tmpdir(), 'cnn-bp-browser-'));
  const out = join(dir, 'screenshots');
  const browser = await launch();
  let failures = 0;
  try {
    for (const [name, html, expected] of FIXTURES) {
      const file = join(dir, `${name}.html`);
      writeFileSync(file, html);
      const { ok, line, reasons } = await checkPage(browser, file, out);
      let good;
      if (expected === null) good = ok;
      else good = !ok && reasons.some((r) => r.includes(expected));
      // A page that fails only without JavaScript must pass with it.
      if (expected?.startsWith('without JavaScript:')) {
        good &&= reasons.every((r) => r.startsWith('without JavaScript:'));
      }
      if (!good) {
        failures++;
        console.log(`self-test ${name}: expected ${expected === null ? 'OK' : `a failure with "${expected}"`}, got:\n  ${line}`);
      }
    }
    // The good page's screenshots are where they should be, and the top one is the clip's size.
    const top = PNG.sync.read(readFileSync(join(out, 'good-top.png')));
    if (top.width !== TOP_CLIP.width || top.height !== TOP_CLIP.height) {
      failures++;
      console.log(`self-test: good-top.png is ${top.width}×${top.height}, not ${TOP_CLIP.width}×${TOP_CLIP.height}`);
    }
    if (!isBlank(inkStats(readFileSync(join(out, 'blank.png'))))) {
      failures++;
      console.log('self-test: the blank page\'s screenshot is not blank');
    }
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (failures) {
    console.log(`check.mjs self-test: ${failures} of ${FIXTURES.length} fixture(s) wrong`);
    return 1;
  }
  console.log(`check.mjs self-test: all ${FIXTURES.length} fixtures as expected`);
  return 0;
}

// ---- command line ----

const USAGE = 'usage: node scripts/browser/check.mjs [--out DIR] PAGE.html...\n' +
  '       node scripts/browser/check.mjs --self-test';

async function main(argv) {
  if (argv.length === 1 && argv[0] === '--self-test') return selfTest();
  let out = null;
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && i + 1 < argv.length) out = argv[++i];
    else if (argv[i].startsWith('-')) return usage(`unknown option ${argv[i]}`);
    else files.push(argv[i]);
  }
  if (!files.length) return usage('no pages given');
  // An unmatched shell glob arrives as itself: say so rather than open it.
  const missing = files.filter((f) => { try { return !statSync(f).isFile(); } catch { return true; } });
  if (missing.length) return usage(`no such page: ${missing.join(', ')}`);
  return checkFiles(files, out);
}

function usage(msg) {
  console.error(`check.mjs: ${msg}\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => { console.error(`check.mjs: ${e.stack ?? e}`); process.exit(2); },
);

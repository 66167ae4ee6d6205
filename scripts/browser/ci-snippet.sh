# Lines for .ci/run (issue 14), after the KaTeX checks: every HTML page, opened in a real
# headless Chromium, from Debian's packages (installed here when missing) and driven by
# playwright-core (pinned in scripts/browser/package-lock.json; it never downloads a browser).
# A page fails on any request outside itself, any console error or uncaught exception, any
# <math> with zero size or hidden (with and without JavaScript), and a blank screenshot; the
# screenshots land in target/screenshots (the README's picture is seed_question-top.png).
scripts/browser/install-chromium.sh
npm ci --prefix scripts/browser --no-audit --no-fund --loglevel=error
node scripts/browser/check.mjs --self-test
rm -rf target/pages target/screenshots
cargo run --quiet --example html_pages -- target/pages
node scripts/browser/check.mjs --out target/screenshots target/pages/*.html

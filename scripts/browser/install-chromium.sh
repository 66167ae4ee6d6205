#!/usr/bin/env bash
# Installs headless Chromium and the fonts the HTML pages' math is checked with, from Debian's
# packages, when they are missing. Idempotent and quiet: prints nothing when everything is
# already installed, one line when it installs; exits non-zero with a message if it cannot.
#
#   scripts/browser/install-chromium.sh
#
# Chromium is $CHROMIUM if set (then it must be an executable, and is not installed), else
# /usr/bin/chromium, Debian's package, installed when missing. The fonts are installed with it:
#   fonts-dejavu-core   the default sans/serif/mono faces, wide coverage of ∂ Σ η ∇ ⊙ × …, and
#                       DejaVu Math TeX Gyre, an OpenType MATH font
#   fonts-texgyre-math  more OpenType MATH fonts (TeX Gyre Termes/Pagella/… Math), in TeX's look
# MathML Core lays out fractions, scripts and stretchy operators from the MATH table of the
# math's first font; Chromium's bare `math` family resolves to DejaVu Sans here, which has none,
# so a page names a math font itself (scripts/browser/README.md).
set -euo pipefail

missing=()
if [[ -n ${CHROMIUM:-} ]]; then
    # An explicitly chosen Chromium (check.mjs uses it too): only the fonts are installed.
    if ! [[ -x $CHROMIUM ]]; then
        echo "install-chromium.sh: CHROMIUM=$CHROMIUM is not an executable; unset it to use" \
            "Debian's /usr/bin/chromium" >&2
        exit 1
    fi
elif ! [[ -x /usr/bin/chromium ]]; then
    missing+=(chromium)
fi
for p in fonts-dejavu-core fonts-texgyre-math; do
    if ! dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if ! command -v apt-get > /dev/null; then
    echo "install-chromium.sh: missing ${missing[*]} and no apt-get to install them;" \
        "install Chromium and set CHROMIUM=/path/to/chromium" >&2
    exit 1
fi
sudo=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo > /dev/null; then sudo=(sudo -n); else
        echo "install-chromium.sh: missing ${missing[*]}; not root and no sudo" >&2
        exit 1
    fi
fi

echo "install-chromium.sh: installing ${missing[*]} from Debian's packages" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo[@]}" apt-get update -qq > "$log" 2>&1 \
    || ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >> "$log" 2>&1; then
    cat "$log" >&2
    echo "install-chromium.sh: apt-get could not install ${missing[*]}" >&2
    exit 1
fi
if [[ -z ${CHROMIUM:-} ]] && ! [[ -x /usr/bin/chromium ]]; then
    echo "install-chromium.sh: apt-get installed chromium, but /usr/bin/chromium is not there" >&2
    exit 1
fi

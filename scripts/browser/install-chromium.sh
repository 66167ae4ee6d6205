#!/usr/bin/env bash
# Installs headless Chromium and the fonts the HTML pages' math is checked with, from Debian's
# packages, when they are missing. Idempotent and quiet: prints nothing when everything is
# already installed, one line when it installs; exits non-zero with a message if it cannot.
#
#   scripts/browser/install-chromium.sh
#
# Chromium is taken from $CHROMIUM if that names an executable, else from /usr/bin/chromium
# (Debian's package). The fonts are installed with it:
#   fonts-dejavu-core   the default sans/serif/mono faces, wide coverage of ∂ Σ η ∇ ⊙ × …
#   fonts-texgyre-math  OpenType MATH fonts (TeX Gyre Termes/Pagella/… Math): MathML Core lays
#                       out fractions, scripts and stretchy operators from a font's MATH table
set -euo pipefail

chromium=${CHROMIUM:-/usr/bin/chromium}
packages=(chromium fonts-dejavu-core fonts-texgyre-math)

missing=()
if [[ -n ${CHROMIUM:-} && -x $CHROMIUM ]]; then
    : # an explicitly chosen Chromium: only the fonts are checked
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
if ! [[ -x $chromium ]]; then
    echo "install-chromium.sh: installed, but $chromium is not an executable" >&2
    exit 1
fi

#!/usr/bin/env bash
# MathJax 3 for the book, served from the site itself (no CDN): fetched from the npm registry at build time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dest=book/_static/mathjax
[ -f "$dest/tex-chtml.js" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent mathjax@3 >/dev/null && tar xzf mathjax-*.tgz)
mkdir -p "$(dirname "$dest")"
rm -rf "$dest.partial" && cp -r "$tmp/package/es5" "$dest.partial" && mv "$dest.partial" "$dest"
echo "== MathJax $(node -p "require('$tmp/package/package.json').version" 2>/dev/null || echo 3) in $dest"

#!/usr/bin/env bash
# Vega, Vega-Lite and vega-embed for the book's interactive figures, served from the site itself (no CDN):
# fetched from the npm registry at build time, like MathJax (tools/fetch_mathjax.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dest=book/_static/vega
[ -f "$dest/vega-embed.min.js" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$dest.partial"
for pkg in vega@5.33.1:vega vega-lite@5.23.0:vega-lite vega-embed@6.29.0:vega-embed; do
  spec=${pkg%%:*}; name=${pkg##*:}
  (cd "$tmp" && mkdir "$name" && cd "$name" && npm pack --silent "$spec" >/dev/null && tar xzf ./*.tgz)
  cp "$tmp/$name/package/build/$name.min.js" "$dest.partial/"
  cp "$tmp/$name/package/LICENSE" "$dest.partial/$name.LICENSE" 2>/dev/null || true
done
rm -rf "$dest" && mv "$dest.partial" "$dest"
echo "== vega 5.33.1, vega-lite 5.23.0, vega-embed 6.29.0 in $dest"

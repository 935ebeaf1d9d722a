#!/usr/bin/env bash
# Build the book: export the package from the notebooks, then render the site from the notebooks'
# stored outputs with jupyter-book 1 (no re-execution). Prints where the HTML is.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
start=$(date +%s)
. tools/setup_env.sh
bash tools/fetch_mathjax.sh
bash tools/fetch_vega.sh
nbdev_export
python tools/make_readme.py
t0=$(date +%s)
jupyter-book build . --config book/_config.yml --toc book/_toc.yml ${JB_ARGS:-}
t1=$(date +%s)
python tools/record_timings.py book jupyter_book=$((t1 - t0)) total=$((t1 - start))
echo "The book is in $(pwd)/_build/html/index.html"

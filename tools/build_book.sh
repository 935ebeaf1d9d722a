#!/usr/bin/env bash
# Build the book: export the package from the notebooks, then render the site from the notebooks'
# stored outputs with jupyter-book 1 (no re-execution). Prints where the HTML is.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. tools/setup_env.sh
bash tools/fetch_mathjax.sh
nbdev_export
python tools/make_readme.py
jupyter-book build . --config book/_config.yml --toc book/_toc.yml ${JB_ARGS:-}
echo "The book is in $(pwd)/_build/html/index.html"

#!/usr/bin/env bash
# Run every test: the notebooks (nbdev_test), the notebooks-are-the-source check (nbdev_export and
# nbdev_clean must change nothing), and pytest for what notebooks cannot show (tables of contents,
# the wheel in a fresh venv, the built site in headless Chromium).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
start=$(date +%s)
. tools/setup_env.sh
mkdir -p _build
# The site tests use a system Chromium (Debian's /usr/bin/chromium) when there is one, else the browser that
# `python -m playwright install chromium` puts in Playwright's cache (the CI workflow does that): no apt-get here.
export TRANSFORMER_NBDEV_DATA_MIRROR=${TRANSFORMER_NBDEV_DATA_MIRROR:-$(cd .. && pwd)/shared/data}
[ -d "$TRANSFORMER_NBDEV_DATA_MIRROR" ] || unset TRANSFORMER_NBDEV_DATA_MIRROR

echo "== nbdev_export and nbdev_clean must leave the tree unchanged"
snapshot() { git ls-files -z -m -o --exclude-standard | xargs -0 -r sha256sum 2>/dev/null; git status --porcelain; }
before=$(snapshot)
nbdev_export
nbdev_clean
python tools/make_readme.py
python tools/make_quarto.py  # _quarto.yml is generated from book/_toc.yml
after=$(snapshot)
if [ "$before" != "$after" ]; then
  echo "FAIL: nbdev_export / nbdev_clean / README generation changed files:"
  diff <(echo "$before") <(echo "$after") || true
  exit 1
fi

echo "== nbdev_test (every notebook)"
t0=$(date +%s)
OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} nbdev_test --n_workers ${N_WORKERS:-2} --timing 2>&1 | tee _build/nbdev_test.log
t1=$(date +%s)

echo "== pytest (tables of contents, wheel, site in headless Chromium)"
bash tools/fetch_mathjax.sh
python -m pytest -q tests
t2=$(date +%s)
# Wall times for the performance appendix (nbs/appendix): what a contributor waits for.
python tools/record_timings.py test nbdev_test=$((t1 - t0)) pytest=$((t2 - t1)) total=$((t2 - start))

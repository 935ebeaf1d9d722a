import subprocess, sys, os
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent

@pytest.fixture(scope="session")
def root() -> Path: return ROOT

@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """Build the book with jupyter-book 1 exactly as `make book` does (stored outputs, no execution).
    TNB_BUILT_SITE=path/to/html checks an existing build instead (to iterate on the site tests)."""
    if os.environ.get("TNB_BUILT_SITE"): return Path(os.environ["TNB_BUILT_SITE"])
    subprocess.run(["bash", "tools/fetch_mathjax.sh"], cwd=ROOT, check=True)
    subprocess.run(["bash", "tools/fetch_vega.sh"], cwd=ROOT, check=True)
    out = ROOT/"_build"
    r = subprocess.run(["jupyter-book", "build", ".", "--config", "book/_config.yml", "--toc", "book/_toc.yml"],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    return out/"html"


def pytest_terminal_summary(terminalreporter):
    "Print how many examples the property tests (tests/test_properties.py) generated."
    mods = [m for name, m in sys.modules.items() if name.endswith("test_properties")]
    examples = getattr(mods[0], "EXAMPLES", None) if mods else None
    if examples:
        terminalreporter.write_line(
            f"hypothesis: {sum(examples.values())} generated examples "
            f"({dict(sorted(examples.items()))})"
        )

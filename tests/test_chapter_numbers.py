"""Chapter numbers in the prose come from book/_toc.yml: every "chapter N" link, every bare number in
"chapters [1](...) and [5](...)" and every numbered entry of the cover's contents names the chapter
number its target has in the TOC, and no link names a notebook by its name before the split of chapter 6.
Fast: reads the notebooks, builds nothing. To repair: `python tools/check_links.py --fix`."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from check_links import RENAMED, chapter_numbers, check, fix, top_chapters


def test_prose_chapter_numbers_follow_the_toc():
    changes = fix(write=False)
    assert not changes, "run `python tools/check_links.py --fix`:\n" + "\n".join(changes[:40])


def test_numbers_of_the_split():
    numbers = chapter_numbers()
    assert numbers["nbs/foundations/06b_sampling"] == 6
    assert numbers["nbs/foundations/07_training_a_translator"] == 7
    assert numbers["nbs/foundations/07j_translation"] == 7
    assert numbers["nbs/foundations/08_gpt"] == numbers["nbs/foundations/08e_moe"] == 8
    assert numbers["nbs/fine_tuning/00_overview"] == 9
    assert "nbs/foundations/07_training_a_translator" in top_chapters()
    assert all(not (Path("nbs") / f"{old}.ipynb").exists() for old in RENAMED)


def _notebook(path: Path, *markdown: str):
    cells = [{"cell_type": "markdown", "id": f"c{i}", "metadata": {}, "source": s}
             for i, s in enumerate(markdown)]
    cells.append({"cell_type": "code", "execution_count": None, "id": "code", "metadata": {},
                  "outputs": [], "source": "# [chapter 6](06h_training.ipynb) stays code"})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}, indent=1) + "\n")


def test_fix_renumbers_from_any_toc(tmp_path):
    "A branch written before the split (old names, old numbers), renumbered from a TOC with one more chapter."
    toc = tmp_path / "_toc.yml"
    toc.write_text(
        "root: nbs/index\nparts:\n"
        "  - caption: P1\n    chapters:\n      - file: nbs/foundations/06_transformer\n"
        "      - file: nbs/foundations/07_training_a_translator\n        sections:\n"
        "          - file: nbs/foundations/07g_training\n"
        "      - file: nbs/foundations/08_gpt\n"
        "  - caption: P2\n    chapters:\n      - file: nbs/fine_tuning/02_lora\n"
        "  - caption: Appendix\n    chapters:\n      - file: nbs/appendix/01_performance\n"
    )
    nbs = tmp_path / "nbs"
    for page in ["foundations/06_transformer", "foundations/07_training_a_translator",
                 "foundations/07g_training", "foundations/08_gpt", "fine_tuning/02_lora",
                 "appendix/01_performance"]:
        _notebook(nbs / f"{page}.ipynb", "# Title\n\n> blurb, chapter 6\n")
    _notebook(
        nbs / "fine_tuning/09_new.ipynb",
        "# New\n\n> builds on chapter 10\n",
        "Uses [chapter 6's `Trainer`](../foundations/06h_training.ipynb#the-trainer) and "
        "[chapter 7](../foundations/07_gpt.ipynb); chapters [6](../foundations/06_transformer.ipynb) "
        "and [7](../foundations/07_gpt.ipynb); [Chapter 10](02_lora.ipynb); `[chapter 6](x.ipynb)`.\n",
        "1. [GPT](../foundations/07_gpt.ipynb): text\n2. [LoRA](02_lora.ipynb)\n"
        "3. [Performance](../appendix/01_performance.ipynb)\n",
    )
    changes = fix(nbs, write=True, toc=toc)
    cells = json.loads((nbs / "fine_tuning/09_new.ipynb").read_text())["cells"]
    text = ["".join(c["source"]) for c in cells]
    assert text[0] == "# New\n\n> builds on chapter 10\n"  # the blurb is left alone
    assert text[1] == (
        "Uses [chapter 2's `Trainer`](../foundations/07g_training.ipynb#the-trainer) and "
        "[chapter 3](../foundations/08_gpt.ipynb); chapters [1](../foundations/06_transformer.ipynb) "
        "and [3](../foundations/08_gpt.ipynb); [Chapter 4](02_lora.ipynb); `[chapter 6](x.ipynb)`.\n"
    )
    assert text[2] == (
        "3. [GPT](../foundations/08_gpt.ipynb): text\n4. [LoRA](02_lora.ipynb)\n"
        "3. [Performance](../appendix/01_performance.ipynb)\n"
    )
    assert text[3] == "# [chapter 6](06h_training.ipynb) stays code"
    assert len(changes) == 3 and fix(nbs, write=False, toc=toc) == []  # idempotent


def test_check_names_a_wrong_number():
    "The check of tests/test_xrefs.py reports a link whose number disagrees with the TOC."
    import tempfile

    with tempfile.TemporaryDirectory(dir=Path(__file__).resolve().parent.parent) as d:
        _notebook(Path(d) / "x.ipynb", "See [chapter 6](../nbs/foundations/08_gpt.ipynb).\n")
        problems = check(Path(d))
    assert len(problems) == 1 and "is in chapter 8" in problems[0], problems

"""Every cross-reference in the notebooks' prose is a link that resolves, with the right chapter number."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from check_links import chapter_numbers, check


def test_chapter_numbers_follow_the_toc():
    numbers = chapter_numbers()
    assert numbers["nbs/foundations/06b_sampling"] == 6
    assert numbers["nbs/foundations/07g_training"] == 7
    assert numbers["nbs/fine_tuning/00_overview"] == 9
    assert numbers["nbs/fine_tuning/06_qlora"] == 15
    assert "nbs/appendix/01_performance" not in numbers


def test_cross_references_resolve():
    problems = check()
    assert not problems, "\n".join(problems)

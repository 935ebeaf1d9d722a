"""The book's two tables of contents (jupyter-book's book/_toc.yml, Quarto's _quarto.yml) agree with each other
and with the notebooks on disk."""
import importlib.util
import yaml
from pathlib import Path

def _jb_toc(root):
    toc = yaml.safe_load((root/"book/_toc.yml").read_text())
    def flat(entries):  # a chapter, then its sections, in reading order
        return [f for e in entries for f in [e["file"]] + flat(e.get("sections", []))]
    parts = [(p["caption"], flat(p["chapters"])) for p in toc["parts"]]
    return toc["root"], parts

def _quarto_toc(root):
    q = yaml.safe_load((root/"_quarto.yml").read_text())
    chapters = q["book"]["chapters"]
    first, parts = None, []
    for c in chapters:
        if isinstance(c, str): first = c
        else: parts.append((c["part"], list(c["chapters"])))
    return first, parts

def _notebooks_on_disk(root):
    return sorted(str(p.relative_to(root)) for p in (root/"nbs").rglob("*.ipynb")
                  if not any(s.startswith((".", "_")) for s in p.relative_to(root/"nbs").parts))

def test_tocs_agree(root):
    jb_root, jb_parts = _jb_toc(root)
    q_first, q_parts = _quarto_toc(root)
    assert q_first == jb_root + ".ipynb"
    assert [c for c, _ in q_parts] == [c for c, _ in jb_parts], "part captions differ"
    for (cap, jb), (_, q) in zip(jb_parts, q_parts):
        assert [f + ".ipynb" for f in jb] == q, f"chapters of {cap!r} differ between book/_toc.yml and _quarto.yml"

def test_toc_lists_every_notebook_once(root):
    jb_root, jb_parts = _jb_toc(root)
    listed = [jb_root + ".ipynb"] + [f + ".ipynb" for _, fs in jb_parts for f in fs]
    assert len(listed) == len(set(listed)), "a notebook is listed twice"
    assert sorted(listed) == _notebooks_on_disk(root), "book/_toc.yml and nbs/ disagree"

def test_chapters_in_reading_order(root):
    "Within a part, chapters are numbered in reading order (file names sort as the TOC lists them)."
    _, jb_parts = _jb_toc(root)
    for cap, files in jb_parts:
        names = [Path(f).name for f in files]
        assert names == sorted(names), f"{cap}: {names}"


def _make_quarto(root):
    spec = importlib.util.spec_from_file_location("make_quarto", root/"tools/make_quarto.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod

def test_quarto_is_generated_from_jb_toc(root):
    "_quarto.yml is exactly what tools/make_quarto.py writes from book/_toc.yml (never edited by hand)."
    assert (root/"_quarto.yml").read_text() == _make_quarto(root).quarto_yml((root/"book/_toc.yml").read_text()), \
        "_quarto.yml is stale or hand-edited: run python tools/make_quarto.py"

def test_make_quarto_follows_any_toc(root):
    "The generator reads any jupyter-book toc: renumbered files, nested sections, parts or plain chapters."
    make = _make_quarto(root).quarto_yml
    toc = ("root: nbs/index\nparts:\n  - caption: \"Part I: A\"\n    chapters:\n      - file: nbs/x/07_b\n"
           "        sections:\n          - file: nbs/x/07b_c\n            sections:\n              - file: nbs/x/07c_d\n"
           "  - caption: Appendix\n    chapters:\n      - file: nbs/y/01_e\n")
    q = yaml.safe_load(make(toc))["book"]["chapters"]
    assert q == ["nbs/index.ipynb", {"part": "Part I: A", "chapters": ["nbs/x/07_b.ipynb", "nbs/x/07b_c.ipynb",
                 "nbs/x/07c_d.ipynb"]}, {"part": "Appendix", "chapters": ["nbs/y/01_e.ipynb"]}]
    plain = yaml.safe_load(make("root: nbs/index\nchapters:\n  - file: nbs/a\n  - file: nbs/b\n"))
    assert plain["book"]["chapters"] == ["nbs/index.ipynb", "nbs/a.ipynb", "nbs/b.ipynb"]

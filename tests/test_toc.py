"""The book's two tables of contents (jupyter-book's book/_toc.yml, Quarto's _quarto.yml) agree with each other
and with the notebooks on disk."""
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

def test_quarto_toc_is_generated_from_jupyter_book_toc(root):
    "_quarto.yml is written by tools/make_quarto.py from book/_toc.yml: one table of contents kept by hand."
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_quarto", root/"tools/make_quarto.py")
    mq = importlib.util.module_from_spec(spec); spec.loader.exec_module(mq)
    toc = yaml.safe_load((root/"book/_toc.yml").read_text())
    assert (root/"_quarto.yml").read_text() == mq.render(toc), "run python tools/make_quarto.py"
    # the generator follows any _toc.yml: a part added there appears in its output
    toc["parts"].append({"caption": "Extra", "chapters": [{"file": "nbs/x", "sections": [{"file": "nbs/y"}]}]})
    q = yaml.safe_load(mq.render(toc))["book"]["chapters"]
    assert q[-1] == {"part": "Extra", "chapters": ["nbs/x.ipynb", "nbs/y.ipynb"]}

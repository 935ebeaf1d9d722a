"""Check the book's cross-references in the notebooks' markdown cells, and renumber them from the TOC.

    python tools/check_links.py [nbs]          # check: list every problem, exit status 1 if any
    python tools/check_links.py --fix [nbs]    # renumber (and re-target renamed notebooks), then check
    python tools/check_links.py --fix --dry-run   # print what --fix would change, write nothing

Chapter numbers are never typed by hand: they come from book/_toc.yml (`chapter_numbers`: parts in
order, every top-level chapter of a numbered part counts one, its sections share its number; the
appendix is unnumbered). After the TOC changes (a chapter added, split or moved) or after merging a
branch written under the old numbering, run `--fix`; it rewrites, in every notebook's markdown:
- link targets that name a notebook renamed by a split (`RENAMED`, e.g. `06h_training.ipynb` ->
  `07g_training.ipynb`), keeping the anchor;
- N in every link whose text starts with "chapter N" / "Chapter N" (also "chapter N's `name`"), and
  a bare number linked in "chapters [1](a.ipynb) and [5](b.ipynb)", to the target's chapter number;
- the number of an ordered-list item that starts with a link to a chapter ("8. [LoRA](...)", the
  cover's contents).
Then run `nbdev_clean`, `python tools/make_readme.py` (README.md is the cover) and this check again.
Unlinked mentions are not guessed: turn them into links with tools/link_chapters.py.
tests/test_chapter_numbers.py fails while --fix would change anything; tests/test_xrefs.py runs the check.

The check fails (exit status 1) when
- a relative link `[text](target.ipynb#anchor)` names a notebook that does not exist, or a heading
  that the target notebook does not have;
- a link whose text starts with "chapter N" points at a page that is not chapter N or one of its
  sections (numbers from book/_toc.yml, as above);
- prose names a chapter ("chapter 6", "chapters 1 and 5") outside a link, or a section by a label
  no page shows ("section 6e", "[7b](...)").
Inline code, math and fenced code are not prose. Allowed without a link: a chapter of another book
("chapter 7 of *Build a Large Language Model*"), sections of papers ("section 3.1"), and the blurb
under a page's title (it becomes the module docstring, where a relative link would not resolve).
"""

import json
import os
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TOC = ROOT / "book" / "_toc.yml"

# Notebooks renamed when chapter 6 was split in two (issue 15, item 5), paths under nbs/ without
# ".ipynb": a link to an old name (from a branch written before the split) is re-targeted by --fix.
RENAMED = {
    "foundations/06c_checkpoint": "foundations/07b_checkpoint",
    "foundations/06d_cli": "foundations/07i_cli",
    "foundations/06e_data": "foundations/07d_data",
    "foundations/06f_tokenizer": "foundations/07e_tokenizer",
    "foundations/06g_batching": "foundations/07f_batching",
    "foundations/06h_training": "foundations/07g_training",
    "foundations/06i_bleu": "foundations/07h_bleu",
    "foundations/06j_translation": "foundations/07j_translation",
    "foundations/07_gpt": "foundations/08_gpt",
    "foundations/07a_hugging_face": "foundations/08a_hugging_face",
    "foundations/07b_addition": "foundations/08b_addition",
    "foundations/07c_grokking": "foundations/08c_grokking",
    "foundations/07d_induction": "foundations/08d_induction",
    "foundations/07e_moe": "foundations/08e_moe",
}


def chapter_numbers(toc: Path = TOC) -> dict[str, int]:
    "Notebook path (from the repository root, no suffix) -> chapter number, from book/_toc.yml."
    numbers, n = {}, 0
    for part in yaml.safe_load(toc.read_text())["parts"]:
        if part["caption"].lower().startswith("appendix"):
            continue
        for chapter in part["chapters"]:
            n += 1
            todo = [chapter]
            while todo:
                entry = todo.pop()
                numbers[entry["file"]] = n
                todo += entry.get("sections", [])
    return numbers


PROTECTED = re.compile(
    r"\$\$.*?\$\$|(?<![\\$])\$[^$\n]+(?:\n[^$\n]+)?\$|`[^`\n]*`|<[^>\n]+>",
    re.DOTALL,
)
LINK = re.compile(r"\[((?:[^\[\]]|\[[^\]]*\])*)\]\(([^)\s]+)\)")
CHAPTER = re.compile(r"\b[Cc]hapters?\s+\d+(?![\d.])")
LABEL = re.compile(r"\b[Ss]ections?\s+\d+[a-j]\b|^\d[b-j]$")


def code_fences(text: str) -> list[tuple[int, int]]:
    "Spans of fenced code blocks; a MyST directive fence (```{admonition}, :::{note}) holds prose."
    spans, stack, pos = [], [], 0
    for line in text.splitlines(keepends=True):
        m = re.match(r" {0,3}(`{3,}|~{3,}|:{3,})\s*(.*?)\s*$", line)
        if m:
            fence, info = m.groups()
            if (
                stack
                and not info
                and fence[0] == stack[-1][0][0]
                and len(fence) >= len(stack[-1][0])
            ):
                _, start, is_code = stack.pop()
                if is_code:
                    spans.append((start, pos + len(line)))
            elif not (stack and stack[-1][2]):  # inside code, fence-like lines are code
                stack.append((fence, pos, not info.startswith("{") and fence[0] != ":"))
        pos += len(line)
    return spans


def blank(text: str, pattern: re.Pattern) -> str:
    "`text` with the matches of `pattern` replaced by spaces (same length, so offsets stay valid)."
    return pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def slug(heading: str) -> str:
    "The anchor MyST gives a heading: lower case, punctuation dropped, spaces to '-'."
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def headings(nb_path: Path) -> set[str]:
    cells = json.loads(nb_path.read_text())["cells"]
    out = set()
    for c in cells:
        if c["cell_type"] == "markdown":
            src = "".join(c["source"])
            out |= {slug(h) for h in re.findall(r"^#+\s+(.*)$", src, re.MULTILINE)}
            out |= set(re.findall(r"^\(([\w\-]+)\)=\s*$", src, re.MULTILINE))
    return out


def check(nbs: Path = ROOT / "nbs") -> list[str]:
    numbers = chapter_numbers()
    problems = []
    for nb_path in sorted(nbs.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in nb_path.parts:
            continue
        rel = nb_path.relative_to(ROOT).as_posix()
        cells = json.loads(nb_path.read_text())["cells"]
        for i, c in enumerate(cells):
            if c["cell_type"] != "markdown":
                continue
            src = "".join(c["source"])
            prose = src
            for a, b in code_fences(src):
                prose = prose[:a] + re.sub(r"[^\n]", " ", prose[a:b]) + prose[b:]
            prose = blank(prose, PROTECTED)
            if src.startswith("# "):  # the blurb under the title is the module docstring
                prose = re.sub(r"(?m)^>.*$", lambda m: " " * len(m.group(0)), prose)
            where = f"{rel} cell {i}"
            for m in LINK.finditer(prose):
                text, target = src[m.start(1) : m.end(1)], m.group(2)
                if re.match(r"[a-z]+:", target) or ".ipynb" not in target:
                    continue
                path, _, anchor = target.partition("#")
                dest = (nb_path.parent / path).resolve()
                if not dest.exists():
                    problems.append(f"{where}: [{text}]({target}): no notebook {path}")
                    continue
                if anchor and anchor not in headings(dest):
                    problems.append(f"{where}: [{text}]({target}): {path} has no heading #{anchor}")
                page = dest.relative_to(ROOT).with_suffix("").as_posix()
                named = re.match(r"\s*[Cc]hapter\s+(\d+)", text)
                if named and numbers.get(page) != int(named.group(1)):
                    problems.append(
                        f"{where}: [{text}]({target}) names chapter {named.group(1)}, "
                        f"but {page} is in chapter {numbers.get(page)}"
                    )
                if re.fullmatch(r"\s*\d+[a-j]\s*", text):
                    problems.append(f"{where}: [{text}]({target}): a section label no page shows")
            unlinked = blank(prose, LINK)
            for pattern in (CHAPTER, LABEL):
                for m in pattern.finditer(unlinked):
                    after = unlinked[m.end() : m.end() + 6]
                    if pattern is CHAPTER and after.startswith(" of *"):
                        continue  # a chapter of another book
                    line = src[src.rfind("\n", 0, m.start()) + 1 : src.find("\n", m.end())]
                    problems.append(f"{where}: unlinked {m.group(0)!r}: {line.strip()[:120]}")
    return problems


def top_chapters(toc: Path = TOC) -> set[str]:
    "The numbered chapters' own pages (not their sections), as in `chapter_numbers`."
    parts = yaml.safe_load(toc.read_text())["parts"]
    return {
        c["file"]
        for p in parts
        if not p["caption"].lower().startswith("appendix")
        for c in p["chapters"]
    }


LIST_ITEM = re.compile(r"^( {0,3})(\d+)(\.\s+)(?=\[)", re.MULTILINE)


def _prose_mask(src: str) -> str:
    "`src` with code fences and inline code/math/HTML blanked (links stay), offsets unchanged."
    prose = src
    for a, b in code_fences(src):
        prose = prose[:a] + re.sub(r"[^\n]", " ", prose[a:b]) + prose[b:]
    return blank(prose, PROTECTED)


def _retarget(target: str, nb_path: Path, nbs: Path) -> tuple[str, Path]:
    "The link target with a renamed notebook's new name, and the page it points at."
    path, hash_, anchor = target.partition("#")
    dest = Path(os.path.normpath(nb_path.parent / path))
    if not dest.exists():
        try:
            old = dest.relative_to(nbs).with_suffix("").as_posix()
        except ValueError:
            old = None
        if old in RENAMED:
            dest = nbs / (RENAMED[old] + ".ipynb")
            path = os.path.relpath(dest, nb_path.parent).replace(os.sep, "/")
    return path + hash_ + anchor, dest


def renumber_text(src: str, nb_path: Path, nbs: Path, numbers: dict, top: set) -> str:
    "One markdown cell's text with links re-targeted and chapter numbers taken from the TOC."
    prose = _prose_mask(src)
    if src.startswith("# "):  # the blurb under the title: no links (module docstring)
        prose = re.sub(r"(?m)^>.*$", lambda m: " " * len(m.group(0)), prose)
    out, last = [], 0
    items = {}  # offset of a list item's first link -> its number's span
    for m in LIST_ITEM.finditer(prose):
        items[m.end()] = m.span(2)
    edits = []  # (start, end, replacement), non-overlapping, in order
    for m in LINK.finditer(prose):
        text, target = src[m.start(1) : m.end(1)], m.group(2)
        if re.match(r"[a-z]+:", target) or ".ipynb" not in target.partition("#")[0]:
            continue
        new_target, dest = _retarget(target, nb_path, nbs)
        try:
            page = dest.relative_to(nbs.parent).with_suffix("").as_posix()
        except ValueError:
            page = None
        num = numbers.get(page)
        new_text = text
        if num is not None:
            named = re.match(r"(\s*[Cc]hapters?\s+)(\d+)(?!\d)", text)
            if named:
                new_text = named.group(1) + str(num) + text[named.end() :]
            elif re.fullmatch(r"\d+", text.strip()):  # "chapters [1](a) and [5](b)"
                new_text = text.replace(text.strip(), str(num))
            if m.start() in items and page in top:  # "8. [LoRA](...)": the cover's contents
                a, b = items[m.start()]
                edits.append((a, b, str(num)))
        if new_text != text:
            edits.append((m.start(1), m.end(1), new_text))
        if new_target != target:
            edits.append((m.start(2), m.end(2), new_target))
    for a, b, rep in sorted(edits):
        out.append(src[last:a])
        out.append(rep)
        last = b
    out.append(src[last:])
    return "".join(out)


def fix(nbs: Path = ROOT / "nbs", write: bool = True, toc: Path = TOC) -> list[str]:
    """Renumber every notebook's chapter links from `toc` and re-target links to renamed notebooks
    (see the module docstring). Returns one line per changed cell; writes only when `write`."""
    numbers, top = chapter_numbers(toc), top_chapters(toc)
    nbs = Path(os.path.normpath(nbs.resolve()))
    changes = []
    for nb_path in sorted(nbs.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in nb_path.parts:
            continue
        raw = nb_path.read_text()
        nb = json.loads(raw)
        changed = False
        for i, c in enumerate(nb["cells"]):
            if c["cell_type"] != "markdown":
                continue
            src = "".join(c["source"])
            new = renumber_text(src, nb_path, nbs, numbers, top)
            if new != src:
                old_lines, new_lines = src.splitlines(), new.splitlines()
                diff = [(a, b) for a, b in zip(old_lines, new_lines) if a != b]
                where = nb_path.relative_to(nbs.parent).as_posix()
                changes += [f"{where} cell {i}:\n  - {a.strip()}\n  + {b.strip()}" for a, b in diff]
                c["source"] = new.splitlines(keepends=True)
                changed = True
        if write and changed:
            indent = 2 if raw.startswith('{\n  "') else 1
            text = json.dumps(nb, indent=indent, ensure_ascii=False) + "\n"
            tmp = nb_path.with_name(nb_path.name + ".tmp")
            tmp.write_text(text)
            tmp.replace(nb_path)
    return changes


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    nbs = Path(args[0]).resolve() if args else ROOT / "nbs"
    if "--fix" in sys.argv:
        done = fix(nbs, write="--dry-run" not in sys.argv)
        print("\n".join(done) if done else "chapter numbers and link targets already follow the TOC")
        if "--dry-run" in sys.argv:
            sys.exit(0)
    found = check(nbs)
    print("\n".join(found) if found else "all cross-references resolve")
    sys.exit(1 if found else 0)

"""Check the book's cross-references in the notebooks' markdown cells.

    python tools/check_links.py [nbs]

Fails (exit status 1) when
- a relative link `[text](target.ipynb#anchor)` names a notebook that does not exist, or a heading
  that the target notebook does not have;
- a link whose text starts with "chapter N" points at a page that is not chapter N or one of its
  sections (Part I = chapters 1-7, Part II = chapters 8-14, in the order of book/_toc.yml);
- prose names a chapter ("chapter 6", "chapters 1 and 5") outside a link, or a section by a label
  no page shows ("section 6e", "[7b](...)").
Inline code, math and fenced code are not prose. Allowed without a link: a chapter of another book
("chapter 7 of *Build a Large Language Model*"), sections of papers ("section 3.1"), and the blurb
under a page's title (it becomes the module docstring, where a relative link would not resolve).
"""

import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TOC = ROOT / "book" / "_toc.yml"


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


if __name__ == "__main__":
    found = check(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT / "nbs")
    print("\n".join(found) if found else "all cross-references resolve")
    sys.exit(1 if found else 0)

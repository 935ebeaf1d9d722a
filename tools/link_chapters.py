"""Turn "chapter N" in the notebooks' markdown prose into links to that chapter's notebook.

    python tools/link_chapters.py            # dry run: print every change
    python tools/link_chapters.py --write    # apply (then run nbdev_clean and tools/check_links.py)
    python tools/link_chapters.py --write --admonitions   # exercise/solution cells as well
    python tools/link_chapters.py --old-numbering --write  # prose written before chapter 6 was split

Numbering: the book's, from book/_toc.yml (tools/check_links.py's `chapter_numbers`): a number N
links to the first page of chapter N. "chapter N's `name`" links to the notebook that defines `name`
and takes that notebook's chapter number. With --old-numbering, N is read in the numbering before
the split of chapter 6 (issue 15, item 5: 1-6 unchanged, GPT 7 -> 8, Part II 8-15 -> 9-16), for
unlinked mentions merged in from a branch written before it. Text already in a link, code or math is
left alone, and so is the blurb under a page's title (the module docstring).
Links that already exist are renumbered by `python tools/check_links.py --fix`, not here.
Section labels ("section 6e") are not handled here: name sections by their title.
"""

import glob
import json
import os
import re
import sys
from pathlib import Path

from check_links import chapter_numbers, code_fences, top_chapters  # one reading of TOC and fences

ROOT = 'nbs'  # run from the repository root
NUMBERS = {page[len('nbs/') :]: n for page, n in chapter_numbers().items()}  # foundations/07g_training -> 7
P1 = {NUMBERS[page[len('nbs/') :]]: page[len('nbs/') :] for page in top_chapters()}  # 7 -> its first page
OLD_NUMBERING = '--old-numbering' in sys.argv


def old_to_new(n):  # a chapter number written before chapter 6 was split in two
    return n if n <= 6 else n + 1


def chapter_of(page):  # page like foundations/07g_training -> 7
    return NUMBERS.get(page)


# symbol -> defining page
DEF = {}
for f in sorted(glob.glob(f'{ROOT}/**/*.ipynb', recursive=True)):
    page = os.path.relpath(f, ROOT)[:-6]
    for c in json.loads(Path(f).read_text())['cells']:
        if c['cell_type'] != 'code':
            continue
        s = ''.join(c['source'])
        if '#| export' not in s:
            continue
        for m in re.finditer(
            r'^(?:def|class)\s+(\w+)|^([A-Za-z_]\w*)\s*(?::[^=\n]*)?=', s, re.MULTILINE
        ):
            DEF.setdefault(m.group(1) or m.group(2), page)
PROT = re.compile(
    r'\$\$.*?\$\$|(?<!\\)\$[^$\n]*(?:\n[^$\n]*)?\$'
    r'|\[(?:[^\[\]]|\[[^\]]*\])*\]\([^)]*\)|`[^`\n]*`|<[^>\n]+>',
    re.DOTALL,
)
ONE = re.compile(r'\b([Cc]hapter)\s+(\d+)(?![\d.])(\'s)?(\s+`([^`]+)`)?')
TWO = re.compile(r'\b([Cc]hapters)\s+(\d+)\s+(and|to)\s+(\d+)\b')


def rel(src_page, page):
    return os.path.relpath(page, os.path.dirname(src_page)) + '.ipynb'


def convert(text, src_page, resolve, log):
    prot = [(m.start(), m.end()) for m in PROT.finditer(text)] + code_fences(text)

    def inside(i):
        return any(a <= i < b for a, b in prot)

    out, last, n = [], 0, 0
    events = sorted(
        [(m.start(), m, 'one') for m in ONE.finditer(text)]
        + [(m.start(), m, 'two') for m in TWO.finditer(text)],
        key=lambda e: e[0],
    )
    for start, m, kind in events:
        if start < last or inside(start):
            continue
        ctx = text[max(0, start - 60) : m.end() + 40]
        if kind == 'two':
            a, b = resolve(int(m.group(2)), None, ctx), resolve(int(m.group(4)), None, ctx)
            if a is None or b is None:
                log.append(('SKIP', src_page, ctx))
                continue
            la, lb = rel(src_page, a[1]), rel(src_page, b[1])
            rep = f"{m.group(1)} [{a[0]}]({la}) {m.group(3)} [{b[0]}]({lb})"
        else:
            sym = m.group(5)
            root = re.match(r'\w+', sym).group(0) if sym else None
            r = resolve(int(m.group(2)), root if root in DEF else None, ctx)
            if r is None:
                log.append(('SKIP', src_page, ctx))
                continue
            num, page = r
            if root in DEF:
                rep = f"[{m.group(1)} {num}{m.group(3) or ''}{m.group(4)}]({rel(src_page, page)})"
            else:
                tail = (m.group(3) or '') + (m.group(4) or '')
                rep = f"[{m.group(1)} {num}]({rel(src_page, page)}){tail}"
        log.append(('LINK', src_page, ctx.replace('\n', ' '), rep.replace('\n', ' ')))
        out.append(text[last:start])
        out.append(rep)
        last = m.end()
        n += 1
    out.append(text[last:])
    return ''.join(out), n


def make_resolve(src_page):
    def resolve(n, sym, ctx):
        if 'Build a Large' in ctx and n == 7:
            return None
        if sym:
            page = DEF[sym]
            num = chapter_of(page)
            if num is not None:
                return num, page
        if OLD_NUMBERING:
            n = old_to_new(n)
        if n in P1:
            return n, P1[n]
        return None

    return resolve


def is_adm(src):
    return '{admonition}' in src or 'Solution' in src


if __name__ == '__main__':
    write = '--write' in sys.argv
    incl_adm = '--admonitions' in sys.argv
    total = {}
    for f in sorted(glob.glob(f'{ROOT}/**/*.ipynb', recursive=True)):
        if f.endswith('nbs/index.ipynb'):
            continue
        page = os.path.relpath(f, ROOT)[:-6]
        raw = Path(f).read_text()
        nb = json.loads(raw)
        log = []
        cnt = 0
        for c in nb['cells']:
            if c['cell_type'] != 'markdown':
                continue
            src = ''.join(c['source'])
            if is_adm(src) and not incl_adm:
                continue
            new, n = convert(src, page, make_resolve(page), log)
            if new.startswith('# '):  # blurb lines: number corrected, no link (module docstring)
                new = re.sub(
                    r'(?m)^>.*$',
                    lambda m: re.sub(r'\[([^\]]*)\]\([^)]*\.ipynb\)', r'\1', m.group(0)),
                    new,
                )
            if new != src:
                cnt += n
                c['source'] = new.splitlines(keepends=True)
        for e in log:
            print(*e, sep=' | ')
        total[page] = cnt
        if write and cnt:
            with open(f, 'w') as out:
                out.write(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    print(total, sum(total.values()))

"""Turn "chapter N" in the notebooks' markdown prose into links to that chapter's notebook.

    python tools/link_chapters.py            # dry run: print every change
    python tools/link_chapters.py --write    # apply (then run nbdev_clean and tools/check_links.py)
    python tools/link_chapters.py --write --admonitions   # exercise/solution cells as well

Numbering: Part I = chapters 1-7, Part II = chapters 8-16 (00_overview ... 08_peft_family).
"chapter N's `name`" links to the notebook that defines `name` and takes that notebook's chapter
number (so Part II's old numbering, "chapter 2's `apply_lora`", becomes "chapter 10's"). Other
numbers in Part II prose keep their Part I meaning for 6 and 7 and become N + 8 for 1-5. Text
already in a link, code or math is left alone, and so is the blurb under a page's title (the
module docstring).
Section labels ("section 6e") are not handled here: name sections by their title.
"""

import glob
import json
import os
import re
import sys
from pathlib import Path

from check_links import code_fences  # one reading of MyST fences for both tools

ROOT = 'nbs'  # run from the repository root
P1 = {
    1: 'foundations/01_embeddings',
    2: 'foundations/02_attention',
    3: 'foundations/03_multi_head_attention',
    4: 'foundations/04_feed_forward',
    5: 'foundations/05_encoder_decoder',
    6: 'foundations/06_transformer',
    7: 'foundations/07_gpt',
    8: 'fine_tuning/00_overview',
    9: 'fine_tuning/01_introduction',
    10: 'fine_tuning/02_lora',
    11: 'fine_tuning/03_data_preparation',
    12: 'fine_tuning/04_instruction_tuning',
    13: 'fine_tuning/05_metrics',
    14: 'fine_tuning/06_qlora',
    15: 'fine_tuning/07_in_context',
    16: 'fine_tuning/08_peft_family',
}


def chapter_of(page):  # page like foundations/06h_training -> 6
    for n, p in P1.items():
        if p == page:
            return n
    m = re.match(r'foundations/0(\d)[b-j]_', page)
    return int(m.group(1)) if m else None


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
        if src_page.startswith('fine_tuning/') and not src_page.endswith('00_overview'):
            if n == 3 and 'cache' in ctx:  # the key/value caches of multi-head attention
                return 3, P1[3]
            if n in (6, 7):
                return n, P1[n]
            if 1 <= n <= 6:
                return n + 8, P1[n + 8]
            return None
        if 1 <= n <= 14:
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

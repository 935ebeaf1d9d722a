"""Checks of the built book in a real headless Chromium, page by page, at 1400 px and 390 px.

    python tests/site_checks.py [_build/html]     # prints every problem, grouped by check; exit 1 if any

tests/test_site.py runs the same walk once (one browser, one page per width reused for every chapter) and
turns each check into a test. Every problem names the page and the element so it can be acted on.
"""
import ast, functools, http.server, re, shutil, sys, threading, yaml
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse, unquote

ROOT = Path(__file__).resolve().parent.parent
WIDE, NARROW = 1400, 390
CHECKS = ["raw_markup", "solutions", "overflow", "code_width", "equations", "sidebar", "crossrefs", "source_links"]
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]

def toc_pages(root=ROOT):
    "The book's pages in reading order (root first), as docnames."
    toc = yaml.safe_load((root/"book/_toc.yml").read_text())
    flat = lambda entries: [f for e in entries for f in [e["file"]] + flat(e.get("sections", []))]
    return [toc["root"]] + [f for p in toc["parts"] for f in flat(p["chapters"])]

def chromium():
    for p in ("/usr/bin/chromium", shutil.which("chromium") or "", shutil.which("chromium-browser") or ""):
        if p and Path(p).exists(): return p
    return None

@contextmanager
def serve(html_dir):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args): pass
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(html_dir)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try: yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally: httpd.shutdown()

# ---------------------------------------------------------------- definitions in the package (for source links)
def package_definitions(pkg=ROOT/"transformer_nbdev"):
    "{(module, qualified name): (first line incl. decorators, line of def/class/assignment)} for the package."
    out = {}
    for f in sorted(pkg.glob("*.py")):
        tree = ast.parse(f.read_text())
        def visit(body, prefix):
            for n in body:
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    first = min([d.lineno for d in n.decorator_list] + [n.lineno])
                    out[(f.stem, prefix + n.name)] = (first, n.lineno)
                    if isinstance(n, ast.ClassDef): visit(n.body, prefix + n.name + ".")
                elif isinstance(n, (ast.Assign, ast.AnnAssign)) and not prefix:
                    for t in (n.targets if isinstance(n, ast.Assign) else [n.target]):
                        if isinstance(t, ast.Name): out.setdefault((f.stem, t.id), (n.lineno, n.lineno))
        visit(tree.body, "")
    return out

# ---------------------------------------------------------------- in-page JavaScript
_WAIT_MATH = """async () => {
  if (!document.querySelector('script[src*="mathjax/tex-chtml.js"]')) return;
  for (let i = 0; i < 200 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++)
    await new Promise(r => setTimeout(r, 50));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
}"""

# helpers shared by the snippets: a short description of an element for the messages
_DESC = """const desc = (e) => {
  let s = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
          (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).slice(0, 2).join('.') : '');
  let sec = e.closest('section'); let h = sec && sec.querySelector('h1,h2,h3,h4');
  const t = (e.innerText || e.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 70);
  return s + (h ? ' in "' + h.innerText.replace(/#$/, '').trim().slice(0, 50) + '"' : '') + (t ? ': "' + t + '"' : '');
};"""

_TEXT_CHECKS = "() => {" + _DESC + r"""
  const art = document.querySelector('article.bd-article') || document.body;
  const problems = [];
  // 1. raw MyST / TeX in rendered text (code cells and their outputs are code, not prose)
  const skip = 'div.cell_input, div.cell_output, mjx-container, script, style, .headerlink';
  const walker = document.createTreeWalker(art, NodeFilter.SHOW_TEXT);
  const pats = [['```', /```/], ['{admonition}', /\{admonition\}/], [':class:', /:class:/], ['$\\', /\$\\/], ['\\begin', /\\begin\b/]];
  const seen = new Set();
  for (let n; (n = walker.nextNode()); ) {
    const el = n.parentElement; if (!el || el.closest(skip)) continue;
    for (const [name, re] of pats) if (re.test(n.textContent)) {
      const block = el.closest('p, li, pre, div.highlight, td, h1, h2, h3, h4, dd, dt') || el;
      const key = name + '|' + desc(block); if (seen.has(key)) continue; seen.add(key);
      problems.push(['raw_markup', 'visible ' + name + ' in ' + desc(block)]);
    }
  }
  art.querySelectorAll('mjx-merror').forEach(e => problems.push(['raw_markup', 'MathJax error: ' + desc(e)]));
  art.querySelectorAll('pre').forEach(p => { if (!p.closest('div.cell_input, div.cell_output') && !p.textContent.trim())
      problems.push(['raw_markup', 'empty code block ' + desc(p.parentElement)]); });
  // 2. exercise sections: between two exercises (and after the last) only "Solution" dropdowns
  const isDrop = e => e.matches('details, .dropdown, .toggle, .toggle-hidden, button.toggle-button') || !!e.querySelector(':scope > details.dropdown');
  art.querySelectorAll('section').forEach(sec => {
    const h = sec.querySelector(':scope > h2, :scope > h3');
    if (!h || !/exercise/i.test(h.innerText)) return;
    let started = false;
    for (const c of sec.children) {
      if (c === h || c.matches('span, .headerlink, section')) continue;
      const statement = c.matches('ol, ul') || (c.matches('p') && /^\s*(\*\*|\d+\.|exercise)/i.test(c.innerText) && !started);
      if (c.matches('ol, ul')) { started = true; continue; }
      if (!started) continue;
      if (isDrop(c)) continue;
      problems.push(['solutions', 'outside any Solution dropdown, after an exercise: ' + desc(c)]);
    }
    sec.querySelectorAll('.dropdown, details').forEach(d => {
      const body = d.querySelector('.admonition-title ~ *, summary ~ *');
      if (!body || !(body.textContent || '').trim()) problems.push(['solutions', 'empty Solution dropdown: ' + desc(d)]);
    });
  });
  // 3. links: cross-references inside the book, and show_doc source links
  const links = Array.from(art.querySelectorAll('a[href]')).filter(a => !a.classList.contains('headerlink'))
     .map(a => { const sec = a.closest('section'); const h = sec && sec.querySelector('h1,h2,h3');
                 const next = a.closest('p') && a.closest('p').nextElementSibling;
                 return {href: a.href, text: a.innerText.trim(), where: h ? h.innerText.replace(/#$/, '').trim().slice(0, 50) : '',
                         incode: !!a.closest('div.cell_input, div.cell_output') && !/source/i.test(a.innerText),
                         name: next && /^H\d$/.test(next.tagName) ? next.innerText.trim() : null}; });
  // unlinked references to chapters / sections by number in prose
  const unlinked = [];
  const w2 = document.createTreeWalker(art, NodeFilter.SHOW_TEXT);
  for (let n; (n = w2.nextNode()); ) {
    const el = n.parentElement; if (!el || el.closest(skip + ', a, code, pre, h1')) continue;
    // "Section 5 of the paper", "chapter 7 of <another book>": other works' numbering, not the book's
    const m = n.textContent.match(/\b(chapters?|sections?)\s+\d+[a-z]?\b(?![.\d])(?!\s+of\s+(the\s+(paper|original|QLoRA|LoRA)|\u201c|"|\s*$))/gi);
    if (m) m.forEach(x => unlinked.push(x + ' in ' + desc(el.closest('p, li, td, dd') || el)));
  }
  const ids = Array.from(document.querySelectorAll('[id]')).map(e => e.id);
  return {problems, links, unlinked, ids, title: (document.querySelector('article h1') || {innerText: ''}).innerText.replace(/#$/, '').trim()};
}"""

_LAYOUT_CHECKS = "(wide) => {" + _DESC + r"""
  const vw = document.documentElement.clientWidth, problems = [];
  const art = document.querySelector('article.bd-article') || document.body;
  const scrollBox = e => { for (let a = e; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowX) && a.getBoundingClientRect().right <= vw + 1) return a; }
    return null; };
  // elements sticking out of the viewport (not inside a box that scrolls or clips them)
  const out = [];
  for (const e of document.querySelectorAll('.bd-container *')) {
    const r = e.getBoundingClientRect(); if (r.width === 0 || r.right <= vw + 1) continue;
    const s = getComputedStyle(e); if (s.visibility === 'hidden' || s.position === 'fixed') continue;
    if (e.closest('.bd-sidebar-primary, .bd-sidebar-secondary, dialog')) continue;
    if (scrollBox(e)) continue;
    if (out.some(o => o.contains(e))) continue;
    out.push(e);
  }
  out.slice(0, 8).forEach(e => problems.push(['overflow', 'wider than the ' + vw + ' px screen (right edge ' +
      Math.round(e.getBoundingClientRect().right) + ' px): ' + desc(e)]));
  if (document.documentElement.scrollWidth > vw + 1 && !out.length)
    problems.push(['overflow', 'page scrolls sideways: ' + document.documentElement.scrollWidth + ' px wide']);
  if (wide) {
    art.querySelectorAll('div.cell_input pre').forEach(p => {
      if (p.scrollWidth > p.clientWidth + 1) {
        const line = p.textContent.split('\n').reduce((a, b) => b.length > a.length ? b : a, '');
        problems.push(['code_width', 'code line of ' + line.length + ' characters scrolls (' + p.scrollWidth + ' > ' +
                       p.clientWidth + ' px): ' + JSON.stringify(line.slice(0, 60))]);
      }});
    art.querySelectorAll('mjx-container[display="true"]').forEach(m => {
      const inner = m.querySelector('mjx-math'); if (!inner) return;
      const box = (m.closest('div.math') || m.parentElement).getBoundingClientRect();
      const r = inner.getBoundingClientRect();
      if (r.width > box.width + 1 || r.right > box.right + 1 || m.scrollWidth > m.clientWidth + 1) {
        const tex = (m.parentElement.getAttribute('data-tex') || (m.querySelector('mjx-assistive-mml') || {}).textContent || '');
        problems.push(['equations', 'display equation ' + Math.round(r.width) + ' px wide in a ' + Math.round(box.width) +
                       ' px column: ' + desc(m.closest('div.math') || m)]);
      }});
  }
  return problems;
}"""

_SIDEBAR = r"""async () => {
  const vis = e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
                     return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && r.right > 0 && r.left < innerWidth; };
  const toggle = Array.from(document.querySelectorAll('.primary-toggle')).find(vis);
  if (!toggle) return {error: 'no visible sidebar toggle'};
  toggle.click();
  await new Promise(r => setTimeout(r, 400));
  const links = Array.from(document.querySelectorAll('nav.bd-links a')).filter(vis).map(a => a.href);
  const dlg = document.querySelector('#pst-primary-sidebar-modal'); if (dlg && dlg.open) dlg.close();
  return {links};
}"""

class Walker:
    "Walk every page of a built book once per width and collect problems per check."
    def __init__(self, html_dir, root=ROOT):
        self.html_dir, self.root = Path(html_dir), root
        self.pages = toc_pages(root)
        self.problems = defaultdict(list)       # check -> ["page: message"]
        self.console, self.offsite = defaultdict(list), defaultdict(list)
        self.info = {}

    def add(self, check, page, msg): self.problems[check].append(f"{page}: {msg}")

    def run(self, browser, base):
        for width in (WIDE, NARROW):
            pg = browser.new_page(viewport={"width": width, "height": 900})
            current = {"page": None}
            pg.on("console", lambda m: self.console[current["page"]].append(m.text) if m.type == "error" else None)
            pg.on("pageerror", lambda e: self.console[current["page"]].append(str(e)))
            pg.on("request", lambda r: self.offsite[current["page"]].append(r.url)
                  if not r.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")) else None)
            for doc in self.pages:
                current["page"] = doc
                resp = pg.goto(f"{base}/{doc}.html", wait_until="load")
                if resp is None or resp.status != 200:
                    self.add("overflow", doc, f"HTTP {resp and resp.status}"); continue
                pg.evaluate(_WAIT_MATH)
                if width == WIDE:
                    r = pg.evaluate(_TEXT_CHECKS)
                    for check, msg in r["problems"]: self.add(check, doc, msg)
                    self.info[doc] = r
                for check, msg in pg.evaluate(_LAYOUT_CHECKS, width == WIDE): self.add(check, doc, f"[{width} px] {msg}")
                if width == NARROW:
                    s = pg.evaluate(_SIDEBAR)
                    if "error" in s: self.add("sidebar", doc, s["error"])
                    else:
                        missing = [d for d in self.pages[1:] if not any(h.split("#")[0].endswith(d + ".html") for h in s["links"])]
                        if missing: self.add("sidebar", doc, f"sidebar opened from its toggle at {width} px does not show "
                                             f"{len(missing)} of {len(self.pages) - 1} pages, e.g. {missing[:3]}")
            pg.close()
        self._links(base)
        return self

    def _numbers(self):
        "{docname: chapter number as the sidebar shows it} and {docname: chapter docname it belongs to}."
        toc = yaml.safe_load((self.root/"book/_toc.yml").read_text())
        num, chapter_of = {}, {}
        for p in toc["parts"]:
            for c in p["chapters"]:
                for f in [c["file"]] + [s["file"] for s in c.get("sections", [])]: chapter_of[f] = c["file"]
                t = self.info.get(c["file"], {}).get("title", "")
                m = re.match(r"(\d+|[A-Z])\.\s", t)
                if m: num[c["file"]] = m.group(1)
        return num, chapter_of

    def _links(self, base):
        defs = package_definitions(self.root/"transformer_nbdev")
        num, chapter_of = self._numbers()
        for doc, r in self.info.items():
            for x in r["unlinked"]: self.add("crossrefs", doc, f"reference by number that is not a link: {x}")
            for l in r["links"]:
                href, text = l["href"], l["text"]
                m = re.search(r"/transformer_nbdev/(\w+)\.py#L(\w+)$", href)
                if m and text.lower() == "source":
                    mod, line, name = m.group(1), m.group(2), l["name"] or "?"
                    d = defs.get((mod, name)) or defs.get((mod, name.split(".")[-1]))
                    if not line.isdigit(): self.add("source_links", doc, f"{name}: source link {mod}.py#L{line}")
                    elif d is None: self.add("source_links", doc, f"{name}: not defined in transformer_nbdev/{mod}.py "
                                             f"(link #L{line})")
                    elif not d[0] <= int(line) <= d[1]:
                        self.add("source_links", doc, f"{name}: link {mod}.py#L{line}, defined at line {d[1]}")
                    continue
                if not href.startswith(base) or l["incode"]: continue
                u = urlparse(href); target = unquote(u.path[len(urlparse(base).path):]).lstrip("/")
                if not target.endswith(".html"): continue
                tdoc = target[:-5]
                if tdoc not in self.info:
                    self.add("crossrefs", doc, f'link "{text}" ({l["where"]}) to {target}: no such page'); continue
                if u.fragment and u.fragment not in self.info[tdoc]["ids"]:
                    self.add("crossrefs", doc, f'link "{text}" to {target}#{u.fragment}: no such anchor'); continue
                n = re.search(r"\b[Cc]hapter\s+(\d+)\b", text)
                if n and num.get(chapter_of.get(tdoc)) != n.group(1):
                    self.add("crossrefs", doc, f'link "{text}" goes to {tdoc}, which is chapter '
                             f'{num.get(chapter_of.get(tdoc), "(unnumbered)")}')

def walk(html_dir, root=ROOT):
    from playwright.sync_api import sync_playwright
    with serve(html_dir) as base, sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium(), headless=True, args=LAUNCH_ARGS)
        try: return Walker(html_dir, root).run(b, base)
        finally: b.close()

def report(w, per_check=None):
    lines = []
    for c in CHECKS:
        ps = w.problems.get(c, [])
        lines.append(f"== {c}: {len(ps)} problem(s) on {len({p.split(':')[0] for p in ps})} page(s)")
        lines += ["  " + p for p in (ps if per_check is None else ps[:per_check])]
    for name, d in (("console errors", w.console), ("requests off this machine", w.offsite)):
        n = sum(len(v) for v in d.values()); lines.append(f"== {name}: {n}")
        lines += [f"  {k}: {v[:3]}" for k, v in d.items() if v]
    return "\n".join(lines)

if __name__ == "__main__":
    html = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT/"_build/html"
    sys.stdout.reconfigure(errors="replace")
    w = walk(html)
    print(report(w))
    sys.exit(1 if any(w.problems.values()) else 0)

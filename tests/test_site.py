"""The rendered book, opened in a real headless Chromium with no network: every chapter page loads with no
console errors, makes no request off this machine, typesets at least one equation with MathJax, loads every
figure, and the sidebar lists every chapter."""
import functools, http.server, shutil, subprocess, threading, yaml
from pathlib import Path
import pytest

def _chapters(root):
    toc = yaml.safe_load((root/"book/_toc.yml").read_text())
    flat = lambda entries: [f for e in entries for f in [e["file"]] + flat(e.get("sections", []))]
    return [f for p in toc["parts"] for f in flat(p["chapters"])], toc["root"]

def _top_chapters(root):
    "The chapter pages (not their sections): each must typeset at least one equation."
    toc = yaml.safe_load((root/"book/_toc.yml").read_text())
    return {c["file"] for p in toc["parts"] for c in p["chapters"]}

def _chromium():
    for p in ("/usr/bin/chromium", shutil.which("chromium") or "", shutil.which("chromium-browser") or ""):
        # a browser that runs (Ubuntu's chromium-browser can be a stub that asks for snap)
        if p and Path(p).exists() and subprocess.run([p, "--version"], capture_output=True, timeout=60).returncode == 0:
            return p
    return None  # no system browser: Playwright's own (`python -m playwright install chromium`)

@pytest.fixture(scope="module")
def server(built_site):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args): pass
    handler = functools.partial(Quiet, directory=str(built_site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()

@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=_chromium(), headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                                    "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()

def _visit(browser, url):
    page = browser.new_page()
    errors, offsite = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: offsite.append(r.url) if not r.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")) else None)
    resp = page.goto(url, wait_until="load")
    return page, resp, errors, offsite

def test_every_chapter_page(root, server, browser):
    chapters, index = _chapters(root)
    top = _top_chapters(root)
    problems = []
    for ch in [index] + chapters:
        page, resp, errors, offsite = _visit(browser, f"{server}/{ch}.html")
        if resp is None or resp.status != 200: problems.append(f"{ch}: HTTP {resp and resp.status}"); continue
        # Sphinx loads MathJax (our local copy) only on pages that contain math
        has_mathjax = page.evaluate("() => !!document.querySelector('script[src*=\"mathjax/tex-chtml.js\"]')")
        n_math = 0
        if has_mathjax:
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20000)
            page.evaluate("() => MathJax.startup.promise")
            n_math = page.evaluate("() => document.querySelectorAll('mjx-container').length")
        if ch in top and n_math < 1: problems.append(f"{ch}: no equation typeset by MathJax")
        broken = page.evaluate("""() => Array.from(document.images)
              .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)""")
        if broken: problems.append(f"{ch}: images that did not load: {broken[:5]}")
        if errors: problems.append(f"{ch}: console errors: {errors[:5]}")
        if offsite: problems.append(f"{ch}: requests off this machine: {offsite[:5]}")
        page.close()
    assert not problems, "\n".join(problems)

def test_sidebar_lists_every_chapter_and_both_parts(root, server, browser):
    chapters, index = _chapters(root)
    page, resp, errors, _ = _visit(browser, f"{server}/{index}.html")
    hrefs = page.evaluate("() => Array.from(document.querySelectorAll('nav.bd-links a')).map(a => a.href)")
    captions = page.evaluate("() => Array.from(document.querySelectorAll('nav.bd-links p.caption')).map(p => p.innerText)")
    missing = [ch for ch in chapters if not any(h.endswith(ch + ".html") for h in hrefs)]
    assert not missing, f"sidebar lacks {missing}"
    toc = yaml.safe_load((root/"book/_toc.yml").read_text())
    for p in toc["parts"]: assert any(p["caption"] in c for c in captions), (p["caption"], captions)
    page.close()

def test_search_page(server, browser):
    page, resp, errors, _ = _visit(browser, f"{server}/search.html?q=attention")
    assert resp.status == 200
    page.wait_for_selector("#search-results li, .search li", timeout=20000)
    assert page.evaluate("() => document.querySelectorAll('#search-results li, .search li').length") > 0
    page.close()

def test_colab_badge_on_chapters(root, server, browser):
    chapters, _ = _chapters(root)
    page, *_ = _visit(browser, f"{server}/{chapters[0]}.html")
    links = page.evaluate("() => Array.from(document.querySelectorAll('a')).map(a => a.href)")
    assert any("colab.research.google.com" in h and chapters[0] in h for h in links), "no Colab launch link"
    page.close()

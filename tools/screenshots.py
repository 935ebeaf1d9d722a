"""Screenshots of the built site for the README and the record: the cover, a chapter, an interactive figure, and the
phone-width sidebar opened from its toggle. Usage (after `make book`): python tools/screenshots.py [_build/html]"""
import functools, http.server, sys, threading
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def main(site=ROOT / "_build/html", out=ROOT / "book/screenshots"):
    out.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    exe = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=ARGS)
        page = b.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{base}/nbs/index.html", wait_until="load")
        page.screenshot(path=str(out / "cover-1400.png"))
        page.goto(f"{base}/nbs/foundations/02_attention.html", wait_until="load")
        page.wait_for_timeout(1500)  # MathJax
        page.screenshot(path=str(out / "chapter-1400.png"))
        page.goto(f"{base}/nbs/foundations/07j_translation.html", wait_until="load")
        fig = page.wait_for_selector(".tnb-vega svg.marks", timeout=20000)
        el = page.query_selector(".tnb-vega")
        el.scroll_into_view_if_needed()
        el.screenshot(path=str(out / "attention-explorer.png"))
        phone = b.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
        phone.goto(f"{base}/nbs/foundations/03_multi_head_attention.html", wait_until="load")
        phone.screenshot(path=str(out / "chapter-390.png"))
        phone.click("button.primary-toggle:visible, label.primary-toggle:visible, .sidebar-toggle.primary-toggle:visible")
        phone.wait_for_timeout(600)
        phone.screenshot(path=str(out / "sidebar-390.png"))
        b.close()
    httpd.shutdown()
    print("screenshots in", out.relative_to(ROOT))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "_build/html")

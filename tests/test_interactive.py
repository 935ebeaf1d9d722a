"""The book's interactive figures (Vega-Lite through `interactive_figure`), opened in headless Chromium: each
loads vega, vega-lite and vega-embed from the site itself, draws its chart, and redraws it when a control
changes (another head, another dimension pair, another temperature); hovering a query row of the attention
explorer picks out that row. No request leaves 127.0.0.1."""
import pytest
from test_site import browser, server  # noqa: F401  (fixtures)

# page -> (number of interactive figures, the control to change: index into the figure's inputs)
PAGES = {
    "nbs/foundations/01b_positional_encoding": 1,
    "nbs/foundations/07j_translation": 1,
    "nbs/fine_tuning/01b_chat": 1,
}
_MARKS = """el => Array.from(el.querySelectorAll('svg path, svg rect'))
    .map(p => [p.getAttribute('d'), p.getAttribute('fill'), p.getAttribute('opacity'),
               p.getAttribute('fill-opacity')].join(' ')).join('|')"""


def _open(browser, url):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    requests, errors = [], []
    page.on("requestfinished", lambda r: requests.append((r.url, r.response().status if r.response() else None)))
    page.on("requestfailed", lambda r: requests.append((r.url, "failed")))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url, wait_until="load")
    return page, requests, errors


@pytest.mark.parametrize("doc", sorted(PAGES))
def test_interactive_figure_loads_renders_and_reacts(server, browser, doc):
    page, requests, errors = _open(browser, f"{server}/{doc}.html")
    figs = page.query_selector_all(".tnb-vega")
    assert len(figs) == PAGES[doc], f"{doc}: {len(figs)} interactive figures, expected {PAGES[doc]}"
    for name in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js"):
        hits = [s for u, s in requests if u.split("?")[0].endswith("/_static/vega/" + name)]
        assert hits == [200], f"{doc}: {name} not served by the site: {hits}"
    for fig in figs:
        fig.wait_for_selector("svg.marks", timeout=20000)
        before = fig.evaluate(_MARKS)
        assert before, f"{doc}: the chart drew no marks"
        control = fig.query_selector("input[type=range]") or fig.query_selector("select")
        assert control is not None, f"{doc}: no control bound to the chart"
        control.evaluate("""i => { if (i.tagName === 'SELECT') i.selectedIndex = (i.selectedIndex + 1) % i.options.length;
                                   else i.value = String(Number(i.max) > Number(i.value) ? Number(i.max) : Number(i.min));
                                   i.dispatchEvent(new Event('input', {bubbles: true}));
                                   i.dispatchEvent(new Event('change', {bubbles: true})); }""")
        page.wait_for_timeout(300)
        assert fig.evaluate(_MARKS) != before, f"{doc}: changing a control did not change the chart"
    offsite = [u for u, _ in requests if not u.startswith(("http://127.0.0.1", "data:", "blob:", "about:"))]
    assert not offsite, f"{doc}: requests off this machine: {offsite[:5]}"
    assert not errors, f"{doc}: console errors: {errors[:5]}"
    page.close()


def test_attention_explorer_hover_picks_out_a_row(server, browser):
    page, _, _ = _open(browser, f"{server}/nbs/foundations/07j_translation.html")
    fig = page.query_selector(".tnb-vega")
    fig.wait_for_selector("svg.marks", timeout=20000)
    cells = fig.query_selector_all("g.mark-rect path")
    assert len(cells) > 4, "no heatmap cells"
    before = fig.evaluate(_MARKS)
    cells[len(cells) // 2].hover()
    page.wait_for_timeout(300)
    assert fig.evaluate(_MARKS) != before, "hovering a query row changed nothing"
    page.close()

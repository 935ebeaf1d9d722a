"""Sphinx extension: the book's interactive figures (Vega-Lite charts made by `interactive_figure`, chapter 1)
run on local copies of vega, vega-lite and vega-embed (tools/fetch_vega.sh puts them in book/_static/vega),
added only to the pages that hold such a figure. No page of the site loads a script from another host."""

_SCRIPTS = ("vega/vega.min.js", "vega/vega-lite.min.js", "vega/vega-embed.min.js")


def _add_scripts(app, pagename, templatename, context, doctree):
    if "data-tnb-vega" in context.get("body", ""):
        for js in _SCRIPTS:
            app.add_js_file(js, priority=200)  # called from html-page-context: this page only


def setup(app):
    app.connect("html-page-context", _add_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

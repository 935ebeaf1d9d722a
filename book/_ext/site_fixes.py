"""Sphinx extension: the site's own fixes to the theme (pydata-sphinx-theme 0.17 under sphinx-book-theme 1.3).

- The theme's top bar (`#pst-header`) is dropped with a template override (site_templates/layout.html): on desktop
  it was an empty 64 px bar with a second search box, and on phones and tablets its hidden `.primary-toggle` /
  `.secondary-toggle` buttons were the ones pydata-sphinx-theme bound its click handlers to (it binds the first
  match), so the visible sidebar and "Contents" buttons of the article header did nothing.
- book/_static/site_fixes.js (deferred, so it runs after the page is parsed) makes search snippets show the
  matching text instead of the print-only table of contents, and book/_static/site_fixes.css sets the widths: a
  code column of 100 monospace characters at 1400 px, nothing wider than a phone's screen except inside its own
  scrolling box.
"""
from pathlib import Path

_HERE = Path(__file__).resolve().parent

def _config_inited(app, config):
    config.templates_path = [str(_HERE/"site_templates")] + list(config.templates_path or [])

def setup(app):
    app.connect("config-inited", _config_inited)
    app.add_css_file("site_fixes.css")
    app.add_js_file("site_fixes.js", loading_method="defer")
    return {"parallel_read_safe": True, "parallel_write_safe": True}

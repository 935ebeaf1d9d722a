"""Sphinx extension: render nbdev notebooks in jupyter-book the way nbdev's own docs show them, and keep pages free
of console errors.

nbdev directives are for nbdev, not for readers: cells marked `#| hide` and the `#| default_exp` cell are left out
of the page, cells marked `#| echo: false` (the show_doc cells) keep their output but not their code, and the `#| ...`
lines are removed from the code that is shown (as nbdev does with Quarto).

`show_doc` stores Markdown written for Quarto: a horizontal rule (`---`) above each entry and Pandoc link
attributes such as `{target="_blank" style="..."}`. docutils only allows horizontal rules at the top level of a
document, so inside a cell output they abort the build. Before a notebook is parsed we drop those rules and the
Pandoc attributes from Markdown outputs; the stored notebooks are not changed.
"""
import json, re

_ATTRS = re.compile(r'\)\{[^}]*\}')
_DIRECTIVE = re.compile(r'^#\s*\|')
_ECHO_FALSE = re.compile(r'^#\s*\|\s*echo:\s*false\s*$', re.M)

def _clean(text: str) -> str:
    lines = [l for l in text.split('\n') if l.strip() not in ('---', '***', '___')]
    return _ATTRS.sub(')', '\n'.join(lines))

def _source_read(app, docname, source):
    if not source or not source[0].lstrip().startswith('{'): return
    try: nb = json.loads(source[0])
    except ValueError: return
    changed = False
    cells = []
    for cell in nb.get('cells', []):
        if cell.get('cell_type') == 'code':
            src = ''.join(cell['source']) if isinstance(cell['source'], list) else cell['source']
            lines = src.split('\n')
            directives = [l.lstrip('#| ').split()[0] for l in lines if _DIRECTIVE.match(l) and l.lstrip('#| ').split()]
            if any(d in ('hide', 'default_exp') for d in directives): changed = True; continue
            if _ECHO_FALSE.search(src):  # nbdev/Quarto's `#| echo: false`: show the output, not the code
                tags = cell.setdefault('metadata', {}).setdefault('tags', [])
                if 'remove-input' not in tags: tags.append('remove-input')
            if directives:
                cell['source'] = '\n'.join(l for l in lines if not _DIRECTIVE.match(l)).lstrip('\n'); changed = True
        cells.append(cell)
    nb['cells'] = cells
    for cell in nb.get('cells', []):
        for out in cell.get('outputs', []):
            data = out.get('data', {})
            if 'text/markdown' in data:
                md = data['text/markdown']
                text = ''.join(md) if isinstance(md, list) else md
                new = _clean(text)
                if new != text: data['text/markdown'] = new; changed = True
    if changed: source[0] = json.dumps(nb)

def _dedupe_scripts(app, pagename, templatename, context, doctree):
    # Inline scripts that extensions add on `env-before-read-docs` (sphinx-thebe's `const THEBE_JS_URL = ...`,
    # sphinx-togglebutton's selector) reach a page twice: once with filename None, and once more with filename ''
    # when the HTML builder re-reads Sphinx's registry. The browser then logs "Identifier 'THEBE_JS_URL' has already
    # been declared". Keep the first copy of each script.
    files = context.get('script_files')
    if not files: return
    seen, unique = set(), []
    for js in files:
        key = (getattr(js, 'filename', str(js)) or '', tuple(sorted((k, str(v)) for k, v in getattr(js, 'attributes', {}).items())))
        if key not in seen: seen.add(key); unique.append(js)
    files[:] = unique  # in place: later handlers (MathJax) append to this same list

def setup(app):
    app.connect('source-read', _source_read)
    app.connect('html-page-context', _dedupe_scripts, priority=100)  # before handlers that return a template
    return {'parallel_read_safe': True, 'parallel_write_safe': True}

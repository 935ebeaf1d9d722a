"""Sphinx extension: Quarto-style figure directives of notebook cells become the image's caption and alt text.

A figure cell states what its figure shows in two nbdev/Quarto directives:

    #| fig-cap: The loss falls by orders of magnitude after warm-up.
    #| fig-alt: Log-scale line plot of the training loss against the step, falling from 2.4 to 0.001.

Before myst-nb parses a notebook, the directives are moved into the cell metadata myst-nb reads
(`mystnb: {figure: {caption}, image: {alt}}`): the image outputs of the cell are wrapped in a figure with the
caption (MyST Markdown, so math and links work), and the image's alt text is `fig-alt`, or the caption as plain
text when there is no `fig-alt`. The stored notebooks are not changed. Register it before `showdoc_outputs`,
which removes every `#|` line from the code shown: this handler runs with a higher priority.
"""

import json, re

import yaml

_DIRECTIVE = re.compile(r"^#\s*\|\s*(fig-cap|fig-alt)\s*:\s*(.*?)\s*$")
_CONTINUATION = re.compile(r"^#\s*\|\s{2,}\S")  # an indented line continues the value above


def plain_text(markdown: str) -> str:
    "A caption as alt text: no Markdown emphasis, code marks, links or TeX dollars."
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)  # [text](url) -> text
    text = re.sub(r"\{[a-z]+\}`([^`]*)`", r"\1", text)  # {doc}`x` -> x
    text = text.replace("$", "").replace("`", "").replace("**", "").replace("*", "")
    text = re.sub(r"\\(mathrm|text|operatorname)\{([^}]*)\}", r"\2", text)
    return re.sub(r"\s+", " ", text).strip()


def figure_directives(source: str) -> dict[str, str]:
    """{'fig-cap': ..., 'fig-alt': ...} from the `#|` lines of a cell's source. A value is YAML, as in Quarto:
    one line (`#| fig-cap: text`) or a block on the lines that follow, indented (`#| fig-cap: >-` then
    `#|   text`), which keeps long captions within the code column."""
    lines, found, i = source.split("\n"), {}, 0
    while i < len(lines):
        m = _DIRECTIVE.match(lines[i])
        i += 1
        if not m:
            continue
        block = [m.group(0)]
        while i < len(lines) and _CONTINUATION.match(lines[i]):
            block.append(lines[i])
            i += 1
        text = "\n".join(re.sub(r"^#\s*\|\s?", "", line) for line in block)
        try:
            value = yaml.safe_load(text)[m.group(1)]
        except (yaml.YAMLError, TypeError, KeyError):
            value = m.group(
                2
            )  # not YAML (e.g. an unquoted colon): the rest of the line, as written
        found[m.group(1)] = re.sub(r"\s+", " ", str(value)).strip()
    return found


def _source_read(app, docname, source):
    if not source or not source[0].lstrip().startswith("{"):
        return
    try:
        nb = json.loads(source[0])
    except ValueError:
        return
    changed = False
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        d = figure_directives(src)
        if not d:
            continue
        meta = cell.setdefault("metadata", {}).setdefault("mystnb", {})
        if "fig-cap" in d:
            meta.setdefault("figure", {})["caption"] = d["fig-cap"]
        alt = d.get("fig-alt") or plain_text(d.get("fig-cap", ""))
        if alt:
            meta.setdefault("image", {})["alt"] = alt
        changed = True
    if changed:
        source[0] = json.dumps(nb)


def setup(app):
    app.connect(
        "source-read", _source_read, priority=400
    )  # before showdoc_outputs strips `#|` lines
    return {"parallel_read_safe": True, "parallel_write_safe": True}

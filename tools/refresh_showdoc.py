"""Regenerate the stored output of every `show_doc(...)` cell from the current package.

    python tools/refresh_showdoc.py            # every notebook under nbs/
    python tools/refresh_showdoc.py NB.ipynb   # only these notebooks

For each notebook with show_doc cells, a fresh execnb `CaptureShell` (run in the notebook's folder, as
nbdev_test does) imports `show_doc`, the notebook's own module (its `#| default_exp`) and whatever the
notebook's import-only cells import, then runs only the show_doc cells and stores their new outputs. Two
defects of the rendered Markdown are corrected against the package source, parsed with `ast`:

- the "source" link gets the line where the name is defined (nbdev's lookup can yield `#LNone` or a stale line);
- a class is shown as `class Name(` (fastcore's signature formatter writes `def` for every callable).

Every show_doc cell also gets `#| echo: false` as its first line, so that the site shows the rendered entry
and not the call. A notebook is written back only when something changed, so a second run changes nothing.
The script fails with an error naming the notebook and cell when a cell raises or a link cannot be resolved.
"""

import ast
import json
import os
import re
import sys
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIB = "transformer_nbdev"
ECHO = "#| echo: false"
_LINK = re.compile(r"\[source\]\((?P<url>[^)#]*/blob/[^/]+/(?P<path>[^)#]+\.py))#L(?P<line>\w+)\)")
_TITLE = re.compile(r"^#+ (?P<name>[\w.]+)\s*$", re.M)


def _src(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _set_src(cell, text: str):
    cell["source"] = text.splitlines(keepends=True)


def is_show_doc(cell) -> bool:
    if cell["cell_type"] != "code":
        return False
    body = [l for l in _src(cell).splitlines() if l.strip() and not l.lstrip().startswith("#")]
    return bool(body) and all(l.strip().startswith("show_doc(") for l in body)


def _is_import_cell(cell) -> bool:
    if cell["cell_type"] != "code":
        return False
    try:
        tree = ast.parse("\n".join(l for l in _src(cell).splitlines() if not l.lstrip().startswith("%")))
    except SyntaxError:
        return False
    return bool(tree.body) and all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in tree.body)


def _patched_classes(node) -> list:
    if isinstance(node, ast.ClassDef) or not any(
        (d.id if isinstance(d, ast.Name) else getattr(getattr(d, "func", d), "id", None)) == "patch"
        for d in node.decorator_list
    ):
        return []
    anno = node.args.args[0].annotation if node.args.args else None
    names = []
    while isinstance(anno, ast.BinOp):  # Cls1 | Cls2
        names.append(anno.right)
        anno = anno.left
    names.append(anno)
    return [n.id for n in names if isinstance(n, ast.Name)]


@lru_cache(None)
def definitions(path: str) -> dict:
    """{'name': (line, is_class), 'Class.method': (line, False)} for the top level of a package file."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    defs = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            line = node.lineno  # the `def`/`class` line, as ast and nbdev count it
            defs[node.name] = (line, isinstance(node, ast.ClassDef))
            for cls in _patched_classes(node):  # fastcore's `@patch def name(self: Cls)`
                defs[f"{cls}.{node.name}"] = (line, False)
            if isinstance(node, ast.ClassDef):
                for sub in node.body:
                    if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        sub_line = sub.lineno
                        defs[f"{node.name}.{sub.name}"] = (sub_line, False)
    return defs


def fix_markdown(md: str, where: str) -> str:
    """Point the source link at the definition and write `class` for classes."""
    title = _TITLE.search(md)
    if not title:
        raise ValueError(f"{where}: show_doc output has no title line")
    name = title.group("name")
    m = _LINK.search(md)
    if not m:
        return md
    defs = definitions(m.group("path"))
    if name not in defs:
        raise ValueError(f"{where}: {name!r} is not defined at the top level of {m.group('path')}")
    line, is_class = defs[name]
    md = md[: m.start()] + f"[source]({m.group('url')}#L{line})" + md[m.end() :]
    if is_class:
        md = re.sub(rf"^def {re.escape(name)}\(", f"class {name}(", md, count=1, flags=re.M)
    return md


def _fix_outputs(outputs, where):
    for out in outputs:
        data = out.get("data", {})
        if "text/markdown" in data:
            md = data["text/markdown"]
            data["text/markdown"] = fix_markdown("".join(md) if isinstance(md, list) else md, where)
        if "text/plain" in data and "text/markdown" in data:
            name = _TITLE.search(data["text/markdown"]).group("name")
            plain = "".join(data["text/plain"]) if isinstance(data["text/plain"], list) else data["text/plain"]
            if re.search(rf"^class {re.escape(name)}\(", data["text/markdown"], re.M):
                plain = re.sub(rf"^def {re.escape(name)}\(", f"class {name}(", plain, count=1)
            data["text/plain"] = plain
    return outputs


def _normal(outputs):
    """Outputs in nbformat's on-disk form (multi-line strings as lists of lines) for comparison and storage."""
    res = []
    for out in outputs:
        out = dict(out)
        if "data" in out:
            out["data"] = {
                k: (v.splitlines(keepends=True) if isinstance(v, str) and k.startswith("text/") else v)
                for k, v in out["data"].items()
            }
        out.pop("execution_count", None) if out.get("output_type") == "stream" else None
        if out.get("output_type") == "execute_result":
            out["execution_count"] = None
        res.append(out)
    return res


def refresh(path: Path) -> bool:
    from execnb.shell import CaptureShell

    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = nb["cells"]
    targets = [i for i, c in enumerate(cells) if is_show_doc(c)]
    if not targets:
        return False
    rel = path.relative_to(ROOT)
    exp = next(
        (
            m.group(1)
            for c in cells
            if c["cell_type"] == "code"
            for m in [re.search(r"^#\|\s*default_exp\s+(\S+)", _src(c), re.M)]
            if m
        ),
        None,
    )
    cwd = os.getcwd()
    os.chdir(path.parent)
    try:
        shell = CaptureShell()
        setup = "from nbdev.showdoc import show_doc\n"
        if exp:
            setup += f"from {LIB}.{exp} import *\n"
        for code in [setup] + [_src(c) for i, c in enumerate(cells) if i < targets[-1] and _is_import_cell(c)]:
            shell.run(code)
            if shell.exc:
                raise RuntimeError(f"{rel}: setup cell failed:\n{code}\n{shell.exc}")
        changed = False
        for i in targets:
            cell = cells[i]
            src = _src(cell)
            if not src.startswith(ECHO):
                _set_src(cell, ECHO + "\n" + src)
                changed = True
            code = "\n".join(l for l in src.splitlines() if not l.lstrip().startswith("#"))
            outs = shell.run(code)
            if shell.exc:
                raise RuntimeError(f"{rel}, cell {cell.get('id')}: {code!r} raised {shell.exc!r}")
            outs = _normal(_fix_outputs(outs, f"{rel}, cell {cell.get('id')}"))
            if outs != cell.get("outputs"):
                cell["outputs"] = outs
                changed = True
    finally:
        os.chdir(cwd)
    if changed:
        path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return changed


def main(argv):
    paths = [Path(a).resolve() for a in argv] or sorted((ROOT / "nbs").rglob("*.ipynb"))
    paths = [p for p in paths if ".ipynb_checkpoints" not in p.parts]
    sys.path.insert(0, str(ROOT))
    for p in paths:
        if refresh(p):
            print(f"refreshed {p.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])

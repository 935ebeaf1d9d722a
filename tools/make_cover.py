"""Draw the book's cover figure, book/cover/cross_attention.png, from the trained Multi30k translation run of
chapter 7 (section "Translating German to English on Multi30k"): the cross-attention of its last decoder
layer, averaged over the heads, for one test sentence and the model's own beam-search translation. The PNG
is committed (CI has no trained model).

    python tools/make_cover.py RUN_DIR [--index 18]   # RUN_DIR: the folder train_translation wrote
"""

import argparse, json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch

from transformer_nbdev.translation import (
    TranslationConfig,
    load_pairs,
    load_translation_run,
    translate,
)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "book" / "cover" / "cross_attention.png"


def main(run_dir: str, index: int = 18) -> Path:
    torch.set_num_threads(1)
    model, tokenizer, run = load_translation_run(run_dir)
    src_text, ref_text = load_pairs("test", TranslationConfig())[index]
    (hyp_text,) = translate(model, tokenizer, [src_text], 4)
    src_ids = torch.tensor([tokenizer.encode(src_text, add_bos=True, add_eos=True)])
    tgt_ids = torch.tensor([tokenizer.encode(hyp_text, add_bos=True, add_eos=True)])
    with torch.inference_mode():
        cross = model.attention_maps(src_ids, tgt_ids[:, :-1])["cross"][-1, 0].mean(0)
    src_tokens = ["<bos>"] + tokenizer.tokenize(src_text) + ["<eos>"]
    out_tokens = tokenizer.tokenize(hyp_text) + ["<eos>"]
    assert cross.shape == (len(out_tokens), len(src_tokens)), (cross.shape, src_tokens, out_tokens)
    fig, ax = plt.subplots(figsize=(7.5, 0.3 * len(out_tokens) + 2.4), layout="constrained")
    im = ax.imshow(cross, cmap="Blues", vmin=0, aspect="auto")
    ax.set_xticks(range(len(src_tokens)), src_tokens, rotation=60, ha="right", fontsize=10)
    ax.set_yticks(range(len(out_tokens)), out_tokens, fontsize=10)
    ax.set_xlabel("German source (subwords)", fontsize=10)
    ax.set_ylabel("English output, token being predicted", fontsize=10)
    ax.set_title(f"{src_text}\n→ {hyp_text}", fontsize=11)
    fig.colorbar(im, ax=ax, fraction=0.03, label="attention weight")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=200)  # shown at half its pixel size: sharp on high-DPI screens
    meta = dict(
        run_dir=Path(run_dir).name,
        test_index=index,
        source=src_text,
        reference=ref_text,
        translation=hyp_text,
        layer="last decoder layer, heads averaged",
    )
    (OUT.with_suffix(".json")).write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}: {src_text!r} -> {hyp_text!r}")
    return OUT


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run_dir")
    p.add_argument("--index", type=int, default=18, help="which test2016 sentence")
    a = p.parse_args()
    main(a.run_dir, a.index)

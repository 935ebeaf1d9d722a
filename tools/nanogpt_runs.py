"""The full runs of chapter 8's comparison with nanoGPT, into nbs/foundations/nanogpt_run/results.json.

    python tools/nanogpt_runs.py            # every run not yet in the JSON (resumable)
    python tools/nanogpt_runs.py --dry-run  # list the runs it would make

One training process at a time, one thread. In rounds, one seed per round: nanoGPT itself (its
`train.py` with the README's CPU command, seed line patched) and the book's GPT (GPT-2 preset,
nanoGPT's sizes, exact GELU); then the LLaMA preset at about the same size and the sweep (see
`jobs` for the order). Every model is scored on the same 200 fixed validation batches.
Interleaving the rounds puts nanoGPT's and our timings side by side on the same (shared) machine. Every finished run is appended to the JSON,
written atomically, and runs already there are skipped, so an interrupted session resumes.
The nanoGPT run folders (with their ckpt.pt) live in a temporary folder and are deleted.
"""

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

torch.set_num_threads(1)
os.environ.setdefault("OMP_NUM_THREADS", "1")

from transformer_nbdev.checkpoint import write_json  # noqa: E402
from transformer_nbdev.data import NANOGPT_COMMIT, load_tiny_shakespeare  # noqa: E402
from transformer_nbdev.gpt import (  # noqa: E402
    CharTokenizer,
    GPTConfig,
    RandomBatches,
    char_gpt_seed_run,
    nanogpt_seed_run,
)
from transformer_nbdev.checkpoint import cpu_model, run_record  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "nbs/foundations/nanogpt_run/results.json"
SEEDS = (1337, 1, 2, 3, 4)
SIZES = dict(max_seq_len=64, d_model=128, n_layers=4, n_heads=4)


def presets(vocab_size: int) -> dict:
    "The two model families at nanoGPT's sizes."
    return {
        "gpt2": GPTConfig.gpt2(vocab_size=vocab_size, bias=False, ffn="gelu", **SIZES),
        "llama": GPTConfig.llama(vocab_size=vocab_size, tie_embeddings=True, **SIZES),
    }


def sweep(vocab_size: int) -> dict:
    "The sweep: name -> (config, lr, warmup_steps). Fixed before any of its runs was made."
    p = presets(vocab_size)
    llama = p["llama"]
    return {
        "gpt2, lr 2e-3": (p["gpt2"], 2e-3, 100),
        "llama, lr 2e-3": (llama, 2e-3, 100),
        "llama, lr 3e-3": (llama, 3e-3, 100),
        "llama, lr 2e-3, d 192, 2 layers": (
            dataclasses.replace(llama, d_model=192, n_layers=2),
            2e-3,
            100,
        ),
        "llama, lr 2e-3, d 96, 7 layers": (
            dataclasses.replace(llama, d_model=96, n_layers=7),
            2e-3,
            100,
        ),
    }


def jobs(vocab_size: int) -> list[tuple[str, int]]:
    """(name, seed) of every run, in the order they are made (fixed before the first run; a
    session that runs out of time reports the runs it finished, in this order)."""
    # nanoGPT and our GPT-2 preset in rounds, one seed per round: side by side for the timings
    rounds = [(name, s) for s in SEEDS for name in ("nanogpt", "gpt2")]
    names = list(sweep(vocab_size))
    # then the LLaMA preset's first two seeds, the two learning-rate points of the sweep, the
    # LLaMA preset's other seeds, and the rest of the sweep, one seed per sweep point
    return (
        rounds
        + [("llama", 1337), ("llama", 1)]
        + [(names[0], 1337), (names[1], 1337)]
        + [("llama", s) for s in SEEDS[2:]]
        + [(name, 1337) for name in names[2:]]
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dry-run", action="store_true", help="list the runs, make none")
    ap.add_argument("--out", type=Path, default=OUT, help="the results JSON")
    args = ap.parse_args()
    text = load_tiny_shakespeare()
    tok = CharTokenizer(text)
    data = torch.tensor(tok.encode(text))
    n_train = int(0.9 * len(data))
    train_data, val_data = data[:n_train], data[n_train:]
    val_batches = RandomBatches(val_data, 64, 12, n_batches=20, seed=1)  # the chapter's
    score_batches = RandomBatches(val_data, 64, 12, n_batches=200, seed=2)  # the chapter's
    results = (
        __import__("json").loads(args.out.read_text())
        if args.out.exists()
        else run_record()  # the book's run record; `machine` as the committed file has it
        | dict(
            nanogpt_commit=NANOGPT_COMMIT,
            machine=f"{cpu_model()}, one thread, shared with other jobs",
            score_batches="RandomBatches(val_data, 64, 12, n_batches=200, seed=2)",
            runs=[],
        )
    )
    done = {(r["name"], r["seed"]) for r in results["runs"]}
    todo = [j for j in jobs(tok.vocab_size) if j not in done]
    print(f"{len(done)} runs in {args.out.name}, {len(todo)} to make", flush=True)
    if args.dry_run:
        print(*todo, sep="\n")
        return
    configs = {**{k: (v, 1e-3, 100) for k, v in presets(tok.vocab_size).items()}}
    configs.update(sweep(tok.vocab_size))
    for name, seed in todo:
        start = time.perf_counter()
        if name == "nanogpt":
            with tempfile.TemporaryDirectory() as d:
                run = nanogpt_seed_run(Path(d) / "run", text, seed, score_batches)
        else:
            config, lr, warmup = configs[name]
            run = char_gpt_seed_run(
                config, seed, train_data, val_batches, score_batches, lr=lr, warmup_steps=warmup
            )
        run = dict(name=name, **run, wall_s=time.perf_counter() - start)
        results["runs"].append(run)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_json(args.out, results)
        mean = sum(run["val_losses"]) / len(run["val_losses"])
        print(
            f"{time.strftime('%H:%M:%S')} {name:34s} seed {seed:4d}: val 20 {run['val_loss_20']:.4f}"
            f", 200 batches {mean:.4f}, {run['step_s'] * 1000:.1f} ms/step, "
            f"{run['wall_s']:.0f} s",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())

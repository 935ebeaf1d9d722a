"""The LoRA addition runs of chapter 16 (nbs/fine_tuning/07_in_context.ipynb), in a background process.

    python tools/lora_addition_runs.py FMT:STEPS[,FMT:STEPS...] [RUN_DIR]

Each run calls the chapter's `lora_addition_run` on a fresh copy of SmolLM2-135M-Instruct (one thread) and
writes RUN_DIR/lora_addition_{FMT}_{STEPS}.json (default RUN_DIR: nbs/fine_tuning/in_context_run), the file
and format the notebook's `stored_result` reads. Runs whose file exists are skipped. Several processes can
share one list: each claims a run by creating its `.claim` file first, so no run is computed twice; start
them with the longest runs first and they balance themselves.
"""

import copy
import os
import sys
import time
from pathlib import Path

import torch

torch.set_num_threads(1)

from transformer_nbdev.checkpoint import write_json
from transformer_nbdev.in_context import addition_problems, lora_addition_run
from transformer_nbdev.pretrained import load_smollm2

N_TEST = 100  # the notebook's N_LORA_TEST: its first 30 are the prompted problems


def main(runs: list[tuple[str, int]], run_dir: Path) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    test_pairs = addition_problems(N_TEST, 3, seed=1)
    model = tokenizer = None
    for fmt, steps in runs:
        path = run_dir / f"lora_addition_{fmt}_{steps}.json"
        claim = path.with_suffix(".claim")
        if path.exists():
            continue
        try:
            os.close(os.open(claim, os.O_CREAT | os.O_EXCL))
        except FileExistsError:  # another process runs it
            continue
        if model is None:
            model, tokenizer = load_smollm2(max_seq_len=2048)
            model.eval()
        print(f"--- {fmt}, {steps} steps", flush=True)
        start = time.perf_counter()
        result = lora_addition_run(copy.deepcopy(model), tokenizer, fmt, steps, test_pairs)
        write_json(path, {"result": result, "seconds": time.perf_counter() - start})
        claim.unlink()


if __name__ == "__main__":
    specs = [s.split(":") for s in sys.argv[1].split(",")]
    run_dir = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("nbs/fine_tuning/in_context_run")
    main([(fmt, int(steps)) for fmt, steps in specs], run_dir)

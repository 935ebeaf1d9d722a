"""The runs of chapter 17 (nbs/fine_tuning/08_peft_family.ipynb): LoRA and the five methods of the chapter,
each trained on chapter 13's instruction task in a fresh one-threaded process.

    python tools/peft_family_runs.py METHOD[,METHOD...] RUN_DIR SETTINGS_JSON

For each method: load SmolLM2-135M-Instruct, seed 0, apply the method, run chapter 13's
`tune(..., method="prepared")` with the settings' configuration and the method's learning rate, then write
RUN_DIR/{METHOD}_result.json (tune's record plus the CPU time of the training steps), RUN_DIR/{METHOD}.safetensors
(the trained parameters in float16) and RUN_DIR/answers_{METHOD}.json (greedy answers to the test records).
The CPU time of the training steps (evaluations excluded) is measured by timing `Trainer.fit` with
`time.process_time()`: other jobs on a shared machine do not inflate it. Several methods in one call share
one process and one loaded model (each method gets a copy): for quick tests only, since the peak memory of
that process is then not the method's alone.
"""

import copy, json, sys, time
from pathlib import Path

import torch

torch.set_num_threads(1)

from transformer_nbdev.checkpoint import run_record, write_json
from transformer_nbdev.instruction_data import load_instruction_splits
from transformer_nbdev.instruction_tuning import (
    InstructionTuningConfig,
    generate_answers,
    save_adapter,
    save_answers,
    tune,
)
from transformer_nbdev.lora import apply_lora
from transformer_nbdev.peft_family import (
    apply_adapters,
    apply_dora,
    apply_ia3,
    apply_prefix_tuning,
    apply_prompt_tuning,
    save_peft,
)
from transformer_nbdev.finetuning import LORA_TARGETS
from transformer_nbdev.pretrained import load_smollm2
from transformer_nbdev.training import Trainer, seed_everything

APPLY = {
    "lora": lambda m, s: apply_lora(m, list(LORA_TARGETS), **s),
    "prompt_tuning": lambda m, s: apply_prompt_tuning(m, **s),
    "prefix_tuning": lambda m, s: apply_prefix_tuning(m, **s),
    "ia3": lambda m, s: apply_ia3(m, **s),
    "adapters": lambda m, s: apply_adapters(m, **s),
    "dora": lambda m, s: apply_dora(m, list(LORA_TARGETS), **s),
}


def run(method: str, model, tokenizer, splits: dict, run_dir: Path, settings: dict) -> None:
    seed_everything(0)  # as tune does before it adds LoRA: DoRA draws LoRA's A matrices
    APPLY[method](model, settings["methods"][method]["apply"])
    config = InstructionTuningConfig(
        method="prepared", lr=settings["methods"][method]["lr"], **settings["config"]
    )
    cpu = {"train": 0.0}
    fit = Trainer.fit

    def timed_fit(self, *args, **kwargs):  # CPU time of the training steps only
        t0 = time.process_time()
        try:
            return fit(self, *args, **kwargs)
        finally:
            cpu["train"] += time.process_time() - t0

    Trainer.fit = timed_fit
    try:
        result = tune(model, tokenizer, splits, config, out_dir=None, verbose=True)
    finally:
        Trainer.fit = fit
    result.update(
        peft_method=method,
        apply_settings=settings["methods"][method]["apply"],
        lr_reason=settings["methods"][method]["why"],
        train_cpu_seconds=cpu["train"],
        cpu_seconds_per_step=cpu["train"] / max(result["steps"], 1),
    )
    if method == "lora":
        save_adapter(model, run_dir / f"{method}.safetensors", "float16")
    else:
        save_peft(model, run_dir / f"{method}.safetensors", "float16")
    start = time.perf_counter()
    answers = generate_answers(model, tokenizer, splits["test"], **settings["generation"])
    save_answers(run_dir / f"answers_{method}.json", splits["test"], answers, {
        "model": f"SmolLM2-135M-Instruct + {method}", "template": "chat", "decoding": "greedy",
        **settings["generation"], "seconds": time.perf_counter() - start, **run_record(),
    })
    write_json(run_dir / f"{method}_result.json", result)


def main(methods: list[str], run_dir: Path, settings: dict) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    splits = {k: v[: settings["n_records"][k]] for k, v in load_instruction_splits().items()}
    model, tokenizer = load_smollm2(max_seq_len=512)
    for method in methods:
        run(method, copy.deepcopy(model) if len(methods) > 1 else model, tokenizer, splits,
            run_dir, settings)


if __name__ == "__main__":
    main(sys.argv[1].split(","), Path(sys.argv[2]), json.loads(Path(sys.argv[3]).read_text()))

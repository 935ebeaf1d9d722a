"""The long runs of the book were trained by loops written around `Trainer.fit` before the trainer had hooks:
`train_translation` averaged the last epochs in an outer per-epoch loop, `tune` validated and kept the best
parameters in an outer loop. Both are now configurations of the `Trainer` (the `AverageLast` and `KeepBest`
policies, `eval_every`). The committed runs (Multi30k: 50 minutes; instruction tuning: 20 minutes) are not
retrained; what keeps them valid is that a shortened run of the new code gives the old loop's numbers to the last
digit. The old loops are kept here, verbatim, as the reference. (The grokking and induction loops of chapter 7
have the same check under their definitions, in their notebooks.)"""
import copy, math, shutil, tempfile, time
from functools import partial
from pathlib import Path

import pytest
import torch
from torch.utils.data import DataLoader

from transformer_nbdev.batching import BucketBatchSampler, TranslationDataset, collate_batch
from transformer_nbdev.tokenizer import BPETokenizer
from transformer_nbdev.training import Seq2SeqLoss, Trainer, TrainConfig, average_state_dicts, seed_everything
from transformer_nbdev.translation import TranslationConfig, build_model, load_pairs, train_translation


def old_train_translation(c: TranslationConfig) -> dict:
    "train_translation up to its run record, with the per-epoch loop that trained the committed run."
    seed_everything(c.seed)
    train_pairs, val_pairs = load_pairs("train", c), load_pairs("val", c)
    if c.max_train_pairs is not None:
        train_pairs = train_pairs[: c.max_train_pairs]
    tokenizer = BPETokenizer.train([s for pair in train_pairs for s in pair], c.vocab_size)
    train_ds, val_ds = TranslationDataset(train_pairs, tokenizer), TranslationDataset(val_pairs, tokenizer)
    collate = partial(collate_batch, pad_id=tokenizer.pad_id)
    train_dl = DataLoader(train_ds, collate_fn=collate,
                          batch_sampler=BucketBatchSampler(train_ds.lengths, batch_tokens=c.batch_tokens, seed=c.seed))
    val_dl = DataLoader(val_ds, collate_fn=collate,
                        batch_sampler=BucketBatchSampler(val_ds.lengths, batch_tokens=c.batch_tokens, shuffle=False))
    model = build_model(c, tokenizer.vocab_size)
    trainer = Trainer(model, Seq2SeqLoss(tokenizer.pad_id, c.label_smoothing), train_dl, val_dl,
                      TrainConfig(epochs=c.epochs, lr=c.lr, schedule="cosine", warmup_steps=c.warmup_steps,
                                  weight_decay=c.weight_decay, grad_clip=1.0, progress=False, device="cpu"))
    # --- the old loop, verbatim ---
    snapshots, t0 = [], time.perf_counter()
    while (
        trainer.epoch < c.epochs
    ):  # one epoch at a time, keeping the weights of the last `average_last` epochs
        trainer.fit(n_steps=trainer.steps_per_epoch)
        if trainer.epoch > c.epochs - c.average_last:
            snapshots.append({k: v.detach().cpu().clone() for k, v in model.state_dict().items()})
    val_last = trainer.history["val_loss"][-1]
    model.load_state_dict(average_state_dicts(snapshots))
    val_avg = trainer.evaluate()
    # ---
    return dict(history=trainer.history, val_loss_last=val_last, val_loss_averaged=val_avg,
                state=model.state_dict())


def test_translation_loop_reproduced(tmp_path):
    c = TranslationConfig(max_train_pairs=300, vocab_size=500, d_model=32, n_heads=2, n_layers=1, d_ff=64,
                          epochs=3, average_last=2, batch_tokens=1024)
    try:
        old = old_train_translation(c)
    except OSError as e:  # no network and no mirror: nothing to compare
        pytest.skip(f"Multi30k unavailable: {e}")
    run = train_translation(c, tmp_path, progress=False)
    import json
    from transformer_nbdev.training import load_checkpoint
    history = json.loads((tmp_path / "history.json").read_text())
    for k in ("step", "train_loss", "lr", "grad_norm", "val_loss", "epoch_step"):
        assert history[k] == old["history"][k], k
    assert run["val_loss_last"] == old["val_loss_last"]
    assert run["val_loss_averaged"] == old["val_loss_averaged"]
    new_model, _ = load_checkpoint(tmp_path / "model")
    for k, v in new_model.state_dict().items():
        assert torch.equal(v, old["state"][k]), k
    for k in ("cpu", "python", "torch", "transformer_nbdev", "torch_threads", "wall_s", "cpu_s"):
        assert k in run, k  # the run record (checkpoint.run_record)


def old_tune_loop(model, tokenizer, splits, c) -> dict:
    "tune's set-up and the outer loop around fit that trained the committed runs (printing left out)."
    import safetensors.torch
    from transformer_nbdev.instruction_data import encode_examples, instruction_loss, make_batches
    from transformer_nbdev.finetuning import prepare_finetuning

    _trainable = lambda m: {n: p for n, p in m.named_parameters() if p.requires_grad}
    seed_everything(c.seed)
    prepare_finetuning(model, "lora", target_modules=c.target_modules, r=c.r, alpha=c.alpha, dropout=c.lora_dropout)
    pad_id = tokenizer.pad_id
    train = encode_examples(splits["train"], tokenizer, c.template, c.max_length, c.truncation)
    val = encode_examples(splits["val"], tokenizer, c.template, c.max_length, c.truncation)
    batches = make_batches(train, c.batch_size, pad_id, c.packing, c.max_length, shuffle=True, seed=c.seed)
    epochs = c.epochs
    if c.max_steps is not None:
        batches, epochs = (batches * c.epochs)[: c.max_steps], 1
    val_batches = make_batches(val, c.batch_size, pad_id, c.packing, c.max_length, shuffle=False)
    trainer = Trainer(model, instruction_loss, batches,
                      config=TrainConfig(epochs=epochs, lr=c.lr, schedule="cosine", warmup_steps=c.warmup_steps,
                                         min_lr_ratio=c.min_lr_ratio, betas=(0.9, 0.999), eps=1e-8,
                                         weight_decay=c.weight_decay, grad_clip=c.grad_clip, progress=False))
    # --- the old loop, verbatim but for the printing ---
    total_steps = epochs * len(batches)
    snapshot_dir = Path(tempfile.mkdtemp(prefix="tune-best-"))
    snapshot = snapshot_dir / "best.safetensors"
    evals, best = [], {"val_loss": math.inf, "step": 0}

    def evaluate() -> None:
        val_loss = trainer.evaluate(val_batches)
        evals.append({"step": trainer.step, "val_loss": val_loss})
        if val_loss < best["val_loss"]:
            best.update(val_loss=val_loss, step=trainer.step)
            safetensors.torch.save_file(
                {k: v.detach().contiguous() for k, v in _trainable(model).items()}, str(snapshot)
            )

    try:
        evaluate()  # step 0: the model before tuning
        while trainer.step < total_steps:
            step0 = trainer.step
            trainer.fit(n_steps=min(c.eval_every, total_steps - trainer.step))
            if trainer.step == step0:
                break  # nothing left to train
            evaluate()
        with torch.no_grad():  # back to the best evaluation's parameters
            for name, value in safetensors.torch.load_file(str(snapshot)).items():
                _trainable(model)[name].copy_(value)
    finally:
        shutil.rmtree(snapshot_dir, ignore_errors=True)
    # ---
    return dict(history=trainer.history, evals=evals, best=best,
                params={k: v.detach().clone() for k, v in _trainable(model).items()})


def test_tune_loop_reproduced():
    from transformer_nbdev.instruction_data import load_instruction_splits
    from transformer_nbdev.instruction_tuning import InstructionTuningConfig, tune
    from transformer_nbdev.pretrained import load_smollm2

    try:
        model, tokenizer = load_smollm2(max_seq_len=256)
        splits = load_instruction_splits()
    except OSError as e:
        pytest.skip(f"SmolLM2 or the instruction data unavailable: {e}")
    tiny = {"train": splits["train"][:16], "val": splits["val"][:4]}
    # eval_every=3 over 4 steps: evaluations at 0, 3 and after the last step (4)
    c = InstructionTuningConfig(batch_size=4, max_steps=4, eval_every=3, warmup_steps=1)
    old = old_tune_loop(copy.deepcopy(model), tokenizer, tiny, c)
    m = copy.deepcopy(model)
    new = tune(m, tokenizer, tiny, c, verbose=False)
    for k in ("step", "train_loss", "lr", "grad_norm"):
        assert new["history"][k] == old["history"][k], k
    assert [(e["step"], e["val_loss"]) for e in new["evals"]] == [(e["step"], e["val_loss"]) for e in old["evals"]]
    assert [e["step"] for e in new["evals"]] == [0, 3, 4]
    assert (new["best_step"], new["best_val_loss"]) == (old["best"]["step"], old["best"]["val_loss"])
    for name, p in m.named_parameters():
        if p.requires_grad:
            assert torch.equal(p, old["params"][name]), name

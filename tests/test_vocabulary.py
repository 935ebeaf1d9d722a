"""One vocabulary (issue 15, item 4): the public API's new names give no warning, each old name still works for one
release with a DeprecationWarning, and the original project's README calls stay silent. The book's notebooks pin
the same rules under each definition; this file checks them all in one place, in seconds."""

import warnings

import pytest
import torch
from torch import nn

from transformer_nbdev.attention import make_padding_mask
from transformer_nbdev.feed_forward import count_parameters
from transformer_nbdev.gpt import GPT, GPTConfig
from transformer_nbdev.sampling import beam_search, check_generation_args, generate_tokens, sample_tokens
from transformer_nbdev.training import (
    LabelSmoothingLoss,
    Seq2SeqLoss,
    copy_task_batch,
    noam_lr,
    noam_scheduler,
    sequences_equal,
    train_copy_task,
)
from transformer_nbdev.transformer import Transformer

SIZES = dict(src_vocab_size=11, tgt_vocab_size=11, d_model=16, n_heads=2, n_encoder_layers=1,
             n_decoder_layers=1, d_ff=32, dropout=0.0, max_seq_len=16)


def bigram_step(tokens, caches):
    return torch.log_softmax(torch.arange(5.0).repeat(tokens.shape[0], 1), -1)


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_new_names_give_no_warning(no_warnings):
    torch.manual_seed(0)
    model = Transformer(**SIZES, pad_id=0, bos_id=1, eos_id=2)
    src, tgt = copy_task_batch(4, 11, 5, pad_id=0, bos_id=1, eos_id=2, generator=torch.Generator().manual_seed(0))
    out = model.generate(src, max_new_tokens=6, temperature=0, bos_id=1, eos_id=2)
    sequences_equal(out, tgt, pad_id=0)
    model.step_function(model.encode(src), model.src_mask(src), eos_id=2)
    assert (model.pad_id, model.bos_id, model.eos_id) == (0, 1, 2)
    make_padding_mask(src, pad_id=0)
    prefix = torch.ones(2, 1, dtype=torch.long)
    sample_tokens(bigram_step, prefix, 3, eos_id=4, pad_id=0)
    beam_search(bigram_step, prefix, 3, num_beams=2, eos_id=4, pad_id=0)
    generate_tokens(bigram_step, prefix, max_new_tokens=3, eos_id=4, pad_id=0)
    noam_lr(10, 16, warmup_steps=5)
    noam_scheduler(torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0), 16, warmup_steps=5)
    train_copy_task(model, steps=2, batch_size=4, warmup_steps=1, max_len=5, progress=False)
    LabelSmoothingLoss(label_smoothing=0.1, ignore_index=0).label_smoothing
    Seq2SeqLoss(pad_id=0, label_smoothing=0.1)(model, (src, tgt))
    gpt = GPT(GPTConfig(vocab_size=11, max_seq_len=16, d_model=16, n_layers=1, n_heads=2))
    gpt.generate(torch.ones(1, 2, dtype=torch.long), max_new_tokens=3, eos_id=2)
    assert gpt.num_params() == count_parameters(gpt)["total"]
    assert gpt.num_params(non_embedding=True) == count_parameters(gpt, non_embedding=True)["total"]


def test_readme_calls_stay_silent(no_warnings):
    model = Transformer(src_vocab_size=11, tgt_vocab_size=11, d_model=16, n_heads=2, n_encoder_layers=1,
                        n_decoder_layers=1, d_ff=32, dropout=0.1, activation="gelu", tie_weights=True, pad_idx=0)
    assert model.pad_idx == model.pad_id == 0
    src = torch.tensor([[3, 4, 5, 0]])
    torch.manual_seed(0)
    a = model.generate(src, max_len=5, temperature=0.8)
    torch.manual_seed(0)
    assert torch.equal(a, model.generate(src, max_new_tokens=5, temperature=0.8))
    model.generate(src, max_len=5, start_token=1, end_token=2)


@pytest.mark.parametrize("call", [
    lambda m, src: Transformer(**SIZES, bos_idx=1),
    lambda m, src: Transformer(**SIZES, eos_idx=2),
    lambda m, src: m.bos_idx,
    lambda m, src: m.eos_idx,
    lambda m, src: m.generate(src, max_new_tokens=3, bos_idx=1),
    lambda m, src: m.generate(src, max_new_tokens=3, eos_idx=2),
    lambda m, src: m.step_function(m.encode(src), eos_idx=2),
    lambda m, src: copy_task_batch(2, 11, 4, pad_idx=0),
    lambda m, src: sequences_equal(src, src, pad_idx=0),
    lambda m, src: make_padding_mask(src, pad_idx=0),
    lambda m, src: sample_tokens(bigram_step, src[:, :1], 2, eos_idx=4),
    lambda m, src: beam_search(bigram_step, src[:, :1], 2, pad_idx=0),
    lambda m, src: generate_tokens(bigram_step, src[:, :1], 2, eos_idx=4, pad_idx=0),
    lambda m, src: noam_lr(10, 16, warmup=5),
    lambda m, src: noam_scheduler(torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0), 16, warmup=5),
    lambda m, src: train_copy_task(m, steps=1, batch_size=2, warmup=1, max_len=4, progress=False),
    lambda m, src: LabelSmoothingLoss(epsilon=0.1),
    lambda m, src: LabelSmoothingLoss(0.1).epsilon,
    lambda m, src: Seq2SeqLoss(pad_idx=0),
    lambda m, src: Seq2SeqLoss(0, epsilon=0.1),
])
def test_old_names_warn_for_one_release(call):
    model, src = Transformer(**SIZES, pad_id=0), torch.tensor([[3, 4, 5, 0]])
    with pytest.warns(DeprecationWarning, match="is deprecated, use"):
        call(model, src)


def test_old_module_attributes_warn():
    import transformer_nbdev.pretrained as pretrained
    import transformer_nbdev.transformer as transformer
    import transformer_nbdev.bench as bench

    with pytest.warns(DeprecationWarning, match="`DEFAULT_EOS_IDX` is deprecated, use `DEFAULT_EOS_ID`"):
        assert transformer.DEFAULT_EOS_IDX == transformer.DEFAULT_EOS_ID == 2
    with pytest.warns(DeprecationWarning, match="pretrained.count_parameters is deprecated"):
        assert pretrained.count_parameters(nn.Linear(3, 2)) == (8, 8)
    with pytest.warns(DeprecationWarning, match="is deprecated, use `count_parameters"):
        assert bench.n_params(nn.Linear(3, 2)) == 8
    assert "count_parameters" not in pretrained.__all__


# Names that moved to the module of the chapter that teaches them (issue 15, item 3): the old import paths work
# for one release with a DeprecationWarning naming the new home, and give the very same object.
_HF = ("HF_TO_GPT", "HF_CONFIG_FILE", "HF_WEIGHTS_FILE", "rename", "config_from_hf", "hf_llama_config",
       "load_state_dict_into", "save_hf", "load_hf")
_STRATEGIES = ("FINETUNING_STRATEGIES", "LORA_TARGETS", "prepare_finetuning", "untie_embeddings")
_GGUF = ("SMOLLM2_PACKAGE", "SMOLLM2_FILENAME", "SMOLLM2_SHA256", "SMOLLM2_INSTALL", "smollm2_path", "verify_sha256",
         "read_gguf", "gguf_metadata", "gguf_config", "permute_qk", "unpermute_qk", "GGUF_TO_HF", "gguf_state_dict",
         "load_gguf")
_CHAT = ("CHAT_ROLES", "format_chatml", "PretrainedTokenizer", "PRE_TOKENIZERS", "gguf_tokenizer", "HF_TOKENIZER_FILE",
         "HF_TOKENIZER_CONFIG_FILE", "generate_reply")
MOVED = ([("transformer_nbdev.gpt", n, "transformer_nbdev.hf") for n in ("from_hf_gpt2", "from_hf_llama")]
         + [("transformer_nbdev.pretrained", n, "transformer_nbdev.hf") for n in _HF]
         + [("transformer_nbdev.pretrained", n, "transformer_nbdev.finetuning") for n in _STRATEGIES]
         + [("transformer_nbdev.pretrained", n, "transformer_nbdev.gguf_io") for n in _GGUF]
         + [("transformer_nbdev.pretrained", n, "transformer_nbdev.chat") for n in _CHAT])


@pytest.mark.parametrize("old, name, new", MOVED)
def test_moved_names_warn_and_give_the_same_object(old, name, new):
    import importlib

    with pytest.warns(DeprecationWarning, match=rf"{old}: `{name}` is deprecated, use `{new}\.{name}`"):
        obj = getattr(importlib.import_module(old), name)
    assert obj is getattr(importlib.import_module(new), name)
    assert name not in importlib.import_module(old).__all__


def test_moved_names_old_import_statements_work():
    with pytest.warns(DeprecationWarning, match=r"use `transformer_nbdev\.hf\.from_hf_llama`"):
        from transformer_nbdev.gpt import from_hf_llama
    with pytest.warns(DeprecationWarning, match=r"use `transformer_nbdev\.finetuning\.prepare_finetuning`"):
        from transformer_nbdev.pretrained import prepare_finetuning
    with pytest.warns(DeprecationWarning, match=r"use `transformer_nbdev\.hf\.hf_llama_config`"):
        from transformer_nbdev.pretrained import hf_llama_config
    with pytest.warns(DeprecationWarning, match=r"use `transformer_nbdev\.chat\.PretrainedTokenizer`"):
        from transformer_nbdev.pretrained import PretrainedTokenizer
    with pytest.warns(DeprecationWarning, match=r"use `transformer_nbdev\.gguf_io\.read_gguf`"):
        from transformer_nbdev.pretrained import read_gguf
    from transformer_nbdev.chat import PretrainedTokenizer as new_tokenizer
    from transformer_nbdev.finetuning import prepare_finetuning as new
    from transformer_nbdev.gguf_io import read_gguf as new_reader
    from transformer_nbdev.hf import from_hf_llama as new_llama

    assert (prepare_finetuning, from_hf_llama) == (new, new_llama)
    assert (PretrainedTokenizer, read_gguf) == (new_tokenizer, new_reader)
    with pytest.raises(ImportError):
        from transformer_nbdev.pretrained import no_such_name  # noqa: F401


def test_new_homes_and_names_that_stayed_do_not_warn(no_warnings):
    from transformer_nbdev.finetuning import FINETUNING_STRATEGIES, prepare_finetuning  # noqa: F401
    from transformer_nbdev.hf import HF_TO_GPT, from_hf_gpt2, from_hf_llama, load_hf, save_hf  # noqa: F401
    from transformer_nbdev.chat import PretrainedTokenizer, format_chatml, generate_reply  # noqa: F401
    from transformer_nbdev.gguf_io import gguf_config, read_gguf, smollm2_path  # noqa: F401
    from transformer_nbdev.pretrained import SMOLLM2_FOLDER, gguf_to_hf, load_smollm2  # noqa: F401
@pytest.mark.parametrize("old_module, name, new_module", [
    ("translation", "average_state_dicts", "training"),
    ("training", "cpu_model", "checkpoint"),
    *[("transformer", name, "training") for name in ("copy_task_batch", "noam_lr", "noam_scheduler", "progress_bar",
                                                       "train_copy_task", "sequences_equal")],
    ("instruction_tuning", "rss_mb", "checkpoint"),
    ("instruction_tuning", "peak_rss_mb", "checkpoint"),
    ("instruction_tuning", "reset_peak_rss", "checkpoint"),
])
def test_moved_names_warn_for_one_release(old_module, name, new_module):
    "A name that moved to another module: the old import path gives the same object, with a warning."
    import importlib

    old, new = (importlib.import_module(f"transformer_nbdev.{m}") for m in (old_module, new_module))
    assert name not in old.__all__ and name in new.__all__
    with pytest.warns(DeprecationWarning, match=f"use `transformer_nbdev.{new_module}.{name}`"):
        assert getattr(old, name) is getattr(new, name)
    with pytest.raises(AttributeError, match="has no attribute"):
        getattr(old, "no_such_name")


def test_cpu_description_warns_and_keeps_its_keys():
    import transformer_nbdev.instruction_tuning as it

    with pytest.warns(DeprecationWarning, match="use `transformer_nbdev.checkpoint.run_record`"):
        assert set(it.cpu_description()) == {"cpu", "logical_cores", "torch_threads", "torch"}


def test_error_messages_use_the_new_names():
    with pytest.raises(ValueError, match=r"max_new_tokens=0 must be an integer in \[1, inf\)"):
        check_generation_args(max_new_tokens=0)
    with pytest.raises(ValueError, match="max_new_tokens=20 needs 21 target positions"):
        Transformer(**SIZES).generate(torch.tensor([[3, 4]]), max_new_tokens=20)


def test_no_stored_output_shows_a_deprecation_warning():
    "The book itself uses the new names: no notebook's stored outputs show a DeprecationWarning."
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    bad = []
    for nb_path in sorted((root / "nbs").rglob("*.ipynb")):
        for cell in json.loads(nb_path.read_text())["cells"]:
            if "DeprecationWarning" in json.dumps(cell.get("outputs", [])):
                bad.append(f"{nb_path.relative_to(root)} cell {cell.get('id')}")
    assert not bad, "stored outputs with a DeprecationWarning: " + ", ".join(bad)

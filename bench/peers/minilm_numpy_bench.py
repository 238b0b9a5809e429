"""Peer for bench/embeddings.ts: all-MiniLM-L6-v2 sentence embeddings in
float32 numpy (OpenBLAS matmuls), batched with padding + attention mask,
mean pooling, L2 norm; tokenization with the `tokenizers` package.
Reads {"modelDir", "sentences", "batchSizes", "runs"} as JSON on stdin and
prints {"results": [{"batchSize", "sentencesPerSecond"}], "version"}.
Used because sentence-transformers needs torch, which is too heavy here.
Needs: pip install numpy safetensors tokenizers
"""

import json
import math
import os
import sys
import time

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

SQRT1_2 = np.float32(1 / math.sqrt(2))


def erf(x):
    # Abramowitz & Stegun 7.1.26: |error| < 1.5e-7, below float32 resolution
    # here, and vectorized (math.erf per element would handicap the peer).
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


class MiniLM:
    def __init__(self, model_dir):
        self.cfg = json.load(open(os.path.join(model_dir, "config.json")))
        self.w = {k: v.astype(np.float32) for k, v in load_file(os.path.join(model_dir, "model.safetensors")).items()}
        st = json.load(open(os.path.join(model_dir, "sentence_bert_config.json")))
        self.tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
        self.tok.enable_truncation(max_length=st["max_seq_length"])
        self.tok.enable_padding(pad_id=0, pad_token="[PAD]")

    def lin(self, x, p):
        return x @ self.w[p + ".weight"].T + self.w[p + ".bias"]

    def embed(self, texts):
        enc = self.tok.encode_batch(texts)
        ids = np.array([e.ids for e in enc])
        mask = np.array([e.attention_mask for e in enc], dtype=np.float32)
        c, w = self.cfg, self.w
        B, L = ids.shape
        heads = c["num_attention_heads"]
        d = c["hidden_size"] // heads
        eps = c["layer_norm_eps"]
        h = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:L]
        h = h + w["embeddings.token_type_embeddings.weight"][0]
        h = layer_norm(h, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]
        for i in range(c["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            split = lambda t: t.reshape(B, L, heads, d).transpose(0, 2, 1, 3)
            q, k, v = (split(self.lin(h, p + "attention.self." + n)) for n in ("query", "key", "value"))
            s = q @ k.transpose(0, 1, 3, 2) / np.float32(math.sqrt(d)) + bias
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            a = (s @ v).transpose(0, 2, 1, 3).reshape(B, L, heads * d)
            h = layer_norm(h + self.lin(a, p + "attention.output.dense"),
                           w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], eps)
            x = self.lin(h, p + "intermediate.dense")
            x = 0.5 * x * (1 + erf(x * SQRT1_2))
            h = layer_norm(h + self.lin(x, p + "output.dense"),
                           w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
        v = (h * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def main():
    req = json.load(sys.stdin)
    model = MiniLM(req["modelDir"])
    sentences = req["sentences"]
    model.embed(sentences[:4])  # warm-up
    results = []
    for bs in req["batchSizes"]:
        best = 0.0
        for _ in range(req.get("runs", 1)):
            t = time.perf_counter()
            for i in range(0, len(sentences), bs):
                model.embed(sentences[i:i + bs])
            best = max(best, len(sentences) / (time.perf_counter() - t))
        results.append({"batchSize": bs, "sentencesPerSecond": best})
    json.dump({"results": results, "version": f"numpy {np.__version__}"}, sys.stdout)


if __name__ == "__main__":
    main()

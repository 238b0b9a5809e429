"""Peer measurement: MLX's own Python stack on the same GGUF weights.

A minimal Llama decoder written for this benchmark: the GGUF is loaded with
mx.load (Q4_1 arrives as MLX 4-bit, Q8_0 as 8-bit, group 32 weight/scales/biases), then
quantized_matmul, rms_norm, rope (traditional, as GGUF permutes Q/K for
interleaved rotation), SDPA with GQA and a preallocated KV cache.
Same stdin/stdout JSON protocol and timing definitions as
llamacpp_bench.py.
"""
import json
import resource
import sys
import time

import mlx.core as mx

GROUP = 32  # GGUF Q4_0/Q4_1/Q8_0 blocks hold 32 weights


def bits_of(w, name):
    # Q4_1 layers are 4-bit, but the embedding of this file is Q8_0.
    return w[f"{name}.weight"].shape[-1] * 32 // (w[f"{name}.scales"].shape[-1] * GROUP)


def meta_int(meta, key):
    return int(meta[key].item())


class Llama:
    def __init__(self, path, max_len):
        self.w, meta = mx.load(path, return_metadata=True)
        self.layers = meta_int(meta, "llama.block_count")
        self.heads = meta_int(meta, "llama.attention.head_count")
        self.kv_heads = meta_int(meta, "llama.attention.head_count_kv")
        self.dim = meta_int(meta, "llama.embedding_length")
        self.head_dim = self.dim // self.heads
        self.base = float(meta["llama.rope.freq_base"].item())
        self.eps = float(meta["llama.attention.layer_norm_rms_epsilon"].item())
        self.out = "output" if "output.weight" in self.w else "token_embd"
        self.max_len = max_len
        self.reset()

    def reset(self):
        shape = (1, self.kv_heads, self.max_len, self.head_dim)
        self.k = [mx.zeros(shape) for _ in range(self.layers)]
        self.v = [mx.zeros(shape) for _ in range(self.layers)]
        self.offset = 0

    def linear(self, x, name):
        w = self.w
        if f"{name}.scales" not in w:
            return x @ w[f"{name}.weight"].T
        return mx.quantized_matmul(
            x, w[f"{name}.weight"], w[f"{name}.scales"], w[f"{name}.biases"],
            transpose=True, group_size=GROUP, bits=bits_of(w, name),
        )

    def embed(self, ids):
        w = self.w
        if "token_embd.scales" not in w:
            return w["token_embd.weight"][ids]
        return mx.dequantize(
            w["token_embd.weight"][ids], w["token_embd.scales"][ids],
            w["token_embd.biases"][ids], group_size=GROUP, bits=bits_of(w, "token_embd"),
        ).astype(mx.float32)

    def attention(self, x, i):
        b, n, _ = x.shape
        p, off = f"blk.{i}", self.offset
        q = self.linear(x, f"{p}.attn_q").reshape(b, n, self.heads, -1).transpose(0, 2, 1, 3)
        k = self.linear(x, f"{p}.attn_k").reshape(b, n, self.kv_heads, -1).transpose(0, 2, 1, 3)
        v = self.linear(x, f"{p}.attn_v").reshape(b, n, self.kv_heads, -1).transpose(0, 2, 1, 3)
        q = mx.fast.rope(q, self.head_dim, traditional=True, base=self.base, scale=1.0, offset=off)
        k = mx.fast.rope(k, self.head_dim, traditional=True, base=self.base, scale=1.0, offset=off)
        self.k[i][:, :, off : off + n, :] = k
        self.v[i][:, :, off : off + n, :] = v
        keys, values = self.k[i][:, :, : off + n, :], self.v[i][:, :, : off + n, :]
        o = mx.fast.scaled_dot_product_attention(
            q, keys, values, scale=self.head_dim**-0.5, mask="causal" if n > 1 else None
        )
        return self.linear(o.transpose(0, 2, 1, 3).reshape(b, n, -1), f"{p}.attn_output")

    def __call__(self, ids):
        h = self.embed(mx.array(ids)[None])
        for i in range(self.layers):
            p = f"blk.{i}"
            h = h + self.attention(mx.fast.rms_norm(h, self.w[f"{p}.attn_norm.weight"], self.eps), i)
            x = mx.fast.rms_norm(h, self.w[f"{p}.ffn_norm.weight"], self.eps)
            gate = self.linear(x, f"{p}.ffn_gate")
            h = h + self.linear(gate * mx.sigmoid(gate) * self.linear(x, f"{p}.ffn_up"), f"{p}.ffn_down")
        self.offset += len(ids)
        last = mx.fast.rms_norm(h[:, -1:], self.w["output_norm.weight"], self.eps)
        return self.linear(last, self.out)[0, -1]


def run_once(model, prompt, gen_tokens):
    model.reset()
    t0 = time.perf_counter()
    out = [mx.argmax(model(prompt)).item()]
    t_first = time.perf_counter()
    for _ in range(gen_tokens - 1):
        out.append(mx.argmax(model(out[-1:])).item())
    t_end = time.perf_counter()
    ttft = t_first - t0
    return {
        "promptTokens": len(prompt),
        "ttftMs": ttft * 1000,
        "prefillTps": len(prompt) / ttft,
        "decodeTps": (gen_tokens - 1) / (t_end - t_first),
        "tokens": out[:16],  # for a sanity check against the other peers
    }


def main():
    req = json.load(sys.stdin)
    longest = max(len(p) for p in req["prompts"])
    model = Llama(req["model"], longest + req["genTokens"] + 16)
    run_once(model, req["prompts"][0][:16], 4)  # warm-up
    runs = []
    for prompt in req["prompts"]:
        for _ in range(req["runs"]):
            runs.append(run_once(model, prompt, req["genTokens"]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    weight_bytes = sum(a.nbytes for a in model.w.values())
    print(json.dumps({"runs": runs, "peakRssMb": peak, "version": mx.__version__,
                      "weightBytes": weight_bytes}))


if __name__ == "__main__":
    main()

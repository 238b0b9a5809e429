"""Writes a deterministic random-weight 4-bit model of Llama-3-8B's shape.

Generated on the GPU machine (4.5 GB is not worth carrying), twice from the
same numbers:
  <out>/model.gguf          GGUF Q4_0 (llama.cpp and our engine)
  <out>/mlx/                MLX safetensors + config.json (mlx-lm), 4-bit,
                            group 32, affine: Q4_0's block (d, 32 nibbles q)
                            is exactly scales = d, biases = -8 d, w = q.
Every quantized matrix (embedding and LM head included) is 4-bit; norms are
ones. Scales d ~ U(0.002, 0.006) keep activations finite through 32 layers.
The vocabulary is a placeholder SentencePiece list (llama.cpp needs one);
benchmarks feed token ids, never text.

Usage: python3 randomLlama.py --out DIR [--layers 32] [--seed 8]
"""
import argparse
import json
import os
import time

import numpy as np

SHAPE = dict(hidden=4096, layers=32, heads=32, kv_heads=8, head_dim=128,
             intermediate=14336, vocab=128256, rope_theta=500000.0, eps=1e-5, context=8192)
GROUP = 32


def nibbles(rng, rows, cols):
    """Random 4-bit codes: (q [rows, cols] uint8 0..15, the same as bytes).

    Byte k of a row holds q[2k] (low nibble) and q[2k + 1] (high nibble),
    which read as little-endian uint32 words is exactly MLX's packing.
    """
    b = np.frombuffer(rng.bytes(rows * cols // 2), dtype=np.uint8).reshape(rows, cols // 2)
    q = np.empty((rows, cols), dtype=np.uint8)
    q[:, 0::2] = b & 15
    q[:, 1::2] = b >> 4
    return q, b


def q4_0_bytes(q, d):
    """GGUF Q4_0 rows: per block of 32, fp16 d then 16 bytes (q[j] | q[j+16] << 4)."""
    rows, cols = q.shape
    blocks = q.reshape(rows, cols // GROUP, GROUP)
    packed = blocks[:, :, :16] | (blocks[:, :, 16:] << 4)
    out = np.empty((rows, cols // GROUP, 18), dtype=np.uint8)
    out[:, :, :2] = d.astype(np.float16).reshape(rows, cols // GROUP, 1).view(np.uint8)
    out[:, :, 2:] = packed
    return out.reshape(rows, cols // GROUP * 18)


def mlx_pack(b):
    """MLX affine 4-bit: element i of a row sits at bits 4 * (i % 8) of word i // 8."""
    return np.ascontiguousarray(b).view("<u4")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--layers", type=int, default=SHAPE["layers"])
    ap.add_argument("--seed", type=int, default=8)
    a = ap.parse_args()
    import gguf
    from safetensors.numpy import save_file

    s = dict(SHAPE, layers=a.layers)
    os.makedirs(os.path.join(a.out, "mlx"), exist_ok=True)
    t0 = time.time()
    H, I, V = s["hidden"], s["intermediate"], s["vocab"]
    q_out, kv_out = s["heads"] * s["head_dim"], s["kv_heads"] * s["head_dim"]
    mats = [("token_embd", "model.embed_tokens", V, H)]
    for i in range(s["layers"]):
        g, h = f"blk.{i}.", f"model.layers.{i}."
        mats += [(g + "attn_q", h + "self_attn.q_proj", q_out, H),
                 (g + "attn_k", h + "self_attn.k_proj", kv_out, H),
                 (g + "attn_v", h + "self_attn.v_proj", kv_out, H),
                 (g + "attn_output", h + "self_attn.o_proj", H, q_out),
                 (g + "ffn_gate", h + "mlp.gate_proj", I, H),
                 (g + "ffn_up", h + "mlp.up_proj", I, H),
                 (g + "ffn_down", h + "mlp.down_proj", H, I)]
    mats.append(("output", "lm_head", V, H))

    w = gguf.GGUFWriter(os.path.join(a.out, "model.gguf"), "llama")
    w.add_name("random-llama-3-8b-shape-q4_0")
    w.add_context_length(s["context"])
    w.add_embedding_length(H)
    w.add_block_count(s["layers"])
    w.add_feed_forward_length(I)
    w.add_head_count(s["heads"])
    w.add_head_count_kv(s["kv_heads"])
    w.add_rope_freq_base(s["rope_theta"])
    w.add_layer_norm_rms_eps(s["eps"])
    w.add_vocab_size(V)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_Q4_0)
    # Placeholder SentencePiece vocabulary: <unk> <s> </s>, 256 byte tokens, then fillers.
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{i:02X}>" for i in range(256)]
    tokens += [f"\u2581t{i}" for i in range(V - len(tokens))]
    types = [2, 3, 3] + [6] * 256 + [1] * (V - 259)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores([0.0] * V)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)

    safe = {}
    ones = np.ones(H, dtype=np.float32)
    for i, (gname, hname, rows, cols) in enumerate(mats):
        rng = np.random.default_rng([a.seed, i])
        q, packed = nibbles(rng, rows, cols)
        d = rng.uniform(0.002, 0.006, size=(rows, cols // GROUP)).astype(np.float16)
        w.add_tensor(gname + ".weight", q4_0_bytes(q, d), raw_dtype=gguf.GGMLQuantizationType.Q4_0)
        safe[hname + ".weight"] = mlx_pack(packed)
        safe[hname + ".scales"] = d
        safe[hname + ".biases"] = (d * np.float16(-8)).astype(np.float16)
        if gname.endswith("attn_q"):
            layer = gname.split(".")[1]
            w.add_tensor(f"blk.{layer}.attn_norm.weight", ones)
            w.add_tensor(f"blk.{layer}.ffn_norm.weight", ones)
            safe[f"model.layers.{layer}.input_layernorm.weight"] = ones.astype(np.float16)
            safe[f"model.layers.{layer}.post_attention_layernorm.weight"] = ones.astype(np.float16)
    w.add_tensor("output_norm.weight", ones)
    safe["model.norm.weight"] = ones.astype(np.float16)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    save_file(safe, os.path.join(a.out, "mlx", "model.safetensors"))
    config = {
        "model_type": "llama", "architectures": ["LlamaForCausalLM"],
        "hidden_size": H, "num_hidden_layers": s["layers"], "intermediate_size": I,
        "num_attention_heads": s["heads"], "num_key_value_heads": s["kv_heads"],
        "head_dim": s["head_dim"], "rms_norm_eps": s["eps"], "vocab_size": V,
        "rope_theta": s["rope_theta"], "max_position_embeddings": s["context"],
        "tie_word_embeddings": False, "torch_dtype": "float16",
        "bos_token_id": 1, "eos_token_id": 2,
        "quantization": {"group_size": GROUP, "bits": 4},
    }
    json.dump(config, open(os.path.join(a.out, "mlx", "config.json"), "w"), indent=1)
    json.dump(dict(s, quant="Q4_0 / MLX 4-bit g32", seed=a.seed,
                   ggufBytes=os.path.getsize(os.path.join(a.out, "model.gguf")),
                   seconds=time.time() - t0),
              open(os.path.join(a.out, "shape.json"), "w"), indent=1)
    print(json.dumps({"out": a.out, "seconds": round(time.time() - t0, 1)}))


if __name__ == "__main__":
    main()

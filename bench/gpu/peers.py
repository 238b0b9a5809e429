"""Peer benchmarks on the GPU machine (scripts/gpu/remote.sh bench-peers).

Same models and definitions as bench/gpu/engine.ts: prefill and decode tok/s
at batch 1 (prompt 512, 128 generated), aggregate tok/s at 8 and 32 streams
(prompt 128, 128 generated each), greedy, token ids fed directly.
  llama.cpp  CUDA build of the llama-cpp-python 0.3.36 sdist's vendored
             source (llama-bench: pp512/tg128; llama-batched-bench: S_PP,
             S_TG and S at 8/32 parallel sequences)
  mlx-lm     0.32.2 on the same mlx-cuda-13 wheel (generate_step at batch 1,
             BatchGenerator at 8/32); SmolLM2's GGUF is converted to an MLX
             folder first (Q4_1 -> 4-bit, the Q8_0 embedding -> 8-bit, Q/K rows
             un-permuted); Gemma's K-quants have no MLX form and are skipped
  HF transformers bf16 (installed there): generate() with a dynamic cache
Usage: python3 peers.py --stage /tmp/stage --out FILE [--only NAME]
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import time

PROMPT, GEN, STREAMS = 512, 128, (8, 32)


def models(stage):
    hub = os.environ.get("HF_HUB_CACHE", os.path.join(stage, "hub"))
    return [
        ("SmolLM2-135M-Instruct Q4_1", glob.glob(f"{hub}/models--QuantFactory--SmolLM2-135M-Instruct-GGUF/snapshots/*/*.gguf")),
        ("Gemma 3 270M Q4_K_M", glob.glob(f"{hub}/models--hugginllam--gemma-3-270m-Q4_K_M-GGUF/snapshots/*/*.gguf")),
        # randomLlama.py writes shape.json last: only a finished model counts.
        ("random Llama-3-8B shape Q4_0", glob.glob(f"{stage}/models/llama3-8b-q4/model.gguf")
         if os.path.exists(f"{stage}/models/llama3-8b-q4/shape.json") else []),
    ]


def ids(n, vocab, seed):
    x, out = seed * 2654435761 + 12345, []
    for _ in range(n):
        x = (x * 1103515245 + 12345) % 2147483648
        out.append(300 + x % (vocab - 600))
    return out


# ---------------------------------------------------------------- llama.cpp
def llamacpp(stage, name, gguf):
    bin_dir = os.path.join(stage, "llama.cpp", "build", "bin")
    bench = subprocess.run([f"{bin_dir}/llama-bench", "-m", gguf, "-p", str(PROMPT), "-n", str(GEN),
                            "-ngl", "99", "-r", "2", "-o", "json"], capture_output=True, text=True, timeout=300)
    if bench.returncode:
        raise RuntimeError(bench.stderr[-800:])
    rows = json.loads(bench.stdout)
    pp = next(r for r in rows if r["n_prompt"] > 0)
    tg = next(r for r in rows if r["n_gen"] > 0)
    out = [{"streams": 1, "promptTokens": PROMPT, "genTokens": GEN,
            "prefillTps": pp["avg_ts"], "decodeTps": tg["avg_ts"]}]
    npl = ",".join(map(str, STREAMS))
    bb = subprocess.run([f"{bin_dir}/llama-batched-bench", "-m", gguf, "-ngl", "99", "-c", str(max(STREAMS) * (128 + GEN) + 256),
                         "-npp", "128", "-ntg", str(GEN), "-npl", npl], capture_output=True, text=True, timeout=300)
    if bb.returncode:
        raise RuntimeError(bb.stderr[-800:])
    for line in bb.stdout.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 10 and cells[0].isdigit():
            b = int(cells[2])
            out.append({"streams": b, "promptTokens": int(cells[0]), "genTokens": int(cells[1]),
                        "aggregatePrefillTps": float(cells[5]), "aggregateDecodeTps": float(cells[7]),
                        "aggregateTps": b * int(cells[1]) / float(cells[8])})
    version = re.search(r'"build_commit":\s*"([^"]+)"', bench.stdout)
    return {"rows": out, "version": version.group(1) if version else "llama-cpp-python 0.3.36 vendored"}


# ------------------------------------------------------------------- mlx-lm
def gguf_to_mlx(gguf, out):
    """SmolLM2's GGUF as an mlx-lm folder (llama, tied embeddings)."""
    import mlx.core as mx
    if os.path.exists(f"{out}/config.json"):
        return out
    w, meta = mx.load(gguf, return_metadata=True)
    num = lambda k: int(meta[k].item()) if hasattr(meta[k], "item") else int(meta[k])
    H, L = num("llama.embedding_length"), num("llama.block_count")
    heads, kv = num("llama.attention.head_count"), num("llama.attention.head_count_kv")
    names = {"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"}
    per = {"attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
           "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
           "ffn_down": "mlp.down_proj", "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm"}

    def unpermute(a, n):  # llama.cpp permuted Q/K rows for its interleaved rope
        rows = a.shape[0]
        return a.reshape(n, rows // n // 2, 2, *a.shape[1:]).swapaxes(1, 2).reshape(a.shape)

    out_w, quant = {}, {"group_size": 32, "bits": 4}
    for k, v in w.items():
        parts = k.split(".")
        if parts[0] == "blk":
            base = f"model.layers.{parts[1]}.{per[parts[2]]}"
            if parts[2] in ("attn_q", "attn_k"):
                v = unpermute(v, heads if parts[2] == "attn_q" else kv)
        else:
            base = names[parts[0]]
        out_w[f"{base}.{parts[-1]}"] = v
        if parts[-1] == "scales":
            bits = w[k.replace("scales", "weight")].shape[-1] * 32 // (v.shape[-1] * 32)
            if bits != 4:
                quant[base] = {"group_size": 32, "bits": bits}
    os.makedirs(out, exist_ok=True)
    mx.save_safetensors(f"{out}/model.safetensors", out_w)
    vocab = w["token_embd.weight"].shape[0]
    cfg = {"model_type": "llama", "hidden_size": H, "num_hidden_layers": L,
           "intermediate_size": num("llama.feed_forward_length"), "num_attention_heads": heads,
           "num_key_value_heads": kv, "rms_norm_eps": float(meta["llama.attention.layer_norm_rms_epsilon"].item()),
           "vocab_size": vocab, "rope_theta": float(meta["llama.rope.freq_base"].item()),
           "tie_word_embeddings": "output.weight" not in w, "quantization": quant}
    json.dump(cfg, open(f"{out}/config.json", "w"))
    return out


def mlxlm(stage, name, gguf):
    import mlx.core as mx
    from mlx_lm.generate import BatchGenerator, generate_step
    from mlx_lm.utils import load_model
    from pathlib import Path
    if "Llama-3-8B" in name:
        folder = os.path.join(os.path.dirname(gguf), "mlx")
    elif "SmolLM2" in name:
        folder = gguf_to_mlx(gguf, os.path.join(stage, "models", "smollm2-mlx"))
    else:
        raise RuntimeError("no MLX form of this GGUF's K-quants")
    model, cfg = load_model(Path(folder))
    vocab = cfg["vocab_size"]
    runs = []
    for r in range(3):  # the first is a warm-up
        prompt = mx.array(ids(PROMPT, vocab, r))
        t0 = time.perf_counter()
        n, t_first = 0, None
        for tok, _ in generate_step(prompt, model, max_tokens=GEN):
            mx.eval(tok)
            n += 1
            if t_first is None:
                t_first = time.perf_counter()
        t_end = time.perf_counter()
        runs.append((PROMPT / (t_first - t0), (n - 1) / (t_end - t_first)))
    rows = [{"streams": 1, "promptTokens": PROMPT, "genTokens": GEN,
             "prefillTps": sorted(x[0] for x in runs[1:])[0], "decodeTps": sorted(x[1] for x in runs[1:])[-1]}]
    for b in STREAMS:
        gen = BatchGenerator(model, max_tokens=GEN, completion_batch_size=b, prefill_batch_size=b)
        t0 = time.perf_counter()
        gen.insert([ids(128, vocab, 1000 + i) for i in range(b)])
        done, total, t_all_first, firsts = 0, 0, None, set()
        while done < b:
            for resp in gen.next_generated():
                total += 1
                firsts.add(resp.uid)
                if resp.finish_reason is not None:
                    done += 1
            if t_all_first is None and len(firsts) == b:
                t_all_first = time.perf_counter()
        t_end = time.perf_counter()
        gen.close()
        rows.append({"streams": b, "promptTokens": 128, "genTokens": GEN, "aggregateTps": total / (t_end - t0),
                     "aggregatePrefillTps": 128 * b / (t_all_first - t0),
                     "aggregateDecodeTps": (total - b) / (t_end - t_all_first)})
    import mlx_lm
    return {"rows": rows, "version": f"mlx-lm {mlx_lm.__version__}, mlx {mx.__version__}"}


# ------------------------------------------------------------- transformers
def hf(stage, name, gguf):
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM
    torch.manual_seed(0)
    if "Llama-3-8B" in name:
        c = json.load(open(os.path.join(os.path.dirname(gguf), "mlx", "config.json")))
        config = LlamaConfig(**{k: v for k, v in c.items() if k not in ("quantization", "torch_dtype")})
        torch.set_default_dtype(torch.bfloat16)
        with torch.device("cuda"):
            model = LlamaForCausalLM(config)
        torch.set_default_dtype(torch.float32)
    else:
        model = AutoModelForCausalLM.from_pretrained(os.path.dirname(gguf), gguf_file=os.path.basename(gguf),
                                                     torch_dtype=torch.bfloat16).to("cuda")
    model.eval()
    vocab = model.config.vocab_size

    def run(batch, plen, seed):
        x = torch.tensor([ids(plen, vocab, seed + i) for i in range(batch)], device="cuda")
        with torch.no_grad():
            torch.cuda.synchronize(); t0 = time.perf_counter()
            model(x, use_cache=True)
            torch.cuda.synchronize(); t1 = time.perf_counter()
            model.generate(x, max_new_tokens=GEN, min_new_tokens=GEN, do_sample=False, pad_token_id=0)
            torch.cuda.synchronize(); t2 = time.perf_counter()
        prefill = t1 - t0
        return batch * plen / prefill, batch * (GEN - 1) / max((t2 - t1) - prefill, 1e-9), batch * GEN / (t2 - t1)

    run(1, 64, 99)  # warm-up
    p, d, _ = run(1, PROMPT, 0)
    rows = [{"streams": 1, "promptTokens": PROMPT, "genTokens": GEN, "prefillTps": p, "decodeTps": d}]
    for b in STREAMS:
        p, d, total = run(b, 128, 1000)
        rows.append({"streams": b, "promptTokens": 128, "genTokens": GEN, "aggregatePrefillTps": p,
                     "aggregateDecodeTps": d, "aggregateTps": total})
    del model
    torch.cuda.empty_cache()
    return {"rows": rows, "version": f"transformers {transformers.__version__}, torch {torch.__version__}, bf16, eager"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stage", default="/tmp/stage")
    ap.add_argument("--out")
    ap.add_argument("--only")
    ap.add_argument("--peers", default="llama.cpp,mlx-lm,transformers")
    a = ap.parse_args()
    peers = {"llama.cpp": llamacpp, "mlx-lm": mlxlm, "transformers": hf}
    results = []
    for name, files in models(a.stage):
        if a.only and a.only.lower() not in name.lower():
            continue
        for peer in a.peers.split(","):
            entry = {"engine": peer, "model": name}
            if not files:
                entry["skipped"] = "model not staged"
            else:
                t0 = time.time()
                try:
                    entry.update(peers[peer](a.stage, name, files[0]))
                except Exception as e:  # one peer failing must not lose the others
                    entry["error"] = f"{type(e).__name__}: {e}"[:1500]
                entry["seconds"] = round(time.time() - t0, 1)
            results.append(entry)
            print(json.dumps(entry), flush=True)
    out = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "promptTokens": PROMPT, "genTokens": GEN,
           "results": results}
    if os.path.exists(os.path.join(a.stage, "llama-build.json")):
        out["llamaCppBuild"] = json.load(open(os.path.join(a.stage, "llama-build.json")))
    text = json.dumps(out, indent=1)
    if a.out:
        open(a.out, "w").write(text)
    else:
        print(text)


if __name__ == "__main__":
    sys.exit(main())

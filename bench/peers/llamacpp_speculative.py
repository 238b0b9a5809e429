"""Peer for bench/speculative.ts: llama.cpp (llama-cpp-python) greedy decoding
of the same prompt token ids, plain and with its prompt-lookup draft
(LlamaPromptLookupDecoding), one Llama per mode.

Reads {"model", "prompts": [[ids...]], "genTokens", "threads",
"numPredTokens", "maxNgram"} as JSON on stdin and prints {"modes": {"plain":
[run...], "prompt-lookup": [run...]}, "version"} where a run is {"tokens",
"ttftMs", "decodeTps"}: decode tok/s counts the tokens after the first over
the time after it, as the engine does. Generation stops at EOS or genTokens.
"""
import json
import sys
import time

import llama_cpp
from llama_cpp.llama_speculative import LlamaPromptLookupDecoding


def run(llm, prompt, gen_tokens):
    llm.reset()
    eos = llm.token_eos()
    out = []
    t0 = time.perf_counter()
    t_first = t0
    for tok in llm.generate(prompt, temp=0.0, top_k=1, top_p=1.0, min_p=0.0, repeat_penalty=1.0):
        if not out:
            t_first = time.perf_counter()
        if tok == eos:
            break
        out.append(tok)
        if len(out) >= gen_tokens:
            break
    t_end = time.perf_counter()
    decode = (len(out) - 1) / (t_end - t_first) if len(out) > 1 and t_end > t_first else 0.0
    return {"tokens": out, "ttftMs": (t_first - t0) * 1000, "decodeTps": decode}


def main():
    req = json.load(sys.stdin)
    longest = max(len(p) for p in req["prompts"]) + req["genTokens"] + 16
    common = dict(
        model_path=req["model"],
        n_ctx=max(512, longest),
        n_threads=req.get("threads", 2),
        n_threads_batch=req.get("threads", 2),
        verbose=False,
    )
    modes = {}
    for name, draft in [
        ("plain", None),
        ("prompt-lookup", LlamaPromptLookupDecoding(max_ngram_size=req.get("maxNgram", 4), num_pred_tokens=req["numPredTokens"])),
    ]:
        llm = llama_cpp.Llama(draft_model=draft, **common)
        run(llm, req["prompts"][0], 4)  # warm-up
        modes[name] = [run(llm, p, req["genTokens"]) for p in req["prompts"]]
        del llm
    print(json.dumps({"modes": modes, "version": llama_cpp.__version__}))


if __name__ == "__main__":
    main()

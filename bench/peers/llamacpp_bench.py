"""Peer measurement: llama.cpp (through llama-cpp-python) on the same GGUF.

Reads JSON on stdin: {"model": path, "prompts": [[ids...], ...],
"genTokens": 64, "runs": 2, "threads": 2} and prints JSON on stdout:
{"runs": [{"promptTokens", "ttftMs", "prefillTps", "decodeTps"}...],
"peakRssMb", "version"}. Timing follows the engine's definitions: TTFT is
prefill plus the first greedy pick; decode tok/s counts the tokens after
the first over the time after it.
"""
import json
import resource
import sys
import time

import numpy as np
import llama_cpp


def greedy(llm):
    # With logits_all off, llama.cpp keeps one logits row: the last token's.
    logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),))
    return int(np.argmax(logits))


def run_once(llm, prompt, gen_tokens):
    llm.reset()
    t0 = time.perf_counter()
    llm.eval(prompt)
    out = [greedy(llm)]
    t_first = time.perf_counter()
    for _ in range(gen_tokens - 1):
        llm.eval(out[-1:])
        out.append(greedy(llm))
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
    threads = req.get("threads", 2)
    longest = max(len(p) for p in req["prompts"])
    llm = llama_cpp.Llama(
        model_path=req["model"],
        n_ctx=longest + req["genTokens"] + 16,
        n_batch=512,
        n_threads=threads,
        n_threads_batch=threads,
        logits_all=False,
        verbose=False,
    )
    run_once(llm, req["prompts"][0][:16], 4)  # warm-up: page in weights
    runs = []
    for prompt in req["prompts"]:
        for _ in range(req["runs"]):
            runs.append(run_once(llm, prompt, req["genTokens"]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"runs": runs, "peakRssMb": peak, "version": llama_cpp.__version__}))


if __name__ == "__main__":
    main()

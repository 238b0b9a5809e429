// Pipeline-parallel generation: one model's layers split over the processes
// of MLX's distributed ring backend (MLX_RANK + MLX_HOSTFILE, TCP), for a
// model no single device can hold (issue 16, item 7).
//
// Each rank loads layers [begin, end) (DecoderConfig::shard_*); rank 0 also
// the embeddings, the last rank the final norm and LM head. Every rank runs
// run_shard_generation() with the same request, in lockstep:
//   rank 0      embeds the prompt chunk (later: the sampled token), runs its
//               layers and sends [control row; hidden rows] to rank 1;
//   rank r      receives from r - 1, runs its layers, sends to r + 1;
//   last rank   runs its layers, samples (the engine's seeded sampler), emits
//               the token and sends (token, stop) back to rank 0 (its right
//               neighbour on the ring).
// Message shapes follow from the request alone (prefill chunks of
// prefill_chunk rows, then one row per step), so no size is ever sent. The
// control row's first value is 1 to go on and 0 to stop: rank 0 sends a stop
// message when the last rank reports a stop (EOS, max tokens, context full)
// or the request is cancelled, and every rank ends when it has passed that
// message on. Each rank keeps its own KV cache for its layers.
//
// MLX's ring has no fault tolerance: a lost peer aborts the process (the
// exception is thrown on MLX's stream thread) or blocks a recv forever. The
// coordinator (src/hive/shardRun.ts) watches the ranks and re-plans.
#pragma once

#include <atomic>
#include <vector>

#include "engine.h"
#include "generation.h"

namespace pocket {

struct ShardRequest {
  std::vector<int> prompt;
  // Completion tokens already emitted before a restart: prefilled after the
  // prompt; sampling positions and penalties continue after them.
  std::vector<int> resume;
  SamplingParams sampling;
  int max_tokens = -1;  // completion tokens in all, resume included; -1 = to the context
  std::vector<int> stop_ids;
};

struct ShardGroupInfo {
  int rank = 0;
  int size = 1;
};

// Engine thread: joins the ring described by MLX_RANK and MLX_HOSTFILE
// (blocks until both neighbours have connected; MLX retries connecting for
// about 30 s). Without MLX_HOSTFILE the process is a group of one.
ShardGroupInfo shard_connect();

// Engine thread: runs one request to its end on this rank. Tokens and the
// final stats go to `sink` on the last rank; the other ranks report only
// done (stats without tokens) or an error.
void run_shard_generation(LoadedModel& m, const ShardRequest& req, GenerationSink& sink,
                          const std::atomic<bool>& cancel);

}  // namespace pocket

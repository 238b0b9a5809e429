// A finished result presented as a Generation, so the server formats a
// redundancy or synthesis answer (streamed or not) like any other.
import type { Lease } from '../models/residency/instance.ts'
import type { EngineModel } from '../models/types.ts'
import type { Generation } from '../server/generation/startGeneration.ts'
import type { CollectedResult } from './collectResult.ts'

export function replayGeneration(r: CollectedResult): Generation {
  const lease: Lease = {
    identifier: r.start.identifier,
    local: r.start.local,
    model: { info: r.start.info } as unknown as EngineModel,
    loadTimeMs: null,
    release() {},
    [Symbol.dispose]() {},
  }
  async function* chunks() {
    yield* r.chunks
  }
  return {
    lease,
    chunks: chunks(),
    stats: async () => r.stats,
    cancel: () => {},
    output: r.start.output,
  }
}

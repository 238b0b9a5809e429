// One human line of generation statistics (for --stats).
import type { GenerationStats } from '../engine/types.ts'

export function formatStats(s: GenerationStats): string {
  return [
    `prompt ${s.promptTokens} tok (${s.cachedTokens} cached)`,
    `${s.promptTokensPerSecond.toFixed(1)} tok/s prefill`,
    `first token ${Math.round(s.timeToFirstTokenMs)} ms`,
    `${s.completionTokens} tok at ${s.tokensPerSecond.toFixed(1)} tok/s`,
    `stop: ${s.stopReason}`,
    `seed ${s.seed}`,
    ...(s.speculative
      ? [
          `draft ${s.speculative.acceptedDraftTokens}/${s.speculative.totalDraftTokens} accepted`,
        ]
      : []),
  ].join(' · ')
}

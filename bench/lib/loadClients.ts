// Streaming clients for load tests: each loops over chat completions until
// told to stop and, with probability `disconnectP`, disconnects mid-stream
// after a random number of chunks. Tallies what a server owes the clients:
// no 5xx or broken stream, and a cancelled generation for every disconnect.
import { streamChat } from './streamChat.ts'

export type LoadClientsParameters = {
  url: string
  model: string
  streams: number
  maxTokens: number
  disconnectP: number
  /** Checked before each request; false stops that client. */
  keepGoing: () => boolean
  /** Uniform [0, 1); pass a seeded one for reproducible runs. */
  random?: () => number
  /** Called with every finished request's completion tokens. */
  onTokens?: (n: number) => void
}

export type LoadTally = {
  requests: number
  /** Streams that ended with a finish reason. */
  finished: number
  /** Streams the client disconnected from. */
  disconnects: number
  /** 5xx, error frames, broken connections. */
  errors: number
  /** 4xx (the load test sends none on purpose). */
  clientErrors: number
  tokens: number
  errorMessages: string[]
}

export type GenerationStats = {
  activeGenerations: number
  startedGenerations: number
  completedGenerations: number
  cancelledGenerations: number
  failedGenerations: number
}

export async function runLoadClients(
  p: LoadClientsParameters,
): Promise<LoadTally> {
  const random = p.random ?? Math.random
  const tally: LoadTally = {
    requests: 0,
    finished: 0,
    disconnects: 0,
    errors: 0,
    clientErrors: 0,
    tokens: 0,
    errorMessages: [],
  }
  let n = 0
  const client = async () => {
    while (p.keepGoing()) {
      const disconnect = random() < p.disconnectP
      const after = 1 + Math.floor(random() * (p.maxTokens - 2))
      tally.requests++
      const r = await streamChat({
        url: p.url,
        body: {
          model: p.model,
          messages: [
            {
              role: 'user',
              content: `Load ${++n}: tell me a long story about a river.`,
            },
          ],
          max_tokens: p.maxTokens,
          temperature: 0.7,
        },
        ...(disconnect ? { abortAfterChunks: after } : {}),
      })
      const tokens = r.completionTokens ?? r.chunkTimes.length
      tally.tokens += tokens
      p.onTokens?.(tokens)
      if (r.status >= 400 && r.status < 500) tally.clientErrors++
      else if (r.error) {
        tally.errors++
        if (tally.errorMessages.length < 10) tally.errorMessages.push(r.error)
      } else if (r.aborted) tally.disconnects++
      else tally.finished++
    }
  }
  await Promise.all(Array.from({ length: p.streams }, client))
  return tally
}

export async function fetchGenerationStats(
  url: string,
): Promise<GenerationStats> {
  const res = await fetch(`${url}/api/v1/stats`)
  if (!res.ok) throw new Error(`GET /api/v1/stats: HTTP ${res.status}`)
  return (await res.json()) as GenerationStats
}

/** Polls until no generation is active (or the deadline passes). */
export async function waitForIdle(
  url: string,
  timeoutMs = 30_000,
): Promise<GenerationStats> {
  const deadline = Date.now() + timeoutMs
  while (true) {
    const s = await fetchGenerationStats(url)
    if (s.activeGenerations === 0 || Date.now() > deadline) return s
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** What the server's counters say about the clients' disconnects. */
export function checkCancellations(
  before: GenerationStats,
  after: GenerationStats,
  tally: LoadTally,
) {
  const started = after.startedGenerations - before.startedGenerations
  const cancelled = after.cancelledGenerations - before.cancelledGenerations
  const completed = after.completedGenerations - before.completedGenerations
  const failed = after.failedGenerations - before.failedGenerations
  // A disconnect that reached the server after the last token was already
  // generated ends as completed, not cancelled: a race, not a leak.
  const raced = tally.disconnects - cancelled
  return {
    started,
    cancelled,
    completed,
    failed,
    raced,
    /** Generations that never ended: must be 0. */
    lost: after.activeGenerations,
    consistent:
      started === tally.requests &&
      completed === tally.finished + raced &&
      raced >= 0,
  }
}

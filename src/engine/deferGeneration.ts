// A GenerationStream whose native generation starts once some async work is
// done (VLMs: decoding images and running the vision tower). Errors of that
// work surface where a generation's errors do: on the first chunk and in
// `result`. Cancelling before the start cancels the stream as soon as it exists.
import type { GenerationStream } from './generationStream.ts'

export function deferGeneration(
  pending: Promise<GenerationStream>,
): GenerationStream {
  let cancelled = false
  let stream: GenerationStream | undefined
  const ready = pending.then((s) => {
    stream = s
    if (cancelled) s.cancel()
    return s
  })
  const result = ready.then((s) => s.result)
  result.catch(() => {}) // surfaced through the iterator too
  return {
    result,
    cancel() {
      cancelled = true
      stream?.cancel()
    },
    async *[Symbol.asyncIterator]() {
      yield* await ready
    },
  }
}

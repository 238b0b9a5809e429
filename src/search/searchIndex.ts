// Semantic search over a vector store: embeds the query with the index's
// model and returns the top-k spans with cosine scores.
import { InvalidOptionError } from '../engine/errors.ts'
import type { Embedder } from './types.ts'
import type { SearchHit, VectorStore } from './VectorStore.ts'

export type SearchIndexParameters = {
  query: string
  k?: number
  /** Model id the index must have been built with (default: the embedder's path). */
  model?: string
}

export async function searchIndex(
  store: VectorStore,
  embedder: Embedder,
  { query, k = 5, model: expected }: SearchIndexParameters,
): Promise<SearchHit[]> {
  if (!query.trim()) throw new InvalidOptionError('query', 'must not be empty')
  if (!Number.isInteger(k) || k < 1 || k > 1000)
    throw new InvalidOptionError('k', 'must be an integer from 1 to 1000')
  const model = store.meta('model')
  if (model && model !== (expected ?? embedder.info.path))
    throw new InvalidOptionError('model', `the index was built with ${model}`)
  const [vector] = (await embedder.embed([query])).vectors
  return store.query(vector as Float32Array, k)
}

// What the search index needs from an embedding model (EmbeddingModel
// satisfies it; tests may pass a tiny deterministic one).
export type Embedder = {
  readonly info: { path: string }
  readonly dimensions: number
  embed(texts: string[]): Promise<{ vectors: Float32Array[] }>
}

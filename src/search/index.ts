// Semantic search: chunk files into line spans, embed them, keep them in a
// SQLite + sqlite-vec store, query by meaning.

export type { ChunkTextOptions, TextSpan } from './chunkText.ts'
export { chunkText } from './chunkText.ts'
export { defaultIndexPath } from './defaultIndexPath.ts'
export type { IndexFilesOptions, IndexFilesReturnType } from './indexFiles.ts'
export { indexFiles } from './indexFiles.ts'
export type { SearchIndexParameters } from './searchIndex.ts'
export { searchIndex } from './searchIndex.ts'
export type { Embedder } from './types.ts'
export type { SearchHit, StoredChunk } from './VectorStore.ts'
export { SearchIndexError, VectorStore } from './VectorStore.ts'

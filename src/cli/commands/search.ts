// `pocket search "query"`: top-k spans from the semantic search index, with
// cosine scores and file:line ranges.
import type { Command } from 'commander'
import { loadEmbeddingModel } from '../../engine/embeddings/loadEmbeddingModel.ts'
import { defaultIndexPath } from '../../search/defaultIndexPath.ts'
import { searchIndex } from '../../search/searchIndex.ts'
import { VectorStore } from '../../search/VectorStore.ts'
import { UsageError } from '../errors.ts'
import { resolveModelPath } from '../resolveModelPath.ts'

type SearchFlags = { k: string; index: string; json?: boolean }

export function registerSearch(program: Command): void {
  program
    .command('search')
    .description(
      'Search the index by meaning (build it with `pocket index add`)',
    )
    .argument('<query>', 'what to look for')
    .option('-k, --top <k>', 'number of results', '5')
    .option('--index <path>', 'index file', defaultIndexPath())
    .option('--json', 'print JSON')
    .action(async (query: string, flags: SearchFlags & { top: string }) => {
      const k = Number(flags.top)
      if (!Number.isInteger(k) || k < 1)
        throw new UsageError('-k must be a positive integer')
      const store = VectorStore.open(flags.index)
      try {
        const model = store.meta('model')
        if (!model)
          throw new UsageError(
            `the index ${flags.index} is empty; run \`pocket index add <files>\` first`,
          )
        const embedder = await loadEmbeddingModel(
          await resolveModelPath({ model }),
        )
        const hits = await searchIndex(store, embedder, {
          query,
          k,
          model,
        }).finally(() => embedder.dispose())
        if (flags.json) {
          console.log(JSON.stringify(hits, null, 2))
          return
        }
        for (const h of hits) {
          const preview = h.text.replace(/\s+/g, ' ').trim().slice(0, 160)
          console.log(
            `${h.score.toFixed(3)}  ${h.path}:${h.startLine}-${h.endLine}\n       ${preview}`,
          )
        }
      } finally {
        store.close()
      }
    })
}

// `pocket index add <files or folders...>`: embeds text files as line spans
// into the semantic search index; `pocket index stats` describes it.
import type { Command } from 'commander'
import { loadEmbeddingModel } from '../../engine/embeddings/loadEmbeddingModel.ts'
import { defaultIndexPath } from '../../search/defaultIndexPath.ts'
import { indexFiles } from '../../search/indexFiles.ts'
import { VectorStore } from '../../search/VectorStore.ts'
import { resolveModelPath } from '../resolveModelPath.ts'

export const DEFAULT_EMBEDDING_MODEL = 'sentence-transformers/all-MiniLM-L6-v2'

type IndexFlags = { model?: string; index: string; maxChars?: string }

export function registerIndex(program: Command): void {
  const index = program
    .command('index')
    .description('Manage the semantic search index')
  index
    .command('add')
    .description(
      'Add files or folders to the search index (only changed files are re-embedded)',
    )
    .argument('<paths...>', 'files or folders')
    .option(
      '-m, --model <model>',
      "embedding model (default: the index's, else all-MiniLM-L6-v2)",
    )
    .option('--index <path>', 'index file', defaultIndexPath())
    .option('--max-chars <n>', 'characters per span', '800')
    .action(async (paths: string[], flags: IndexFlags) => {
      // try/finally, not `using`: Node 22 strips types but has no `using`.
      const store = VectorStore.open(flags.index)
      try {
        const model =
          flags.model ?? store.meta('model') ?? DEFAULT_EMBEDDING_MODEL
        const embedder = await loadEmbeddingModel(
          await resolveModelPath({ model }),
        )
        try {
          const r = await indexFiles(store, embedder, paths, {
            model,
            maxChars: Number(flags.maxChars),
            onProgress: (e) =>
              process.stderr.write(
                e.skipped
                  ? `skip  ${e.path} (${e.skipped})\n`
                  : `add   ${e.path} (${e.chunks} spans)\n`,
              ),
          })
          console.log(
            `${r.indexed} file(s) indexed (${r.chunks} spans), ${r.unchanged} unchanged, ${r.skipped} skipped -> ${flags.index}`,
          )
        } finally {
          await embedder.dispose()
        }
      } finally {
        store.close()
      }
    })
  index
    .command('stats')
    .description('Show what the index holds')
    .option('--index <path>', 'index file', defaultIndexPath())
    .action((flags: { index: string }) => {
      const store = VectorStore.open(flags.index)
      const s = store.stats()
      store.close()
      console.log(
        `${flags.index}: ${s.files} files, ${s.chunks} spans, model ${s.model ?? '-'} (${s.dimensions ?? '-'} dims)`,
      )
    })
}

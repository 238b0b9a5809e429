// `pocket ls`: models on disk (HF hub cache + imports), one row per variant.
import type { Command } from 'commander'
import { engineBackend } from '../../engine/engineBackend.ts'
import { ModelStore } from '../../models/ModelStore.ts'

type LsFlags = { llm?: boolean; embedding?: boolean; json?: boolean }

export function registerLs(program: Command): void {
  program
    .command('ls')
    .description('List downloaded and imported models')
    .option('--llm', 'only text generation models')
    .option('--embedding', 'only embedding models')
    .option('--json', 'print JSON')
    .action(async (flags: LsFlags) => {
      const store = new ModelStore()
      const models = (await store.list()).filter(
        (m) =>
          (!flags.llm || m.type !== 'embeddings') &&
          (!flags.embedding || m.type === 'embeddings'),
      )
      if (flags.json) {
        console.log(JSON.stringify(models, null, 2))
        return
      }
      if (models.length === 0) {
        console.log(`No models in ${store.hubCacheDir} or ${store.importsDir}.`)
        console.log('Download one with `pocket get <owner/repo>[@quant]`.')
        return
      }
      printTable([
        ['MODEL', 'TYPE', 'FORMAT', 'ARCH', 'QUANT', 'SIZE', 'CONTEXT'],
        ...models.map((m) => [
          m.variant ? `${m.key}@${m.variant}` : m.key,
          m.type,
          m.format,
          m.architecture ?? '-',
          m.quantization ?? '-',
          formatBytes(m.sizeBytes),
          m.maxContextLength ? String(m.maxContextLength) : '-',
        ]),
      ])
      console.log(`\n${describeBackend()}`)
    })
}

/** One line on where models would run (the addon's backend). */
export function describeBackend(): string {
  try {
    const b = engineBackend()
    const where = b.deviceName ? `${b.name} (${b.deviceName})` : b.name
    return `Backend: ${where}, activations ${b.defaultDtype} by default`
  } catch {
    return 'Backend: unknown (the native engine is not built)'
  }
}

export function printTable(rows: string[][]): void {
  const widths =
    rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ??
    []
  for (const r of rows)
    console.log(
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`
  return `${(n / 2 ** 10).toFixed(0)} KiB`
}

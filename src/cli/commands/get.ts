// `pocket get <owner/repo>[@quant]`: downloads a model from the hub into the
// standard HF cache (resumable, checksummed) with a progress bar.
import { Presets, SingleBar } from 'cli-progress'
import type { Command } from 'commander'
import { downloadModel } from '../../models/download/downloadModel.ts'
import { parseModelReference } from '../../models/download/parseModelReference.ts'

type GetFlags = {
  quant?: string
  revision?: string
  offline?: boolean
  json?: boolean
}

export function registerGet(program: Command): void {
  program
    .command('get')
    .description(
      'Download a model from the Hugging Face hub (owner/repo[@quant] or URL)',
    )
    .argument('<model>', 'owner/repo, owner/repo@q4_k_m, or a hub URL')
    .option(
      '-q, --quant <quant>',
      'quantization to fetch from a GGUF repo (e.g. q4_k_m)',
    )
    .option('--revision <rev>', 'branch, tag or commit', 'main')
    .option('--offline', 'only check the local cache (also HF_HUB_OFFLINE=1)')
    .option('--json', 'print the result as JSON')
    .action(async (model: string, flags: GetFlags) => {
      await get(model, flags)
    })
}

async function get(model: string, flags: GetFlags): Promise<void> {
  const ref = parseModelReference(model, flags.quant)
  const interactive = !flags.json && process.stderr.isTTY
  const bar = new SingleBar(
    {
      format: ' {bar} {percentage}% | {done}/{size} MiB | {file}',
      hideCursor: true,
      stream: process.stderr,
      noTTYOutput: false,
    },
    Presets.shades_classic,
  )
  let started = false
  const mib = (n: number) => (n / 2 ** 20).toFixed(1)
  const result = await downloadModel({
    repo: ref.repo,
    quantization: ref.quantization,
    revision: flags.revision,
    ...(flags.offline ? { offline: true } : {}),
    onPlan: (plan) => {
      if (!interactive) return
      started = true
      bar.start(plan.totalBytes, 0, {
        done: '0.0',
        size: mib(plan.totalBytes),
        file: '',
      })
    },
    onProgress: (p) => {
      if (started)
        bar.update(p.downloadedBytes, {
          done: mib(p.downloadedBytes),
          file: p.file,
        })
    },
  }).finally(() => {
    if (started) bar.stop()
  })
  if (flags.json) {
    console.log(JSON.stringify(result, null, 2))
    return
  }
  const verb = result.alreadyDownloaded ? 'Already downloaded' : 'Downloaded'
  console.log(
    `${verb} ${ref.repo}${ref.quantization ? `@${ref.quantization}` : ''} (${mib(result.totalBytes)} MiB)`,
  )
  for (const p of result.paths) console.log(`  ${p}`)
}

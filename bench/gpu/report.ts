// Merges what the GPU runs brought back (device.json, build.json,
// smoke.json, bench-ours.json, bench-peers.json; any subset) into one
// bench/results/gpu-<date>.json, adds the ratios of issue 14 (batch-1 decode
// vs llama.cpp CUDA and vs mlx-lm on the 8B shape) and the H200's
// memory-bandwidth bound for that shape, and prints a table.
// Usage: node bench/gpu/report.ts <folder or files...> [--out FILE]
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { parseArgs } from 'node:util'

const { values, positionals } = parseArgs({
  options: { out: { type: 'string' } },
  allowPositionals: true,
})
const files = positionals.flatMap((p) =>
  statSync(p).isDirectory()
    ? [
        'device.json',
        'build.json',
        'smoke.json',
        'bench-ours.json',
        'bench-peers.json',
      ]
        .map((f) => join(p, f))
        .filter(existsSync)
    : [p],
)
// biome-ignore lint/suspicious/noExplicitAny: JSON files of several shapes
const parts: Record<string, any> = {}
for (const f of files)
  parts[basename(f, '.json')] = JSON.parse(readFileSync(f, 'utf8'))

type Row = Record<string, number>
type Entry = { engine: string; model: string; rows?: Row[]; error?: string }
const entries: Entry[] = [
  ...(parts['bench-ours']?.results ?? []),
  ...(parts['bench-peers']?.results ?? []),
]

// Bytes one decode step reads on the 8B shape: every 4-bit matrix but the
// embedding (one row of it), at 0.5 B per weight + fp16 scale and bias per 32.
const H = 4096,
  I = 14336,
  V = 128256,
  L = 32,
  KV = 1024
const perLayer = H * H * 2 + H * KV * 2 + 3 * H * I
const weightBytes8b = (L * perLayer + V * H) * (0.5 + 4 / 32)
const copyGBps: number | undefined = parts.device?.copyGBps ?? undefined
const datasheetGBps = 4800
const bound = {
  bytesPerToken: weightBytes8b,
  datasheetTBps: datasheetGBps / 1000,
  datasheetBoundTps: (datasheetGBps * 1e9) / weightBytes8b,
  measuredCopyGBps: copyGBps ?? null,
  measuredBoundTps: copyGBps ? (copyGBps * 1e9) / weightBytes8b : null,
}

const decode1 = (engine: string, model: string) =>
  entries
    .find((e) => e.engine === engine && e.model === model)
    ?.rows?.find((r) => r.streams === 1)?.decodeTps
const eightB = 'random Llama-3-8B shape Q4_0'
const ours8b = decode1('pocket (ours)', eightB)
const ratios = {
  decode8bVsLlamaCpp:
    ours8b && decode1('llama.cpp', eightB)
      ? ours8b / (decode1('llama.cpp', eightB) as number)
      : null,
  decode8bVsMlxLm:
    ours8b && decode1('mlx-lm', eightB)
      ? ours8b / (decode1('mlx-lm', eightB) as number)
      : null,
  decode8bFractionOfBound: ours8b
    ? ours8b / (bound.measuredBoundTps ?? bound.datasheetBoundTps)
    : null,
  goals: { vsLlamaCpp: 1.0, vsMlxLm: 1.2, fractionOfBound: 0.5 },
}

const date = new Date(
  parts['bench-ours']?.date ?? parts.smoke?.date ?? Date.now(),
)
const report = {
  date: date.toISOString(),
  device: parts.device ?? null,
  backend: parts['bench-ours']?.backend ?? parts.smoke?.backend ?? null,
  versions: {
    mlx: parts['bench-ours']?.mlxVersion ?? parts.smoke?.mlxVersion ?? null,
    peers: Object.fromEntries(
      (parts['bench-peers']?.results ?? [])
        .filter((e: { version?: string }) => e.version)
        .map((e: { engine: string; version: string }) => [e.engine, e.version]),
    ),
  },
  builds: {
    addon: parts.build ?? null,
    llamaCpp: parts['bench-peers']?.llamaCppBuild ?? null,
  },
  smoke: parts.smoke ?? null,
  bandwidthBound8b: bound,
  ratios,
  results: entries,
}
const out =
  values.out ??
  join(
    import.meta.dirname,
    '..',
    'results',
    `gpu-${date.toISOString().slice(0, 10)}.json`,
  )
writeFileSync(out, `${JSON.stringify(report, null, 1)}\n`)

const f = (n: number | undefined) => (n == null ? '-' : n.toFixed(1))
console.log(
  ['engine', 'model', 'prefill@1', 'decode@1', 'agg@8', 'agg@32'].join('\t'),
)
for (const e of entries) {
  const r = (n: number) => e.rows?.find((x) => x.streams === n)
  console.log(
    [
      e.engine,
      e.model,
      f(r(1)?.prefillTps),
      f(r(1)?.decodeTps),
      f(r(8)?.aggregateTps),
      f(r(32)?.aggregateTps),
      e.error ? `error: ${e.error.slice(0, 80)}` : '',
    ].join('\t'),
  )
}
console.log(JSON.stringify({ bound, ratios }, null, 1))
console.log(`wrote ${out}`)

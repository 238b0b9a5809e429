// The benchmark table: one row per engine x prompt length, decode ratios
// against the two named peers measured in the same run.
export type BenchRow = {
  engine: string
  promptTokens: number
  prefillTps: number
  decodeTps: number
  ttftMs: number
  peakRssMb: number
  decodeVsMlxPython?: number
  decodeVsLlamaCpp?: number
}

const COLUMNS: [string, (r: BenchRow) => string][] = [
  ['engine', (r) => r.engine],
  ['prompt', (r) => String(r.promptTokens)],
  ['prefill tok/s', (r) => r.prefillTps.toFixed(1)],
  ['decode tok/s', (r) => r.decodeTps.toFixed(2)],
  ['TTFT ms', (r) => r.ttftMs.toFixed(0)],
  ['peak RSS MB', (r) => r.peakRssMb.toFixed(0)],
  ['decode vs MLX-Py', (r) => ratio(r.decodeVsMlxPython)],
  ['decode vs llama.cpp', (r) => ratio(r.decodeVsLlamaCpp)],
]

const ratio = (x: number | undefined) =>
  x === undefined ? '-' : `${x.toFixed(2)}x`

/** Adds decode ratios to every row that has a peer at the same prompt length. */
export function addRatios(rows: BenchRow[]): BenchRow[] {
  const peer = (engine: string, n: number) =>
    rows.find((r) => r.engine === engine && r.promptTokens === n)?.decodeTps
  return rows.map((r) => {
    const mlx = peer('mlx-python', r.promptTokens)
    const llama = peer('llama.cpp', r.promptTokens)
    return {
      ...r,
      decodeVsMlxPython: mlx ? r.decodeTps / mlx : undefined,
      decodeVsLlamaCpp: llama ? r.decodeTps / llama : undefined,
    }
  })
}

export function formatTable(rows: BenchRow[]): string {
  const cells = [
    COLUMNS.map(([h]) => h),
    ...rows.map((r) => COLUMNS.map(([, f]) => f(r))),
  ]
  const widths = COLUMNS.map((_, i) =>
    Math.max(...cells.map((c) => (c[i] as string).length)),
  )
  const line = (c: string[]) =>
    c
      .map((v, i) =>
        i < 1 ? v.padEnd(widths[i] as number) : v.padStart(widths[i] as number),
      )
      .join('  ')
  const [head, ...body] = cells as [string[], ...string[][]]
  return [
    line(head),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...body.map(line),
  ].join('\n')
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2
    ? (s[m] as number)
    : ((s[m - 1] as number) + (s[m] as number)) / 2
}

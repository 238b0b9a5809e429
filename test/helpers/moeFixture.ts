// The llama.cpp reference for the tiny MoE models
// (test/fixtures/moe-llamacpp.json, `bash scripts/fixtures/moe.sh`) and how
// the tests score the engine against it.
import { readFileSync } from 'node:fs'

export type MoeRow = { ids: number[]; logits: number[] }
export type MoeCase = { tokens: number[]; top: MoeRow[]; topF32?: MoeRow[] }
export type MoeFileRef = { file: string; sha256: string; cases: MoeCase[] }

export function moeFixture(name: string): MoeFileRef {
  const all: { files: MoeFileRef[] } = JSON.parse(
    readFileSync(
      new URL('../fixtures/moe-llamacpp.json', import.meta.url),
      'utf8',
    ),
  )
  const ref = all.files.find((f) => f.file === name)
  if (!ref) throw new Error(`moe-llamacpp.json has no ${name}`)
  return ref
}

export type Agreement = { agree: number; total: number; maxDiff: number }

/** Top-1 agreement and the largest |Δ| between top-1 logits, over all rows. */
export function agreement(
  evals: { topIds: Int32Array; topLogits: Float32Array; topK: number }[],
  refs: MoeRow[][],
): Agreement {
  const a = { agree: 0, total: 0, maxDiff: 0 }
  refs.forEach((rows, i) => {
    const ev = evals[i]
    if (!ev) throw new Error(`no evaluation for case ${i}`)
    rows.forEach((row, r) => {
      a.total++
      if (ev.topIds[r * ev.topK] === row.ids[0]) a.agree++
      const ours = ev.topLogits[r * ev.topK] as number
      a.maxDiff = Math.max(
        a.maxDiff,
        Math.abs(ours - (row.logits[0] as number)),
      )
    })
  })
  return a
}

export const formatAgreement = (a: Agreement) =>
  `${a.agree}/${a.total} (${((100 * a.agree) / a.total).toFixed(1)}%) max|Δ| ${a.maxDiff.toFixed(4)}`

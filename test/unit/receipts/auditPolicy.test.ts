// The cross-backend audit policy: precision units, backend pairs, the token
// perturbation (checked against a brute-force sampler: the computed
// perturbation is the smallest worst-case logit shift that makes the
// sampler pick the claimed token), and the aggregate verdicts.
import { describe, expect, it } from 'vitest'
import type { AuditTokenCheck } from '../../../src/engine/audit.ts'
import {
  AUDIT_THRESHOLDS,
  auditTolerance,
  backendPair,
  judgeAudit,
  judgeCommitments,
  judgeTokens,
  kernelFamily,
  logitTolerance,
  tokenPerturbation,
  ulp,
} from '../../../src/receipts/index.ts'

const f32 = { backend: 'mlx-cpu/0.32.4/float32', dtype: 'float32' }
const cpuAuditor = { backend: 'cpu', dtype: 'float32' }

const at = (xs: number[], i: number) => xs[i] as number

/** The engine's sampler over raw logits: id order, kept set renormalized. */
function pick(logits: number[], T: number, u: number, topP = 1): number {
  const m = Math.max(...logits)
  const w = logits.map((l) => Math.exp((l - m) / T))
  const order = w.map((_, i) => i).sort((a, b) => at(w, b) - at(w, a) || a - b)
  const total = w.reduce((a, b) => a + b, 0)
  const kept: number[] = []
  let cum = 0
  for (const i of order) {
    kept.push(i)
    cum += at(w, i) / total
    if (topP < 1 && cum >= topP) break
  }
  kept.sort((a, b) => a - b)
  const z = kept.reduce((a, i) => a + at(w, i), 0)
  let c = 0
  for (const i of kept) {
    c += at(w, i) / z
    if (u < c) return i
  }
  return kept.at(-1) as number
}

/** What the native audit reports for `token` (candidate case). */
function check(logits: number[], T: number, u: number, token: number) {
  const m = Math.max(...logits)
  const w = logits.map((l) => Math.exp((l - m) / T))
  const z = w.reduce((a, b) => a + b, 0)
  const low = w.slice(0, token).reduce((a, b) => a + b, 0) / z
  const high = low + at(w, token) / z
  return {
    gap: m - at(logits, token),
    logit: at(logits, token),
    u,
    low,
    high,
    candidate: true,
    exact: u >= low && u < high,
  }
}

/** Worst-case shift toward `token`: ids before it up, after it down. */
function shift(
  logits: number[],
  token: number,
  eps: number,
  u: number,
  low: number,
) {
  const up = u < low ? (i: number) => i >= token : (i: number) => i <= token
  return logits.map((l, i) => (up(i) ? l + eps : l - eps))
}

describe('audit policy', () => {
  it('measures tolerances in ulps of the coarser dtype', () => {
    expect(ulp(20, 'bfloat16')).toBe(0.125)
    expect(ulp(-20, 'float16')).toBe(2 ** -6)
    expect(ulp(1, 'float32')).toBe(2 ** -23)
    const t = auditTolerance({ ...f32, dtype: 'bfloat16' }, cpuAuditor)
    expect(t.dtype).toBe('bfloat16')
    expect(
      auditTolerance(f32, { backend: 'cuda', dtype: 'float16' }).dtype,
    ).toBe('float16')
    expect(logitTolerance(t, 20)).toBeCloseTo(
      t.logitUlps * 0.125 + t.logitFloor,
    )
    expect(() =>
      auditTolerance({ ...f32, dtype: 'float8' }, cpuAuditor),
    ).toThrow(/float8/)
  })

  it('classifies backends from receipts and model info', () => {
    expect(kernelFamily('mlx-cpu/0.32.4')).toBe('cpu')
    expect(kernelFamily('mlx-cpu/0.32.4/float32')).toBe('cpu')
    expect(kernelFamily('mlx-cpu-graph/0.32.4/float16')).toBe('cpu-graph')
    expect(kernelFamily('cpu-graph')).toBe('cpu-graph')
    expect(kernelFamily('mlx-cuda/0.32.4/float16')).toBe('gpu')
    expect(kernelFamily('mlx-rocm')).toBe('gpu') // unknown: treated like a GPU
    expect(backendPair('mlx-cpu/0.32.4', 'cpu')).toBe('same-cpu')
    expect(backendPair('mlx-cpu/0.32.4', 'cpu-graph')).toBe('cpu')
    expect(backendPair('mlx-metal/0.32.4', 'cpu')).toBe('device')
  })

  it('greedy: the perturbation is half the gap to the max', () => {
    const c = { gap: 0.3, logit: 1, u: 0, low: 0, high: 0, candidate: true }
    expect(tokenPerturbation({ ...c, exact: false }, { temperature: 0 })).toBe(
      0.15,
    )
    expect(tokenPerturbation({ ...c, exact: true }, { temperature: 0 })).toBe(0)
  })

  it('sampled: the perturbation is the smallest worst-case shift that picks the token', () => {
    const logits = [1.2, 0.4, 2.0, -0.5, 1.7, 0.9, 0.1, 1.1]
    for (const T of [0.7, 1]) {
      for (let token = 0; token < logits.length; token++) {
        for (const u of [0.05, 0.31, 0.5, 0.77, 0.96]) {
          const c = check(logits, T, u, token)
          const eps = tokenPerturbation(c, { temperature: T })
          if (c.exact) {
            expect(eps).toBe(0)
            continue
          }
          expect(eps).toBeGreaterThan(0)
          expect(pick(shift(logits, token, eps * 1.0001, u, c.low), T, u)).toBe(
            token,
          )
          expect(
            pick(shift(logits, token, eps * 0.999, u, c.low), T, u),
          ).not.toBe(token)
        }
      }
    }
  })

  it('top-p: a token outside the nucleus needs at least the shift that lets it in', () => {
    const logits = [3, 2.5, 0.2, 0.1, 2.8, 0]
    const T = 1
    const m = Math.max(...logits)
    const w = logits.map((l) => Math.exp(l - m))
    const z = w.reduce((a, b) => a + b, 0)
    const token = 2 // far below the 0.9 nucleus
    const above = (at(w, 0) + at(w, 1) + at(w, 4)) / z
    const base = {
      ...check(logits, T, 0.5, token),
      candidate: false,
      above,
      exact: false,
    }
    const eps = tokenPerturbation(base, { temperature: T, topP: 0.9 })
    expect(eps).toBeGreaterThan(0)
    // the mass above it, shifted down by eps (and the rest up), is now < top-p
    const moved = logits.map((l, i) =>
      [0, 1, 4].includes(i) ? l - eps * 1.0001 : l + eps * 1.0001,
    )
    const wm = moved.map((l) => Math.exp(l - Math.max(...moved)))
    const zm = wm.reduce((a, b) => a + b, 0)
    expect((at(wm, 0) + at(wm, 1) + at(wm, 4)) / zm).toBeLessThan(0.9)
  })

  it('judges the whole output: borderline tokens are tolerated up to a bound', () => {
    const t = auditTolerance(f32, cpuAuditor)
    const tol = logitTolerance(t, 10)
    const tok = (index: number, score: number): AuditTokenCheck => ({
      index,
      token: 1,
      maxLogit: 10,
      logit: 10 - 2 * score * tol,
      gap: 2 * score * tol,
      u: 0,
      low: 0,
      high: 0,
      candidate: true,
      exact: score === 0,
    })
    const n = 100
    const clean = Array.from({ length: n }, (_, i) => tok(i, 0))
    expect(judgeTokens(clean, { temperature: 0 }, t).ok).toBe(true)
    // two borderline tokens (score 1.5) in 100: inside the allowance
    const two = clean.map((c, i) => (i === 10 || i === 50 ? tok(i, 1.5) : c))
    const v2 = judgeTokens(two, { temperature: 0 }, t)
    expect(v2).toMatchObject({ ok: true, outside: 2 })
    // many borderline tokens: the count and the mean fail it
    const many = clean.map((c, i) => (i % 10 === 0 ? tok(i, 1.5) : c))
    const vm = judgeTokens(many, { temperature: 0 }, t)
    expect(vm.ok).toBe(false)
    expect(vm.reasons.join()).toMatch(/outside the tolerance band/)
    // one token far outside: bounded steering, fails alone
    const one = clean.map((c, i) =>
      i === 3 ? tok(i, AUDIT_THRESHOLDS.maxTokenScore + 1) : c,
    )
    const v1 = judgeTokens(one, { temperature: 0 }, t)
    expect(v1.ok).toBe(false)
    expect(v1.worstIndex).toBe(3)
  })

  it('judges commitments by overlap and by value error in tolerances', () => {
    const t = auditTolerance(f32, { backend: 'cuda', dtype: 'bfloat16' })
    const mine = [0, 1, 2].map((c) => ({
      index: 31 + 32 * c,
      indices: Array.from({ length: 16 }, (_, i) => i * 7 + c),
      values: Array.from({ length: 16 }, (_, i) => 20 - i),
    }))
    expect(judgeCommitments(mine, mine, t)).toMatchObject({
      ok: true,
      meanOverlap: 1,
      medianScore: 0,
    })
    const near = mine.map((c) => ({
      ...c,
      values: c.values.map((v) => v + 0.5 * (t.valueUlps * ulp(v, t.dtype))),
    }))
    expect(judgeCommitments(near, mine, t).ok).toBe(true)
    const far = mine.map((c) => ({
      ...c,
      values: c.values.map((v) => v * 1.5),
    }))
    expect(judgeCommitments(far, mine, t).reasons.join()).toMatch(
      /outside tolerance/,
    )
    const swapped = mine.map((c, i) =>
      i === 1 ? { ...c, indices: c.indices.map((x) => x + 500) } : c,
    )
    expect(judgeCommitments(swapped, mine, t).reasons.join()).toMatch(
      /chunk overlaps only 0\.000/,
    )
  })

  it('treats an unknown declared dtype as unverifiable', () => {
    const v = judgeAudit({
      evidence: { checks: [], commitments: [] },
      commitments: [],
      sampling: { temperature: 0 },
      node: { backend: 'mlx-cpu', dtype: 'int4' },
      auditor: cpuAuditor,
    })
    expect(v.ok).toBe(false)
    expect(v.reasons[0]).toMatch(/int4/)
  })
})

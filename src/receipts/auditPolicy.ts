// The audit policy across backends (DESIGN §4, verification): how far an
// auditor's own forward pass may be from a node's and still be honest,
// given what both declared (backend and activation dtype). Tolerances are
// in units of the coarser dtype's precision (ulp at the value's magnitude)
// plus a floor for the backend pair (different kernels sum in a different
// order even in float32); verdicts aggregate over the whole output
// (judgeTokens.ts, judgeCommitments.ts). Every constant here was fixed from
// honest runs (bench/auditCalibration.ts -> bench/results/) before the cheat
// set was measured against it; change them only by recalibrating.

export const ACTIVATION_DTYPES = ['float32', 'float16', 'bfloat16'] as const
export type ActivationDtype = (typeof ACTIVATION_DTYPES)[number]

/** Explicit mantissa bits: ulp(x) = 2^(floor(log2|x|) - bits). */
export const MANTISSA_BITS: Record<ActivationDtype, number> = {
  float32: 23,
  float16: 10,
  bfloat16: 7,
}

/** What a node declares in its receipt, or what an auditor runs. */
export type Participant = {
  /** Receipt backend (`mlx-cpu/0.32.4`, `mlx-cuda/0.32.4/float16`) or model info backend (`cpu`, `cpu-graph`, `cuda`, `metal`). */
  backend: string
  dtype: string
}

/**
 * Kernel families: `cpu` = our custom CPU kernels (float32 only),
 * `cpu-graph` = MLX's own ops on the CPU, `gpu` = anything else (CUDA,
 * Metal, or a backend this policy has not seen: treated like a GPU).
 */
export type KernelFamily = 'cpu' | 'cpu-graph' | 'gpu'

/**
 * `same-cpu`: both run the custom CPU kernels (only prefill-vs-decode
 * summation order differs). `cpu`: both on a CPU, at least one through
 * MLX's graph. `device`: a GPU on either side.
 */
export type BackendPair = 'same-cpu' | 'cpu' | 'device'

/** Error bound(x) = ulps · ulp(|x|) + floor, for logits and hidden values. */
export type AuditTolerance = {
  dtype: ActivationDtype
  pair: BackendPair
  logitUlps: number
  logitFloor: number
  valueUlps: number
  valueFloor: number
}

/**
 * The dtype's share, in ulps of the coarser dtype at the value's size:
 * honest half-precision runs on MLX's CPU graph path vs float32 CPU kernels
 * (bench/results/audit-calibration-*.json) drift by at most ~5 ulps per
 * logit and ~30 ulps on a top-k hidden value; 16 keeps the worst honest
 * token at 0.26 tolerances and the median value error at 0.14.
 */
export const DTYPE_ULPS = { logit: 16, value: 16 }

/**
 * The backend pair's share: an absolute floor (all that matters in float32,
 * where an ulp is negligible) and, across devices, a drift multiplier on the
 * dtype's ulps. The H200 measurement of issue 14 (a plain MLX forward, CUDA
 * vs CPU) drifted ~2x (float16) and ~4x (bfloat16) more than our CPU
 * emulation of half precision, and up to 0.10 per logit / 0.032 per hidden
 * value in float32; the GPU runs (bench/gpu/crossAuditLanes.sh) check these.
 */
export const PAIR_TERMS: Record<
  BackendPair,
  { drift: Record<ActivationDtype, number>; logit: number; value: number }
> = {
  'same-cpu': {
    drift: { float32: 1, float16: 1, bfloat16: 1 },
    logit: 0.02,
    value: 0.02,
  },
  cpu: {
    drift: { float32: 1, float16: 1, bfloat16: 1 },
    logit: 0.05,
    value: 0.05,
  },
  device: {
    drift: { float32: 1, float16: 2, bfloat16: 4 },
    logit: 0.15,
    value: 0.1,
  },
}

/**
 * Aggregate thresholds over one output, fixed from the honest calibration
 * runs before the cheat set was measured: about 4-8x the worst honest CPU
 * value of each statistic, and at least twice what the H200 drift above
 * predicts for a GPU node. A token's score is the logit perturbation (per
 * logit, worst case) that would make the seeded sampler pick it, divided by
 * the token's tolerance: 0 when the auditor's own sampler picks it, <= 1
 * inside the band.
 */
export const AUDIT_THRESHOLDS = {
  /** No single token may need more than this many tolerances (bounds steering). Honest worst 0.26. */
  maxTokenScore: 2,
  /** Tokens outside the band (score > 1) allowed: fraction of the output... Honest worst: none. */
  maxOutsideFraction: 0.02,
  /** ...plus this many, so a short output may have one borderline token. */
  outsideAllowance: 1,
  /** Mean score over all tokens (scores capped at maxTokenScore). Honest worst 0.0072. */
  maxMeanScore: 0.05,
  /** Commitments: mean top-k overlap over all chunks (honest worst 0.938) and the worst chunk (0.875). */
  minMeanOverlap: 0.85,
  minChunkOverlap: 0.5,
  /** Matched commitment values outside their tolerance: at most this share (honest worst 2.2%). */
  maxValueOutsideFraction: 0.1,
  /** Median matched value error, in tolerances (honest worst 0.144). */
  maxMedianValueScore: 0.5,
} as const

export type AuditThresholds = { [K in keyof typeof AUDIT_THRESHOLDS]: number }

export function isActivationDtype(d: string): d is ActivationDtype {
  return (ACTIVATION_DTYPES as readonly string[]).includes(d)
}

/** Unit in the last place of |x| in `dtype` (normal range; tiny |x| floored). */
export function ulp(x: number, dtype: ActivationDtype): number {
  const a = Math.max(Math.abs(x), 2 ** -14)
  return 2 ** (Math.floor(Math.log2(a)) - MANTISSA_BITS[dtype])
}

export function kernelFamily(backend: string): KernelFamily {
  const kernels = /^(?:mlx-)?([a-z0-9-]+?)(?:\/|$)/.exec(backend)?.[1]
  if (kernels === 'cpu') return 'cpu'
  if (kernels === 'cpu-graph') return 'cpu-graph'
  return 'gpu'
}

export function backendPair(a: string, b: string): BackendPair {
  const fa = kernelFamily(a)
  const fb = kernelFamily(b)
  if (fa === 'gpu' || fb === 'gpu') return 'device'
  return fa === 'cpu' && fb === 'cpu' ? 'same-cpu' : 'cpu'
}

/** The coarser (fewer mantissa bits) of two dtypes. */
export function coarserDtype(
  a: ActivationDtype,
  b: ActivationDtype,
): ActivationDtype {
  return MANTISSA_BITS[a] <= MANTISSA_BITS[b] ? a : b
}

/**
 * Tolerances for auditing `node`'s declared run with the `auditor`'s own.
 * Throws on a dtype the policy does not know (the caller treats a node that
 * declares one as unverifiable).
 */
export function auditTolerance(
  node: Participant,
  auditor: Participant,
): AuditTolerance {
  for (const p of [node, auditor])
    if (!isActivationDtype(p.dtype))
      throw new Error(
        `activation dtype "${p.dtype}" is not one of ${ACTIVATION_DTYPES.join(', ')}`,
      )
  const dtype = coarserDtype(
    node.dtype as ActivationDtype,
    auditor.dtype as ActivationDtype,
  )
  const pair = backendPair(node.backend, auditor.backend)
  const { drift, logit, value } = PAIR_TERMS[pair]
  return {
    dtype,
    pair,
    logitUlps: DTYPE_ULPS.logit * drift[dtype],
    logitFloor: logit,
    valueUlps: DTYPE_ULPS.value * drift[dtype],
    valueFloor: value,
  }
}

/** Per-logit error bound at a logit of size |x|. */
export function logitTolerance(t: AuditTolerance, x: number): number {
  return t.logitUlps * ulp(x, t.dtype) + t.logitFloor
}

/** Error bound for a hidden-state value of size |x|. */
export function valueTolerance(t: AuditTolerance, x: number): number {
  return t.valueUlps * ulp(x, t.dtype) + t.valueFloor
}

// `hive.redundancy: k`: the same seeded request on the k best members. When
// every output is token-identical (identical stacks) that answer stands;
// otherwise each distinct output is audited (receipts/auditOutput: the
// claimed tokens teacher-forced through this member's copy of the model and
// judged by the cross-backend policy) and only one that audits clean is
// returned. Members whose output fails are reported, with their receipt's
// model digest, in the `x-pocket-hive` header.
import type { Model } from '../engine/model.ts'
import { withSamplingDefaults } from '../engine/samplingDefaults.ts'
import { auditOutput } from '../receipts/auditOutput.ts'
import type { Generation } from '../server/generation/startGeneration.ts'
import {
  type CollectedResult,
  collectResult,
  recordResult,
  targetOf,
} from './collectResult.ts'
import { outputHashOf } from './contributionReceipt.ts'
import { HiveError, HiveUnavailableError } from './errors.ts'
import type { HiveMember } from './HiveMember.ts'
import { replayGeneration } from './replayGeneration.ts'
import type { HiveRouteParameters } from './routing.ts'

export class HiveRedundancyError extends HiveError {
  override name = 'HiveRedundancyError' as const
  override status = 502
  override code = 'hive_redundancy_failed'
}

export type RedundancyReport = {
  redundancy: number
  served: string
  agreed: boolean
  members: {
    device: string
    outputHash: string
    modelDigest: string
    audit?: { ok: boolean; reasons: string[] }
  }[]
}

export async function runRedundant(
  member: HiveMember,
  p: HiveRouteParameters,
  k: number,
): Promise<{ gen: Generation; report: RedundancyReport }> {
  const seed =
    typeof p.body.seed === 'number'
      ? p.body.seed
      : Math.floor(Math.random() * 2 ** 31)
  const body = { ...p.body, seed, stream: false }
  const ranked = await member.rank(p.request.model)
  if (ranked.length < k)
    throw new HiveUnavailableError(
      `Redundancy ${k} needs ${k} members with "${p.request.model}"; ${ranked.length} can serve it now.`,
    )
  const settled = await Promise.allSettled(
    ranked
      .slice(0, k)
      .map((r) =>
        collectResult(
          member,
          targetOf(member, r),
          { kind: p.kind, body, withPrompt: true },
          p.signal,
        ),
      ),
  )
  const results = settled
    .filter(
      (s): s is PromiseFulfilledResult<CollectedResult> =>
        s.status === 'fulfilled',
    )
    .map((s) => s.value)
  if (results.length === 0) {
    const why = settled.find((s) => s.status === 'rejected')
    throw why?.status === 'rejected'
      ? why.reason
      : new HiveRedundancyError('no member answered')
  }
  const hashes = results.map((r) => outputHashOf(r.tokens))
  const agreed = hashes.every((h) => h === hashes[0]) && results.length === k
  const members: RedundancyReport['members'] = results.map((r, i) => ({
    device: r.device,
    outputHash: hashes[i] as string,
    modelDigest: r.receipt.receipt.modelDigest,
  }))
  let chosen: CollectedResult | undefined = agreed ? results[0] : undefined
  if (!chosen) chosen = await auditAll(member, p, results, members, seed)
  if (!chosen)
    throw new HiveRedundancyError(
      `Redundancy ${k}: no member's output audits clean (${members
        .map(
          (m) =>
            `${m.device.slice(0, 8)}: ${m.audit?.reasons.join('; ') ?? 'not audited'}`,
        )
        .join(' | ')}).`,
    )
  // Only output that agreed or audited clean is paid for.
  for (const [i, r] of results.entries())
    if (agreed || members[i]?.audit?.ok) recordResult(member, r)
  return {
    gen: replayGeneration(chosen),
    report: { redundancy: k, served: chosen.device, agreed, members },
  }
}

/** Audits each distinct output with this member's model; the first clean one wins. */
async function auditAll(
  member: HiveMember,
  p: HiveRouteParameters,
  results: CollectedResult[],
  report: RedundancyReport['members'],
  seed: number,
): Promise<CollectedResult | undefined> {
  const ctx = member.context
  if (!ctx) return undefined
  const lease = await ctx.residency.acquire(p.request.model)
  try {
    const model = lease.model as unknown as Model
    if (typeof model.audit !== 'function') return undefined
    const sampling = withSamplingDefaults(
      { ...p.request.options, seed },
      model.info.samplingDefaults,
    )
    let chosen: CollectedResult | undefined
    const verdicts = new Map<string, { ok: boolean; reasons: string[] }>()
    for (const [i, r] of results.entries()) {
      const hash = report[i]?.outputHash as string
      let v = verdicts.get(hash)
      if (!v) {
        const verdict = await auditOutput(model, {
          promptTokens: r.promptTokens ?? [],
          completionTokens: r.tokens,
          sampling,
        })
        v = { ok: verdict.ok && !!r.promptTokens, reasons: verdict.reasons }
        verdicts.set(hash, v)
      }
      ;(report[i] as RedundancyReport['members'][number]).audit = v
      if (v.ok && !chosen) chosen = r
    }
    return chosen
  } finally {
    lease.release()
  }
}

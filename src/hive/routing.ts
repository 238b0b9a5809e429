// What the server's generation endpoints call when it runs in a hive: plain
// requests go to the best member (with failover); `hive.redundancy` and
// `hive.synthesis` requests gather several answers first. What happened is
// summarized in the `x-pocket-hive` response header.
import type { Generation } from '../server/generation/startGeneration.ts'
import { startGeneration } from '../server/generation/startGeneration.ts'
import type { GenerationRequest } from '../server/generation/types.ts'
import { parseChatCompletionRequest } from '../server/validate/chatCompletionRequest.ts'
import type { HiveMember } from './HiveMember.ts'
import { startHiveGeneration } from './hiveGeneration.ts'
import { runRedundant } from './redundancy.ts'
import { runSynthesis } from './synthesis.ts'

export type HiveRouteParameters = {
  kind: 'chat' | 'text'
  /** The client's JSON body. */
  body: Record<string, unknown>
  request: GenerationRequest
  signal: AbortSignal
  /** Runs the request on this member. */
  local: () => Promise<Generation>
  /** Runs another chat body on this member (mixture-of-agents). */
  localWith: (body: Record<string, unknown>) => Promise<Generation>
  /** Sets the `x-pocket-hive` header (before any byte is sent). */
  report: (info: object) => void
}

export type HiveRouting = {
  start(p: Omit<HiveRouteParameters, 'localWith'>): Promise<Generation>
}

export function hiveRouting(member: HiveMember): HiveRouting {
  return {
    async start(q) {
      const localWith = async (body: Record<string, unknown>) => {
        const ctx = member.context
        if (!ctx) throw new Error('hive member not attached to a server')
        return startGeneration(
          ctx.residency,
          await parseChatCompletionRequest(body),
          q.signal,
          { counters: ctx.generations, reasoningTags: ctx.reasoningTags },
        )
      }
      const p: HiveRouteParameters = { ...q, localWith }
      const { hive: _hive, ...body } = p.body
      const o = p.request.hive ?? {}
      if (o.redundancy && o.redundancy > 1) {
        const r = await runRedundant(member, { ...p, body }, o.redundancy)
        p.report(r.report)
        return r.gen
      }
      if (o.synthesis) {
        const r = await runSynthesis(member, { ...p, body }, o)
        p.report(r.report)
        return r.gen
      }
      let served = member.device
      const gen = await startHiveGeneration(member, {
        kind: p.kind,
        body,
        model: p.request.model,
        signal: p.signal,
        local: p.local,
        device: o.device,
        onServed: (device) => {
          served = device
        },
      })
      p.report({ coordinator: member.device, served })
      return gen
    },
  }
}

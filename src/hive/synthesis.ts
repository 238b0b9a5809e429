// `hive.synthesis`: several answers, one reply. "vote" asks `samples`
// members (or one per listed model) and returns the majority answer
// (normalized text: closed answers such as a number or a yes/no); "moa"
// (mixture-of-agents) gives the answers to an aggregator model that writes
// the final reply, streamed like any hive request.
import type { Generation } from '../server/generation/startGeneration.ts'
import {
  type CollectedResult,
  collectResult,
  recordResult,
  targetOf,
} from './collectResult.ts'
import { HiveFormatError, HiveUnavailableError } from './errors.ts'
import type { HiveMember, Ranked } from './HiveMember.ts'
import { startHiveGeneration } from './hiveGeneration.ts'
import type { HiveOptions } from './hiveOptions.ts'
import { replayGeneration } from './replayGeneration.ts'
import type { HiveRouteParameters } from './routing.ts'

export type SynthesisReport = {
  synthesis: 'vote' | 'moa'
  answers: { device: string; model: string; text: string }[]
  votes?: Record<string, number>
}

// The aggregate-and-synthesize prompt of Wang et al., "Mixture-of-Agents".
const MOA_PROMPT =
  'You have been provided with a set of responses from various open-source models to the latest user query. ' +
  'Your task is to synthesize these responses into a single, high-quality response. Critically evaluate the ' +
  'information provided in these responses, recognizing that some of it may be biased or incorrect. Your response ' +
  'should not simply replicate the given answers but should offer a refined, accurate, and comprehensive reply ' +
  'to the instruction.\n\nResponses from models:'

export function normalizeAnswer(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/[.!。]+$/, '')
}

async function gather(
  member: HiveMember,
  p: HiveRouteParameters,
  o: HiveOptions,
): Promise<CollectedResult[]> {
  const plan: { model: string; pick: Ranked }[] = []
  if (o.models) {
    for (const model of o.models) {
      const best = (await member.rank(model))[0]
      if (best) plan.push({ model, pick: best })
    }
  } else {
    const ranked = await member.rank(p.request.model)
    const n = o.samples ?? 3
    for (let i = 0; i < n && ranked.length; i++)
      plan.push({
        model: p.request.model,
        pick: ranked[i % ranked.length] as Ranked,
      })
  }
  if (plan.length === 0)
    throw new HiveUnavailableError(
      'No hive member can serve the synthesis models.',
    )
  const baseSeed = typeof p.body.seed === 'number' ? p.body.seed : 0
  const settled = await Promise.allSettled(
    plan.map((x, i) =>
      collectResult(
        member,
        targetOf(member, x.pick),
        {
          kind: p.kind,
          body: {
            ...p.body,
            model: x.model,
            seed: baseSeed + i,
            stream: false,
          },
        },
        p.signal,
      ),
    ),
  )
  const ok = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
  if (ok.length === 0) {
    const first = settled[0]
    throw first?.status === 'rejected'
      ? first.reason
      : new HiveUnavailableError('no answers')
  }
  return ok
}

export async function runSynthesis(
  member: HiveMember,
  p: HiveRouteParameters,
  o: HiveOptions,
): Promise<{ gen: Generation; report: SynthesisReport }> {
  const mode = o.synthesis as 'vote' | 'moa'
  if (mode === 'moa' && p.kind !== 'chat')
    throw new HiveFormatError(
      '\'hive.synthesis: "moa"\' needs a chat request (messages).',
    )
  const answers = await gather(member, p, o)
  for (const a of answers) recordResult(member, a)
  const listed = answers.map((a) => ({
    device: a.device,
    model: a.start.identifier,
    text: a.text,
  }))
  if (mode === 'vote') {
    const votes: Record<string, number> = {}
    for (const a of answers) {
      const k = normalizeAnswer(a.text)
      votes[k] = (votes[k] ?? 0) + 1
    }
    const best = Object.entries(votes).sort((a, b) => b[1] - a[1])[0]?.[0]
    const winner = answers.find(
      (a) => normalizeAnswer(a.text) === best,
    ) as CollectedResult
    return {
      gen: replayGeneration(winner),
      report: { synthesis: 'vote', answers: listed, votes },
    }
  }
  const messages = (p.body.messages as unknown[]) ?? []
  const system = `${MOA_PROMPT}\n${answers.map((a, i) => `${i + 1}. ${a.text.trim()}`).join('\n')}`
  const { hive: _h, ...rest } = p.body
  const body = {
    ...rest,
    model: o.aggregator ?? p.request.model,
    messages: [{ role: 'system', content: system }, ...messages],
  }
  const gen = await startHiveGeneration(member, {
    kind: 'chat',
    body,
    model: body.model as string,
    signal: p.signal,
    local: () => p.localWith(body),
  })
  return { gen, report: { synthesis: 'moa', answers: listed } }
}

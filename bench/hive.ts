// Hive benchmark (issue 16), members as real `pocket serve --hive` processes
// with SmolLM2:
// 1. Discovery: from a member's "listening" line to its appearance in
//    another member's peer list, over multicast in network namespaces
//    (skipped with the reason when namespaces are unavailable).
// 2. Routing overhead: p50 latency of a 1-token chat request sent straight
//    to member B vs. through coordinator A that routes it to B (goal ≤ 5 ms
//    on loopback).
// 3. Failover gap: a stream through A served by B; B is SIGKILLed after 8
//    chunks; the longest pause the client sees (goal ≤ 1 s).
// 4. Aggregate tok/s of a mixed load (6 concurrent requests of 16–96
//    tokens) on a hive of 3 serving members vs. 1. Every member of this run
//    shares the same machine, so the ratio says what routing spreads, not
//    what 3 real devices would add.
// Run: `node bench/hive.ts` → table + bench/results/hive.json.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeJoinCode, hiveFromSecret } from '../src/hive/joinCode.ts'
import { generateKeyPair } from '../src/hive/keys.ts'
import { freePort } from '../src/marketplace/startLocalChain.ts'
import {
  type MemberProcess,
  peersOf,
  SMOL,
  startMember,
  waitFor,
  writeSysfs,
} from '../test/helpers/hiveMember.ts'

const work = mkdtempSync(join(tmpdir(), 'pocket-bench-hive-'))
const newCode = () =>
  encodeJoinCode(hiveFromSecret(generateKeyPair().secretKey, 0n))
const p50 = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const body = (max: number, extra: object = {}) => ({
  model: SMOL,
  messages: [
    {
      role: 'user',
      content: 'Tell me a long story about a lighthouse keeper.',
    },
  ],
  temperature: 0,
  max_tokens: max,
  logit_bias: { '0': -100, '1': -100, '2': -100 },
  ...extra,
})

async function timedPost(
  url: string,
  b: object,
): Promise<{ ms: number; tokens: number }> {
  const t0 = performance.now()
  const r = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(b),
  })
  const j = (await r.json()) as { usage?: { completion_tokens: number } }
  if (!r.ok) throw new Error(JSON.stringify(j))
  return { ms: performance.now() - t0, tokens: j.usage?.completion_tokens ?? 0 }
}

/** Streams; returns the chunk arrival times (ms) and calls onChunk(n). */
async function timedStream(
  url: string,
  b: object,
  onChunk: (n: number) => void,
) {
  const r = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...b, stream: true }),
  })
  const times: number[] = []
  const dec = new TextDecoder()
  let buf = ''
  for await (const part of r.body as unknown as AsyncIterable<Uint8Array>) {
    buf += dec.decode(part, { stream: true })
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl)
      buf = buf.slice(nl + 1)
      if (line.startsWith('data: {') && line.includes('"content"')) {
        times.push(performance.now())
        onChunk(times.length)
      }
    }
  }
  return times
}

async function discovery(): Promise<object> {
  const tag = `${process.pid % 100000}`
  const subnet = `10.98.${process.pid % 250}`
  const bridge = `pcbb${tag}`
  const ns = ['a', 'b'].map((x) => `pcbn${tag}${x}`)
  const ip = (...a: string[]) => execFileSync('ip', a, { stdio: 'pipe' })
  const members: MemberProcess[] = []
  try {
    ip('link', 'add', bridge, 'type', 'bridge')
    ip('link', 'set', bridge, 'up')
    ns.forEach((n, i) => {
      const v = `pcbv${tag}${i}`
      ip('netns', 'add', n)
      ip('link', 'add', v, 'type', 'veth', 'peer', 'name', `${v}p`)
      ip('link', 'set', `${v}p`, 'netns', n)
      ip('link', 'set', v, 'master', bridge, 'up')
      ip('netns', 'exec', n, 'ip', 'link', 'set', 'lo', 'up')
      ip(
        'netns',
        'exec',
        n,
        'ip',
        'addr',
        'add',
        `${subnet}.${i + 1}/24`,
        'dev',
        `${v}p`,
      )
      ip('netns', 'exec', n, 'ip', 'link', 'set', `${v}p`, 'up')
    })
    ip('addr', 'add', `${subnet}.254/24`, 'dev', bridge)
  } catch (e) {
    for (const n of ns)
      execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' })
    return {
      skipped: `network namespaces unavailable: ${(e as Error).message.split('\n')[0]}`,
    }
  }
  try {
    const code = newCode()
    const start = (i: number) =>
      startMember({
        name: `n${i}`,
        code,
        port: 1234,
        host: `${subnet}.${i + 1}`,
        discovery: true,
        prefix: ['ip', 'netns', 'exec', ns[i] as string],
      })
    members.push(await start(0))
    const b = await start(1) // resolves at its "listening" line
    members.push(b)
    const t0 = performance.now()
    const id = await b.device()
    await waitFor(
      async () =>
        (await peersOf(members[0]?.url as string)).data.some(
          (p) => p.device === id,
        ),
      60_000,
      'discovery',
    )
    const appearMs = performance.now() - t0
    const t1 = performance.now()
    await b.kill('SIGTERM')
    await waitFor(
      async () =>
        !(await peersOf(members[0]?.url as string)).data.some(
          (p) => p.device === id,
        ),
      60_000,
      'goodbye',
    )
    return {
      appearMs: Math.round(appearMs),
      goodbyeGoneMs: Math.round(performance.now() - t1),
      goal: 'appear ≤ 5000 ms, gone ≤ 15000 ms',
    }
  } finally {
    await Promise.all(members.map((m) => m.kill('SIGKILL')))
    for (const n of ns)
      execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' })
    execFileSync('ip', ['link', 'del', bridge], { stdio: 'ignore' })
  }
}

async function loopbackHive(serving: number, sysfsTag: string) {
  const code = newCode()
  const ports = await Promise.all(
    Array.from({ length: serving + 1 }, () => freePort()),
  )
  const addrs = ports.map((p) => `127.0.0.1:${p}`)
  const dirs = ports.map((_, i) => join(work, `${sysfsTag}-${i}`))
  // Member 0 coordinates and is critically hot: it never serves itself.
  await Promise.all(
    dirs.map((d, i) =>
      writeSysfs(d, {
        percent: null,
        charging: true,
        tempC: i === 0 ? 99 : 40,
      }),
    ),
  )
  const members = await Promise.all(
    ports.map((port, i) =>
      startMember({
        name: `m${i}`,
        code,
        port,
        peers: addrs.filter((_, j) => j !== i),
        sysfs: dirs[i],
      }),
    ),
  )
  await waitFor(
    async () =>
      (await peersOf(members[0]?.url as string)).data.length === serving,
    60_000,
    'peers',
  )
  return members
}

const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: `${cpus().length} CPU cores (shared)`,
  loadAverage: loadavg().map((x) => +x.toFixed(2)),
}
try {
  results.discovery = await discovery()
  console.log('discovery', results.discovery)

  const three = await loopbackHive(3, 'three')
  const [A, B] = three as [MemberProcess, MemberProcess]
  const bId = await B.device()
  for (let i = 0; i < 3; i++) await timedPost(B.url, body(1)) // load + warm
  const direct: number[] = []
  const routed: number[] = []
  for (let i = 0; i < 20; i++) {
    direct.push((await timedPost(B.url, body(1))).ms)
    routed.push((await timedPost(A.url, body(1, { hive: { device: bId } }))).ms)
  }
  results.routing = {
    directP50Ms: +p50(direct).toFixed(2),
    routedP50Ms: +p50(routed).toFixed(2),
    overheadP50Ms: +(p50(routed) - p50(direct)).toFixed(2),
    goal: '≤ 5 ms on loopback',
  }
  console.log('routing', results.routing)

  const load = [16, 96, 32, 64, 48, 80]
  const aggregate = async (coordinator: MemberProcess) => {
    const t0 = performance.now()
    const done = await Promise.all(
      load.map((n) => timedPost(coordinator.url, body(n))),
    )
    const tokens = done.reduce((s, d) => s + d.tokens, 0)
    return {
      tokens,
      seconds: +((performance.now() - t0) / 1000).toFixed(2),
      tokPerSec: +(tokens / ((performance.now() - t0) / 1000)).toFixed(1),
    }
  }
  await aggregate(A) // every member loads the model
  const agg3 = await aggregate(A)

  // Every member has the model loaded: the gap is the failover, not a load.
  for (const m of three.slice(1))
    await timedPost(A.url, body(1, { hive: { device: await m.device() } }))
  let killed: Promise<void> | null = null
  const times = await timedStream(
    A.url,
    body(160, { hive: { device: bId } }),
    (n) => {
      if (n === 8) killed = B.kill('SIGKILL')
    },
  )
  await killed
  const gaps = times.slice(1).map((t, i) => t - (times[i] as number))
  const normal = p50(gaps.slice(0, 7))
  results.failover = {
    chunks: times.length,
    maxGapMs: Math.round(Math.max(...gaps)),
    p50GapMs: +normal.toFixed(1),
    goal: 'failover gap ≤ 1000 ms',
  }
  console.log('failover', results.failover)
  await Promise.all(three.map((m) => m.kill('SIGKILL')))

  const one = await loopbackHive(1, 'one')
  await aggregate(one[0] as MemberProcess)
  const agg1 = await aggregate(one[0] as MemberProcess)
  await Promise.all(one.map((m) => m.kill('SIGKILL')))
  results.aggregate = {
    load: load.map((n) => `${n} tokens`),
    threeMembers: agg3,
    oneMember: agg1,
    ratio: +(agg3.tokPerSec / agg1.tokPerSec).toFixed(2),
    note: 'all members run on this one machine and share its cores',
  }
  console.log('aggregate', results.aggregate)
} finally {
  rmSync(work, { recursive: true, force: true })
}
const out = join(import.meta.dirname, 'results', 'hive.json')
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true })
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`)
console.table({
  'discovery appear (ms)':
    (results.discovery as { appearMs?: number }).appearMs ?? 'skipped',
  'routing overhead p50 (ms)': (results.routing as { overheadP50Ms: number })
    .overheadP50Ms,
  'failover max gap (ms)': (results.failover as { maxGapMs: number }).maxGapMs,
  '3 vs 1 members tok/s': (results.aggregate as { ratio: number }).ratio,
})
console.log(`wrote ${out}`)
process.exit(0)

// Routing overhead of the hive path itself: two members in one process with
// the fake engine model (no weights, no decode cost), a 1-token chat request
// straight to member B vs. through coordinator A (critically hot, so it
// routes to B). bench/hive.ts measures the same with real processes and
// SmolLM2, where the machine's load dominates. Writes
// bench/results/hive-routing.json. Run: `node bench/hiveRouting.ts`.
import { mkdirSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { issueCertificate } from '../src/hive/certificate.ts'
import { HiveMember } from '../src/hive/HiveMember.ts'
import { hiveFromSecret } from '../src/hive/joinCode.ts'
import { generateKeyPair } from '../src/hive/keys.ts'
import { startFakeServer } from '../test/helpers/fakeServer.ts'

const hive = hiveFromSecret(generateKeyPair().secretKey, 1n)
const member = (hot: boolean) => {
  const key = generateKeyPair()
  return new HiveMember({
    hive,
    device: key,
    cert: issueCertificate(hive, key, { name: hot ? 'A' : 'B' }),
    dir: null,
    discovery: false,
    power: {
      read: async () => ({
        battery: null,
        thermal: hot ? 'critical' : 'nominal',
      }),
    },
  })
}
const a = member(true)
const b = member(false)
const sa = await startFakeServer({ hive: a, modelOptions: { reply: 'ok' } })
const sb = await startFakeServer({ hive: b, modelOptions: { reply: 'ok' } })
await a.start(sa.url)
await b.start(sb.url)
a.addAddress(new URL(sb.url).host, 'manual')
await a.probeAll()
const body = JSON.stringify({
  model: 'tiny-chat',
  messages: [{ role: 'user', content: 'hi' }],
  max_tokens: 1,
})
const time = async (url: string) => {
  const t0 = performance.now()
  const r = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
  })
  const text = await r.text()
  if (r.status !== 200) throw new Error(text)
  return performance.now() - t0
}
for (let i = 0; i < 10; i++) {
  await time(sb.url)
  await time(sa.url)
}
const direct: number[] = []
const routed: number[] = []
for (let i = 0; i < 200; i++) {
  direct.push(await time(sb.url))
  routed.push(await time(sa.url))
}
const p50 = (x: number[]) =>
  [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)] as number
const result = {
  date: new Date().toISOString(),
  loadAverage: loadavg().map((x) => +x.toFixed(2)),
  requests: 200,
  directP50Ms: +p50(direct).toFixed(2),
  routedP50Ms: +p50(routed).toFixed(2),
  overheadP50Ms: +(p50(routed) - p50(direct)).toFixed(2),
  goal: '≤ 5 ms on loopback',
}
console.table(result)
await sa.close()
await sb.close()
const out = join(import.meta.dirname, 'results', 'hive-routing.json')
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true })
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`)
console.log(`wrote ${out}`)
process.exit(0)

// DNS-SD discovery over real multicast: three members in their own network
// namespaces joined by a Linux bridge (as root: CI and this machine), each
// advertising `_pocketcloud._tcp` with ciao and browsing with
// bonjour-service. Members find each other with no --peer, and a member
// that stops (goodbye packets) or is SIGKILLed (no goodbye: liveness probes)
// leaves the others' peer lists. Namespaces, veths and the bridge get unique
// names and are deleted afterwards. Without namespaces (not root, no `ip`)
// the suite is skipped with the reason printed; hive.test.ts covers the
// same members over loopback with manual peers.
import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { encodeJoinCode, hiveFromSecret } from '../../src/hive/joinCode.ts'
import { generateKeyPair } from '../../src/hive/keys.ts'
import {
  type MemberProcess,
  peersOf,
  startMember,
  waitFor,
} from '../helpers/hiveMember.ts'

const tag = `${process.pid % 100000}`
const subnet = `10.99.${process.pid % 250}`
const bridge = `pcbr${tag}`
const names = ['a', 'b', 'c'].map((x) => `pcns${tag}${x}`)
const ip = (...args: string[]) =>
  execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString()

function setUpNetwork(): string | null {
  try {
    ip('link', 'add', bridge, 'type', 'bridge')
    ip('addr', 'add', `${subnet}.254/24`, 'dev', bridge)
    ip('link', 'set', bridge, 'up')
    names.forEach((ns, i) => {
      const veth = `pcv${tag}${i}`
      ip('netns', 'add', ns)
      ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', `${veth}p`)
      ip('link', 'set', `${veth}p`, 'netns', ns)
      ip('link', 'set', veth, 'master', bridge, 'up')
      const inNs = (...a: string[]) => ip('netns', 'exec', ns, 'ip', ...a)
      inNs('link', 'set', 'lo', 'up')
      inNs('addr', 'add', `${subnet}.${i + 1}/24`, 'dev', `${veth}p`)
      inNs('link', 'set', `${veth}p`, 'up', 'multicast', 'on')
      inNs('route', 'add', 'default', 'dev', `${veth}p`)
    })
    return null
  } catch (e) {
    tearDownNetwork()
    return (e as Error).message.split('\n')[0] ?? 'unknown error'
  }
}

function tearDownNetwork(): void {
  for (const ns of names) {
    try {
      ip('netns', 'del', ns)
    } catch {}
  }
  try {
    ip('link', 'del', bridge)
  } catch {}
}

const unavailable = process.platform !== 'linux' ? 'not Linux' : setUpNetwork()
if (unavailable)
  console.warn(
    `hiveDiscovery: network namespaces unavailable (${unavailable}); skipping multicast discovery (hive.test.ts covers loopback).`,
  )

describe.skipIf(!!unavailable)(
  'hive discovery over multicast in network namespaces',
  () => {
    const members: MemberProcess[] = []
    const code = encodeJoinCode(hiveFromSecret(generateKeyPair().secretKey, 0n))
    const start = (i: number) =>
      startMember({
        name: `ns${i}`,
        code,
        port: 1234,
        host: `${subnet}.${i + 1}`,
        discovery: true,
        prefix: ['ip', 'netns', 'exec', names[i] as string],
      })
    const ids = async (m: MemberProcess) =>
      (await peersOf(m.url)).data.map((p) => p.device)

    beforeAll(async () => {
      members.push(...(await Promise.all([start(0), start(1)])))
    })

    afterAll(async () => {
      await Promise.all(members.map((m) => m.kill('SIGKILL')))
      tearDownNetwork()
    })

    test('members find each other by DNS-SD with no --peer', async () => {
      const [a, b] = members as [MemberProcess, MemberProcess]
      await waitFor(
        async () => (await ids(a)).includes(await b.device()),
        30_000,
        'a to see b',
      )
      await waitFor(
        async () => (await ids(b)).includes(await a.device()),
        30_000,
        'b to see a',
      )
      const t0 = Date.now()
      const c = await start(2)
      members.push(c)
      await waitFor(
        async () => (await ids(a)).includes(await c.device()),
        30_000,
        'a to see c',
      )
      console.log(
        `hiveDiscovery: c appeared at a ${Date.now() - t0} ms after its process started`,
      )
      const cId = await c.device()
      const peer = (await peersOf(a.url)).data.find((p) => p.device === cId)
      expect(peer).toMatchObject({ name: 'ns2', source: 'dns-sd' })
    })

    test('a member that stops or dies leaves the lists', async () => {
      const [a, b, c] = members as [MemberProcess, MemberProcess, MemberProcess]
      const cId = await c.device()
      const bId = await b.device()
      let t0 = Date.now()
      await c.kill('SIGTERM') // goodbye packets
      await waitFor(
        async () => !(await ids(a)).includes(cId),
        30_000,
        'c to leave a',
      )
      console.log(
        `hiveDiscovery: stopped member gone after ${Date.now() - t0} ms`,
      )
      t0 = Date.now()
      await b.kill('SIGKILL') // no goodbye: probes notice
      await waitFor(
        async () => !(await ids(a)).includes(bId),
        30_000,
        'b to leave a',
      )
      console.log(
        `hiveDiscovery: killed member gone after ${Date.now() - t0} ms`,
      )
      expect(await ids(a)).toEqual([])
    })
  },
)

// The offline guard on its own: every form of net connect and UDP send to a
// destination outside the allow list is refused before it leaves; allowed
// endpoints (either loopback spelling), Unix sockets and the guard's removal
// keep working.
import dgram from 'node:dgram'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  enforceOffline,
  OfflineError,
  type OfflineGuard,
} from '../../../node/offline.ts'

let guard: OfflineGuard | undefined
afterEach(() => {
  guard?.dispose()
  guard = undefined
})

function listen(server: net.Server, where: number | string) {
  return new Promise<void>((r) => server.listen(where as never, () => r()))
}

/** Resolves 'connected' or the error's name. */
function attempt(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    socket.once('connect', () => {
      socket.destroy()
      resolve('connected')
    })
    socket.once('error', (e) => resolve(e.name))
  })
}

describe('offline guard', () => {
  it('refuses every connect form outside the allow list and allows the rest', async () => {
    let accepted = 0
    const allowed = net.createServer((s) => s.end())
    const other = net.createServer((s) => {
      accepted++
      s.end()
    })
    await listen(allowed, 0)
    await listen(other, 0)
    const a = (allowed.address() as net.AddressInfo).port
    const o = (other.address() as net.AddressInfo).port
    const dir = mkdtempSync(join(tmpdir(), 'pocket-offline-'))
    const ipc = net.createServer((s) => s.end())
    await listen(ipc, join(dir, 'sock'))
    guard = enforceOffline({ allow: [`http://localhost:${a}`] })

    // allowed, under either loopback spelling
    expect(await attempt(net.connect(a, '127.0.0.1'))).toBe('connected')
    expect(await attempt(net.connect({ port: a, host: 'localhost' }))).toBe(
      'connected',
    )
    // refused: positional, options, createConnection, a remote host
    expect(await attempt(net.connect(o, '127.0.0.1'))).toBe('OfflineError')
    expect(await attempt(net.connect({ port: o, host: '127.0.0.1' }))).toBe(
      'OfflineError',
    )
    expect(await attempt(net.createConnection(o))).toBe('OfflineError')
    expect(await attempt(net.connect(443, 'example.com'))).toBe('OfflineError')
    // a Unix socket is local IPC
    expect(await attempt(net.connect(join(dir, 'sock')))).toBe('connected')
    expect(accepted).toBe(0)
    expect(guard.attempts.filter((x) => !x.allowed)).toHaveLength(4)

    // UDP: a send outside the list fails with OfflineError in its callback
    const udp = dgram.createSocket('udp4')
    const error = await new Promise<Error | null>((r) =>
      udp.send('x', 5353, '224.0.0.251', (e) => r(e)),
    )
    udp.close()
    expect(error).toBeInstanceOf(OfflineError)

    // one guard at a time; dispose restores the network
    expect(() => enforceOffline({ allow: [] })).toThrow(OfflineError)
    guard.dispose()
    guard = undefined
    expect(await attempt(net.connect(o, '127.0.0.1'))).toBe('connected')
    for (const s of [allowed, other, ipc]) s.close()
    rmSync(dir, { recursive: true, force: true })
  })
})

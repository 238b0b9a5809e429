// Local-only mode (`pocket node start --offline`): the process may open
// connections to the configured RPC endpoint and peers (a payload relay,
// hive members) and nothing else. Enforced in-process at the socket layer:
// net.Socket#connect (which every HTTP client, Node's fetch/undici, TLS and
// WebSocket go through) and dgram sends refuse any other destination before
// a DNS lookup or a packet leaves. Unix sockets (local IPC) stay allowed.
import dgram from 'node:dgram'
import net from 'node:net'

export class OfflineError extends Error {
  override name = 'OfflineError'
  readonly code = 'EPOCKETOFFLINE'
}

export type ConnectionAttempt = { host: string; port: number; allowed: boolean }

export type OfflineGuard = {
  /** host:port pairs the process may reach. */
  allowed: readonly string[]
  /** Every TCP/UDP destination the process tried, allowed or not. */
  attempts: ConnectionAttempt[]
  /** Restores the original socket methods (tests). */
  dispose: () => void
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1'])

function endpoint(url: string): string {
  const u = new URL(url.includes('://') ? url : `tcp://${url}`)
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  const port =
    u.port || (u.protocol === 'https:' || u.protocol === 'wss:' ? '443' : '80')
  return `${host}:${port}`
}

function same(host: string, port: number, allowed: Set<string>): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  if (allowed.has(`${h}:${port}`)) return true
  // a loopback endpoint may be named either way
  if (LOOPBACK.has(h))
    for (const alias of LOOPBACK)
      if (allowed.has(`${alias}:${port}`)) return true
  return false
}

let active: OfflineGuard | undefined

/** Allows only `allow` (URLs or host:port); returns the guard. */
export function enforceOffline(p: {
  allow: readonly string[]
  onBlocked?: (a: ConnectionAttempt) => void
}): OfflineGuard {
  if (active) throw new OfflineError('Offline mode is already enforced.')
  const allowed = new Set(p.allow.map(endpoint))
  const attempts: ConnectionAttempt[] = []
  const connect = net.Socket.prototype.connect
  const send = dgram.Socket.prototype.send
  const check = (host: string, port: number) => {
    const a = { host, port, allowed: same(host, port, allowed) }
    attempts.push(a)
    if (!a.allowed) p.onBlocked?.(a)
    return a
  }
  // biome-ignore lint/suspicious/noExplicitAny: mirrors net.Socket#connect's overloads
  net.Socket.prototype.connect = function (this: net.Socket, ...args: any[]) {
    const first = args[0]
    const opts = Array.isArray(first)
      ? first[0]
      : typeof first === 'object'
        ? first
        : undefined
    const path = typeof first === 'string' ? first : opts?.path
    if (!path) {
      const port = Number(opts ? opts.port : first)
      const host = String((opts ? opts.host : args[1]) ?? 'localhost')
      const a = check(typeof host === 'string' ? host : 'localhost', port)
      if (!a.allowed) {
        const error = new OfflineError(
          `Offline mode: connection to ${host}:${port} refused (allowed: ${[...allowed].join(', ') || 'none'}).`,
        )
        process.nextTick(() => this.destroy(error))
        return this
      }
    }
    return connect.apply(this, args as never)
  } as typeof connect
  // biome-ignore lint/suspicious/noExplicitAny: mirrors dgram.Socket#send's overloads
  dgram.Socket.prototype.send = function (this: dgram.Socket, ...args: any[]) {
    const cb = typeof args.at(-1) === 'function' ? args.at(-1) : undefined
    const nums = args.filter((a) => typeof a === 'number')
    const port = nums.length >= 3 ? nums[2] : nums[0]
    const host =
      args.find((a, i) => i > 0 && typeof a === 'string') ?? 'localhost'
    const a = check(host, Number(port))
    if (!a.allowed) {
      const error = new OfflineError(
        `Offline mode: datagram to ${host}:${port} refused.`,
      )
      if (cb) process.nextTick(() => cb(error))
      return
    }
    return send.apply(this, args as never)
  } as typeof send
  active = {
    allowed: [...allowed],
    attempts,
    dispose() {
      net.Socket.prototype.connect = connect
      dgram.Socket.prototype.send = send
      active = undefined
    },
  }
  return active
}

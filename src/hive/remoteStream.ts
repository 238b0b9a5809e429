// Opens a hive generation on a peer and reads its signed event stream. Every
// wait is bounded: connecting and the response head by `connectMs`, each
// later event by `stallMs` (a model load before the first token may take
// `firstEventMs`). A dead or silent peer rejects instead of hanging.
import { HiveError, HivePeerError } from './errors.ts'
import type { HiveMember, Peer } from './HiveMember.ts'
import type { HiveGenerateBody } from './serveGeneration.ts'
import { signRequest } from './signedRequest.ts'
import { decodeEvent, type HiveEvent } from './streamEvents.ts'

export class PeerLostError extends HiveError {
  override name = 'PeerLostError' as const
  override status = 502
  override code = 'hive_peer_lost'
}

export type RemoteStream = {
  events: AsyncGenerator<HiveEvent>
  cancel: () => void
}

export type OpenRemoteOptions = {
  connectMs?: number
  firstEventMs?: number
  stallMs: number
  signal?: AbortSignal
}

export async function openRemoteStream(
  member: HiveMember,
  peer: Pick<Peer, 'url' | 'key' | 'device'>,
  body: HiveGenerateBody,
  o: OpenRemoteOptions,
): Promise<RemoteStream> {
  const controller = new AbortController()
  const abort = () => controller.abort(new Error('cancelled'))
  o.signal?.addEventListener('abort', abort, { once: true })
  const text = JSON.stringify(body)
  const path = '/v1/hive/generate'
  const headers = signRequest(member.identity, 'POST', path, text)
  const nonce = headers['x-hive-nonce'] as string
  const connect = setTimeout(
    () => controller.abort(new PeerLostError('connect timeout')),
    o.connectMs ?? 3_000,
  )
  let res: Response
  try {
    res = await fetch(peer.url + path, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: text,
      signal: controller.signal,
    })
  } catch (cause) {
    throw new PeerLostError(`member ${peer.device} unreachable`, { cause })
  } finally {
    clearTimeout(connect)
  }
  if (!res.ok || !res.body) {
    const payload = (await res.json().catch(() => null)) as
      | HivePeerError['body']
      | null
    if (payload?.error) throw new HivePeerError(res.status, payload)
    throw new PeerLostError(`member ${peer.device} answered ${res.status}`)
  }
  const reader = res.body.getReader()
  const decoder = new TextDecoder()
  async function read(ms: number) {
    let timer: ReturnType<typeof setTimeout> | undefined
    const stall = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new PeerLostError(`member ${peer.device} silent for ${ms} ms`))
      }, ms)
    })
    try {
      return await Promise.race([reader.read(), stall])
    } finally {
      clearTimeout(timer)
    }
  }
  async function drain(): Promise<void> {
    try {
      while (!(await read(2_000)).done) {}
    } catch {
      controller.abort(new Error('done'))
    }
  }
  async function* events(): AsyncGenerator<HiveEvent> {
    let buffer = ''
    let seq = 0
    let finished = false
    try {
      while (true) {
        const nl = buffer.indexOf('\n')
        if (nl >= 0) {
          const line = buffer.slice(0, nl)
          buffer = buffer.slice(nl + 1)
          const event = decodeEvent(line, seq++, nonce, peer.key)
          if (event.type === 'done' || event.type === 'error') finished = true
          yield event
          if (finished) return
          continue
        }
        let chunk: Awaited<ReturnType<typeof reader.read>>
        try {
          chunk = await read(
            seq === 0 ? (o.firstEventMs ?? 120_000) : o.stallMs,
          )
        } catch (cause) {
          if (cause instanceof PeerLostError) throw cause
          throw new PeerLostError(`member ${peer.device} stream broke`, {
            cause,
          })
        }
        if (chunk.done)
          throw new PeerLostError(
            `member ${peer.device} ended the stream early`,
          )
        buffer += decoder.decode(chunk.value, { stream: true })
      }
    } finally {
      o.signal?.removeEventListener('abort', abort)
      // A finished stream is read to its end so the connection is reused.
      if (finished) void drain()
      else controller.abort(new Error('cancelled'))
    }
  }
  return { events: events(), cancel: abort }
}

// The hive's GET /v1/hive/peers answers `{"data": [...]}` (issue 16); the
// fields of a peer are read defensively, so a device record with more or
// fewer fields still shows what it has.
export type HivePeer = {
  id: string
  name: string
  address: string | null
  models: string[]
  battery: { level: number | null; charging: boolean | null } | null
  thermal: string | null
  load: string | null
  score: number | null
  contributions: string | null
}

type Raw = Record<string, unknown>

const str = (v: unknown): string | null =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null
const num = (v: unknown): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : null

function battery(v: unknown): HivePeer['battery'] {
  if (typeof v === 'number')
    return { level: v <= 1 ? v * 100 : v, charging: null }
  if (!v || typeof v !== 'object') return null
  const b = v as Raw
  const level = num(b.level ?? b.percent ?? b.percentage)
  const charging =
    typeof b.charging === 'boolean'
      ? b.charging
      : typeof b.state === 'string'
        ? /charg|full|ac/i.test(b.state) && !/dis/i.test(b.state)
        : null
  return { level: level !== null && level <= 1 ? level * 100 : level, charging }
}

function load(p: Raw): string | null {
  const l = p.load
  if (typeof l === 'number' || typeof l === 'string') return String(l)
  if (l && typeof l === 'object') {
    const o = l as Raw
    const parts = [
      num(o.queue ?? o.queueDepth ?? o.queue_depth) !== null &&
        `queue ${num(o.queue ?? o.queueDepth ?? o.queue_depth)}`,
      num(o.active ?? o.activeRequests ?? o.active_requests) !== null &&
        `active ${num(o.active ?? o.activeRequests ?? o.active_requests)}`,
      num(o.tokensPerSecond ?? o.tokens_per_second) !== null &&
        `${num(o.tokensPerSecond ?? o.tokens_per_second)?.toFixed(1)} tok/s`,
    ].filter(Boolean)
    return parts.length ? parts.join(' · ') : JSON.stringify(l)
  }
  const q = num(p.queue ?? p.queueDepth ?? p.queue_depth)
  return q === null ? null : `queue ${q}`
}

export function normalizePeer(raw: unknown, n: number): HivePeer {
  const p = (raw && typeof raw === 'object' ? raw : {}) as Raw
  const id = str(p.id ?? p.nodeId ?? p.node_id ?? p.deviceId) ?? `peer-${n + 1}`
  const models = Array.isArray(p.models)
    ? p.models.map((m) =>
        typeof m === 'string'
          ? m
          : (str((m as Raw)?.id ?? (m as Raw)?.key) ?? '?'),
      )
    : []
  const thermal = p.thermal ?? p.thermalState ?? p.thermal_state
  const c = p.contributions ?? p.contribution
  return {
    id,
    name: str(p.name ?? p.hostname ?? p.deviceName) ?? id,
    address: str(p.address ?? p.url ?? p.host),
    models,
    battery: battery(p.battery),
    thermal:
      typeof thermal === 'string'
        ? thermal
        : thermal && typeof thermal === 'object'
          ? (str((thermal as Raw).state) ?? JSON.stringify(thermal))
          : null,
    load: load(p),
    score: num(p.score),
    contributions:
      c == null ? null : typeof c === 'object' ? JSON.stringify(c) : String(c),
  }
}

export function normalizePeers(body: unknown): HivePeer[] {
  const list = Array.isArray(body)
    ? body
    : Array.isArray((body as Raw)?.data)
      ? ((body as Raw).data as unknown[])
      : Array.isArray((body as Raw)?.peers)
        ? ((body as Raw).peers as unknown[])
        : []
  return list.map(normalizePeer)
}

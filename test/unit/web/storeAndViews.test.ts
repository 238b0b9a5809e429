// Conversations in IndexedDB (fake-indexeddb, the W3C-tested in-memory
// implementation, standing in for the browser's): saved, listed newest
// first, reopened, deleted, exported. Plus the small view helpers: the
// hive peer reader, the reputation sparkline, formatting.
import { IDBFactory } from 'fake-indexeddb'
import { describe, expect, it } from 'vitest'
import {
  ConversationStore,
  exportConversation,
  titleOf,
} from '../../../web/src/chat/conversationStore.ts'
import {
  type Conversation,
  defaultSettings,
} from '../../../web/src/chat/types.ts'
import { normalizePeers } from '../../../web/src/hive/normalizePeer.ts'
import { reputationHistory } from '../../../web/src/market/reputationHistory.ts'
import { sparklinePoints } from '../../../web/src/market/Sparkline.tsx'
import { routeOf } from '../../../web/src/route.ts'
import { formatBytes, formatPocket } from '../../../web/src/ui/format.ts'

const conv = (id: string, updatedAt: number, text: string): Conversation => ({
  id,
  title: text,
  createdAt: updatedAt,
  updatedAt,
  settings: defaultSettings('smol'),
  messages: [
    { id: `${id}-u`, role: 'user', content: text },
    {
      id: `${id}-a`,
      role: 'assistant',
      content: 'ok',
      stats: {
        ttftMs: 10,
        tokensPerSecond: 5,
        completionTokens: 2,
        promptTokens: 3,
        finishReason: 'stop',
      },
    },
  ],
})

describe('ConversationStore', () => {
  it('puts, lists newest first, gets, removes', async () => {
    const store = new ConversationStore(new IDBFactory())
    await store.put(conv('a', 1, 'first'))
    await store.put(conv('b', 3, 'second'))
    await store.put({ ...conv('a', 5, 'first, edited') })
    expect((await store.list()).map((c) => [c.id, c.title])).toEqual([
      ['a', 'first, edited'],
      ['b', 'second'],
    ])
    expect((await store.get('b'))?.messages[1]?.stats?.tokensPerSecond).toBe(5)
    expect(await store.get('nope')).toBeNull()
    await store.remove('a')
    expect((await store.list()).map((c) => c.id)).toEqual(['b'])
    store.close()
  })

  it('keeps data in the same database across store instances', async () => {
    const factory = new IDBFactory()
    const one = new ConversationStore(factory)
    await one.put(conv('x', 1, 'kept'))
    one.close()
    const two = new ConversationStore(factory)
    expect((await two.list()).map((c) => c.id)).toEqual(['x'])
    two.close()
  })

  it('exports JSON and titles from the first user message', () => {
    const c = conv('e', 1, 'x'.repeat(60))
    const doc = JSON.parse(exportConversation(c))
    expect(doc.format).toBe('pocket-chat/1')
    expect(doc.conversation).toEqual(c)
    expect(titleOf(c)).toHaveLength(48)
    expect(titleOf({ ...c, messages: [] })).toBe('New chat')
  })
})

describe('normalizePeers', () => {
  it('reads {data: [...]} with nested battery, thermal and load', () => {
    const [p] = normalizePeers({
      data: [
        {
          id: 'n1',
          name: 'laptop',
          address: '10.0.0.2:1234',
          models: ['smol', { id: 'gemma' }],
          battery: { level: 0.42, charging: true },
          thermal: { state: 'nominal' },
          load: { queue: 2, tokensPerSecond: 31.5 },
          score: 0.8,
        },
      ],
    })
    expect(p).toMatchObject({
      id: 'n1',
      name: 'laptop',
      models: ['smol', 'gemma'],
      battery: { level: 42, charging: true },
      thermal: 'nominal',
      load: 'queue 2 · 31.5 tok/s',
      score: 0.8,
    })
  })

  it('falls back where fields are missing or differently named', () => {
    const [p] = normalizePeers([
      { hostname: 'pi', battery: 77, queue_depth: 0 },
    ])
    expect(p).toMatchObject({
      id: 'peer-1',
      name: 'pi',
      battery: { level: 77, charging: null },
      load: 'queue 0',
      thermal: null,
    })
    expect(normalizePeers({ unexpected: true })).toEqual([])
  })
})

describe('reputation sparkline', () => {
  const task = (state: string, at: number) => ({
    state: state as 'Finalized',
    price: '1000000000000000000',
    settledAt: String(at),
    assignedAt: String(at - 20),
    committedAt: String(at - 10),
    execWindow: 600,
  })
  it('scores after each settled task, oldest first; a slash lowers it', () => {
    const h = reputationHistory([
      task('Finalized', 300),
      task('Finalized', 100),
      task('Posted', 50),
      task('Finalized', 200),
      task('Slashed', 400),
    ])
    expect(h).toHaveLength(4)
    expect(h[1] as number).toBeGreaterThan(h[0] as number)
    expect(h[2] as number).toBeGreaterThan(h[1] as number)
    expect(h[3] as number).toBeLessThan(h[2] as number)
  })
  it('maps values into the box', () => {
    expect(sparklinePoints([0, 1], 100, 20)).toBe('0.0,19.0 100.0,1.0')
    expect(sparklinePoints([0.5], 10, 10)).toBe('0.0,5.0 10.0,5.0')
    expect(sparklinePoints([], 10, 10)).toBe('')
  })
})

describe('format and routes', () => {
  it('formats bytes and POCKET amounts', () => {
    expect(formatBytes(98_765_432)).toBe('94.2 MiB')
    expect(formatBytes(512)).toBe('512 B')
    expect(formatPocket('1500000000000000000')).toBe('1.5 POCKET')
    expect(formatPocket(3n * 10n ** 18n)).toBe('3 POCKET')
  })
  it('routes hashes to views, chat by default', () => {
    expect(routeOf('#/market/123')).toBe('market')
    expect(routeOf('#/models')).toBe('models')
    expect(routeOf('')).toBe('chat')
    expect(routeOf('#/nope')).toBe('chat')
  })
})

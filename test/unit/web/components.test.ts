// @vitest-environment happy-dom
// Preact components rendered in happy-dom: a reply with folded reasoning, a
// tool-call card and its speed line; the settings panel flagging an
// invalid JSON schema; the composer sending on Enter and refusing images
// for a text-only model; the hive view turning the server's 404 into a
// "no hive" notice (a real local HTTP server answers).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type ComponentChild, h, render } from 'preact'
import { act } from 'preact/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Composer } from '../../../web/src/chat/Composer.tsx'
import { MessageView } from '../../../web/src/chat/MessageView.tsx'
import { SettingsPanel } from '../../../web/src/chat/SettingsPanel.tsx'
import { defaultSettings } from '../../../web/src/chat/types.ts'
import { HiveView } from '../../../web/src/hive/HiveView.tsx'

function mount(vnode: ComponentChild) {
  const root = document.createElement('div')
  document.body.append(root)
  act(() => render(vnode, root))
  return root
}

describe('MessageView', () => {
  it('folds reasoning, shows tool calls as cards and the speed line', () => {
    const root = mount(
      h(MessageView, {
        structured: false,
        streaming: false,
        message: {
          id: 'a',
          role: 'assistant',
          content: 'It is sunny.',
          reasoning: 'The user wants weather.',
          toolCalls: [
            { id: 'c1', name: 'get_weather', arguments: '{"city":"Paris"}' },
          ],
          stats: {
            ttftMs: 120,
            tokensPerSecond: 42.25,
            completionTokens: 17,
            promptTokens: 30,
            finishReason: 'stop',
          },
        },
      }),
    )
    const details = root.querySelector('details') as HTMLDetailsElement
    expect(details.open).toBe(false)
    expect(details.querySelector('summary')?.textContent).toMatch(/Reasoning/)
    const card = root.querySelector('[data-testid="tool-call"]')
    expect(card?.getAttribute('aria-label')).toBe('Tool call get_weather')
    expect(card?.querySelector('pre')?.textContent).toBe(
      '{\n  "city": "Paris"\n}',
    )
    expect(
      root.querySelector('[data-testid="reply-stats"]')?.textContent,
    ).toMatch('42.3 tok/s · TTFT 120 ms · 17 tokens · stop')
  })

  it('pretty-prints structured replies; no speed line while streaming', () => {
    const message = { id: 'b', role: 'assistant' as const, content: '{"a":1}' }
    const done = mount(
      h(MessageView, { structured: true, streaming: false, message }),
    )
    expect(done.querySelector('[data-testid="structured"]')?.textContent).toBe(
      '{\n  "a": 1\n}',
    )
    const live = mount(
      h(MessageView, {
        structured: true,
        streaming: true,
        message: {
          ...message,
          stats: {
            ttftMs: 1,
            tokensPerSecond: null,
            completionTokens: null,
            promptTokens: null,
            finishReason: null,
          },
        },
      }),
    )
    expect(live.querySelector('[data-testid="reply-stats"]')).toBeNull()
    expect(live.querySelector('[data-testid="structured"]')).toBeNull()
  })
})

describe('SettingsPanel', () => {
  it('marks an invalid schema and says why', () => {
    const settings = {
      ...defaultSettings('m'),
      structured: true,
      schema: '{"type":',
    }
    const root = mount(
      h(SettingsPanel, { settings, onChange: () => {}, disabled: false }),
    )
    const schema = root.querySelector('#schema') as HTMLTextAreaElement
    expect(schema.getAttribute('aria-invalid')).toBe('true')
    expect(root.querySelector('#schema-status')?.textContent).toMatch(
      /^Invalid: /,
    )
    // every control has a label
    for (const el of root.querySelectorAll('input, textarea'))
      expect(root.querySelector(`label[for="${el.id}"]`), el.id).not.toBeNull()
  })
})

describe('Composer', () => {
  it('sends on Enter, not on Shift+Enter, and refuses images for text models', async () => {
    const sent: string[] = []
    const root = mount(
      h(Composer, {
        busy: false,
        vision: false,
        onSend: (t: string) => sent.push(t),
        onStop: () => {},
      }),
    )
    const box = root.querySelector('#message') as HTMLTextAreaElement
    act(() => {
      box.value = 'hello'
      box.dispatchEvent(new Event('input', { bubbles: true }))
    })
    act(() => {
      box.dispatchEvent(
        new KeyboardEvent('keydown', {
          key: 'Enter',
          shiftKey: true,
          bubbles: true,
        }),
      )
    })
    expect(sent).toEqual([])
    act(() => {
      box.dispatchEvent(
        new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }),
      )
    })
    expect(sent).toEqual(['hello'])
    const attach = [...root.querySelectorAll('button')].find(
      (b) => b.textContent === 'Attach image',
    )
    expect(attach?.disabled).toBe(true)
  })
})

describe('HiveView', () => {
  let server: Server
  let peers: unknown = null
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/v1/hive/peers' && peers) {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify(peers))
        return
      }
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({ error: { message: `Unknown route ${req.url}` } }),
      )
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const { port } = server.address() as AddressInfo
    ;(
      window as unknown as { happyDOM: { setURL(u: string): void } }
    ).happyDOM.setURL(`http://127.0.0.1:${port}/`)
  })
  afterAll(() => server?.close())

  const settle = async (root: HTMLElement, what: string) => {
    for (let i = 0; i < 100 && !root.textContent?.includes(what); i++)
      await act(() => new Promise((r) => setTimeout(r, 20)))
    return root.textContent ?? ''
  }

  it('shows "not part of a hive" on a 404, not an error', async () => {
    const root = mount(h(HiveView, {}))
    expect(await settle(root, 'not part of a hive')).toMatch(
      /not part of a hive/,
    )
    expect(root.querySelector('[role="alert"]')).toBeNull()
  })

  it('lists the devices when the hive answers', async () => {
    peers = {
      data: [
        {
          id: 'd1',
          name: 'phone',
          battery: { level: 0.3, charging: false },
          thermal: 'fair',
        },
      ],
    }
    const root = mount(h(HiveView, {}))
    const text = await settle(root, 'phone')
    expect(text).toMatch(/phone/)
    expect(text).toMatch(/30%/)
    expect(text).toMatch(/fair/)
  })
})

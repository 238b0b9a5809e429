// The chat's stream handling: SSE parsing across arbitrary chunk
// boundaries, folding OpenAI chunks into a reply (content, reasoning, tool
// calls by index, usage) with TTFT and tokens/s, and building requests
// (system prompt, images, tool turns, sampling, schema, tools) with clear
// errors for bad settings.
import { describe, expect, it } from 'vitest'
import { readSse } from '../../../web/src/api/readSse.ts'
import {
  applyChunk,
  replyMessage,
  replyStats,
  startReply,
} from '../../../web/src/chat/accumulateReply.ts'
import {
  buildChatRequest,
  SettingsError,
} from '../../../web/src/chat/buildRequest.ts'
import {
  type ChatMessage,
  defaultSettings,
} from '../../../web/src/chat/types.ts'

function streamOf(text: string, cut: number[]): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text)
  const parts: Uint8Array[] = []
  let at = 0
  for (const c of [...cut, bytes.length]) {
    parts.push(bytes.slice(at, c))
    at = c
  }
  return new ReadableStream({
    start(controller) {
      for (const p of parts) controller.enqueue(p)
      controller.close()
    },
  })
}

describe('readSse', () => {
  const text =
    ': comment\n\nevent: message.delta\ndata: {"a":1}\n\ndata: line1\ndata: line2\r\n\r\ndata: é\n\ndata: [DONE]\n\n'
  it.each([[[]], [[1, 2, 3]], [[20, 21, 50, 57, 58]], [[69, 70]], [[81]]])(
    // [81] cuts the 2-byte é in half
    'parses the same events whatever the chunking (%j)',
    async (cut) => {
      const events = []
      for await (const e of readSse(streamOf(text, cut))) events.push(e)
      expect(events).toEqual([
        { event: 'message.delta', data: '{"a":1}' },
        { event: 'message', data: 'line1\nline2' },
        { event: 'message', data: 'é' },
        { event: 'message', data: '[DONE]' },
      ])
    },
  )
})

describe('applyChunk / replyStats', () => {
  it('assembles content, reasoning, tool calls and usage', () => {
    let s = startReply(1000)
    s = applyChunk(
      s,
      { choices: [{ delta: { reasoning_content: 'Hm' } }] },
      1200,
    )
    s = applyChunk(s, { choices: [{ delta: { content: 'Hel' } }] }, 1300)
    s = applyChunk(s, { choices: [{ delta: { content: 'lo' } }] }, 1400)
    s = applyChunk(
      s,
      {
        choices: [
          {
            delta: {
              tool_calls: [
                {
                  index: 0,
                  id: 'c1',
                  function: { name: 'get_weather', arguments: '' },
                },
              ],
            },
          },
        ],
      },
      1500,
    )
    s = applyChunk(
      s,
      {
        choices: [
          {
            delta: {
              tool_calls: [{ index: 0, function: { arguments: '{"city":' } }],
            },
          },
        ],
      },
      1600,
    )
    s = applyChunk(
      s,
      {
        choices: [
          {
            delta: {
              tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }],
            },
            finish_reason: 'tool_calls',
          },
        ],
      },
      1700,
    )
    s = applyChunk(
      s,
      { choices: [], usage: { prompt_tokens: 9, completion_tokens: 6 } },
      1800,
    )
    const m = replyMessage({ id: 'a', role: 'assistant', content: '' }, s)
    expect(m.content).toBe('Hello')
    expect(m.reasoning).toBe('Hm')
    expect(m.toolCalls).toEqual([
      { id: 'c1', name: 'get_weather', arguments: '{"city":"Paris"}' },
    ])
    expect(m.stats).toEqual({
      ttftMs: 200,
      // 5 tokens after the first, over 0.5 s between first and last token
      tokensPerSecond: 10,
      completionTokens: 6,
      promptTokens: 9,
      finishReason: 'tool_calls',
    })
  })

  it('has no speed before any token and takes LM Studio v0 `reasoning`', () => {
    let s = startReply(0)
    expect(replyStats(s)).toMatchObject({ ttftMs: null, tokensPerSecond: null })
    s = applyChunk(s, { choices: [{ delta: { reasoning: 'x' } }] }, 50)
    expect(s.reasoning).toBe('x')
    expect(replyStats(s).ttftMs).toBe(50)
  })
})

describe('buildChatRequest', () => {
  const settings = { ...defaultSettings('smol'), systemPrompt: 'Be brief.' }
  const history: ChatMessage[] = [
    {
      id: '1',
      role: 'user',
      content: 'What is this?',
      images: [{ name: 'a.png', dataUrl: 'data:image/png;base64,AAAA' }],
    },
    {
      id: '2',
      role: 'assistant',
      content: '',
      toolCalls: [{ id: 'c1', name: 'look', arguments: '{}' }],
    },
    { id: '3', role: 'tool', content: '{"ok":true}', toolCallId: 'c1' },
    { id: '4', role: 'assistant', content: '', error: 'boom' },
  ]

  it('maps messages, sampling and streaming options', () => {
    const body = buildChatRequest({ ...settings, seed: '7' }, history)
    expect(body).toMatchObject({
      model: 'smol',
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.7,
      top_p: 1,
      max_tokens: 512,
      seed: 7,
    })
    expect(body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          {
            type: 'image_url',
            image_url: { url: 'data:image/png;base64,AAAA' },
          },
          { type: 'text', text: 'What is this?' },
        ],
      },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'c1',
            type: 'function',
            function: { name: 'look', arguments: '{}' },
          },
        ],
      },
      { role: 'tool', content: '{"ok":true}', tool_call_id: 'c1' },
    ])
    expect(body).not.toHaveProperty('response_format')
    expect(body).not.toHaveProperty('tools')
  })

  it('adds the JSON schema and the tools when on', () => {
    const body = buildChatRequest(
      { ...settings, structured: true, toolsEnabled: true },
      history.slice(0, 1),
    )
    expect(body.response_format).toMatchObject({
      type: 'json_schema',
      json_schema: { strict: true, schema: { type: 'object' } },
    })
    expect((body.tools as unknown[]).length).toBe(1)
    expect(body.tool_choice).toBe('auto')
    const forced = buildChatRequest(
      { ...settings, toolsEnabled: true, toolChoice: 'required' },
      history.slice(0, 1),
    )
    expect(forced.tool_choice).toBe('required')
  })

  it.each([
    [{ model: '' }, 'model', /Pick a model/],
    [{ seed: '-1' }, 'seed', /whole number/],
    [{ structured: true, schema: '{"type": ' }, 'schema', /not valid JSON/],
    [{ structured: true, schema: '[1]' }, 'schema', /must be an object/],
    [{ toolsEnabled: true, tools: '{}' }, 'tools', /JSON array/],
  ])('rejects %j naming the field', (patch, field, message) => {
    try {
      buildChatRequest({ ...settings, ...patch }, history)
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(SettingsError)
      expect((e as SettingsError).field).toBe(field)
      expect((e as Error).message).toMatch(message)
    }
  })
})

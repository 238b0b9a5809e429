// Tool calling per model family: the format is detected from the chat
// template (templates below are written in each family's style), replies in
// that format parse into the same calls for every chunking — after a
// reasoning block where the family thinks — history written back in a
// format parses to the same calls, and Gemma's tool results fit its
// alternating-turn template.
import { describe, expect, it } from 'vitest'
import { ChatTemplate } from '../../../src/engine/chatTemplate.ts'
import { ChatOutputParser } from '../../../src/engine/reasoning/chatOutputParser.ts'
import {
  type ChatOutputEvent,
  THINK_TAGS,
} from '../../../src/engine/reasoning/types.ts'
import { detectToolCallFormat } from '../../../src/engine/structured/toolFormats.ts'
import { toolGrammar } from '../../../src/engine/structured/toolGrammar.ts'
import {
  formatToolCalls,
  prepareToolChat,
} from '../../../src/engine/structured/toolPrompt.ts'
import type {
  ToolCallFormat,
  ToolDefinition,
} from '../../../src/engine/structured/types.ts'

const templates: [string, string, string, ToolCallFormat][] = [
  [
    'gpt-oss (Harmony)',
    "{{ '<|start|>system<|message|>' }}{% for m in messages %}{{ '<|start|>' + m.role + '<|channel|>final<|message|>' + m.content + '<|end|>' }}{% endfor %}<|start|>assistant",
    '',
    'harmony',
  ],
  [
    'Mistral',
    "{% for m in messages %}{% if m.tool_calls %}{{ '[TOOL_CALLS]' + m.tool_calls|tojson }}{% else %}{{ '[INST]' + m.content + '[/INST]' }}{% endif %}{% endfor %}",
    '',
    'mistral',
  ],
  [
    'Qwen 2.5 / 3 (Hermes)',
    "{% for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content }}{% if m.tool_calls %}<tool_call>{% endif %}{{ '<|im_end|>\\n' }}{% endfor %}",
    '',
    'hermes',
  ],
  [
    'Llama 3.1 (python_tag)',
    "{% for m in messages %}{{ '<|start_header_id|>' + m.role + '<|end_header_id|>\\n\\n' }}{% if m.role == 'ipython' %}{{ '<|python_tag|>' }}{% endif %}{{ m.content + '<|eot_id|>' }}{% endfor %}",
    '',
    'llama3',
  ],
  [
    'Llama 3.2 (headers only)',
    "{% for m in messages %}{{ '<|start_header_id|>' + m.role + '<|end_header_id|>\\n\\n' + m.content + '<|eot_id|>' }}{% endfor %}",
    '',
    'llama3',
  ],
  [
    'SmolLM2',
    "{% for m in messages %}{% if loop.first and m.role != 'system' %}{{ '<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\\n' }}{% endif %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endfor %}",
    '',
    'smollm2',
  ],
  [
    'Gemma',
    "{{ bos_token }}{% for m in messages %}{{ '<start_of_turn>' + ('model' if m.role == 'assistant' else m.role) + '\\n' + m.content + '<end_of_turn>\\n' }}{% endfor %}",
    '',
    'gemma',
  ],
  [
    'a template with no markers, Mistral architecture',
    '',
    'mistral',
    'mistral',
  ],
  ['a template with no markers, Gemma 3 architecture', '', 'gemma3', 'gemma'],
  [
    'a plain ChatML template (generic markers)',
    "{{ '<|im_start|>' }}",
    'llama',
    'generic',
  ],
]

describe('detectToolCallFormat', () => {
  for (const [family, source, architecture, format] of templates)
    it(`${family} -> ${format}`, () => {
      expect(detectToolCallFormat(source, architecture)).toBe(format)
    })
})

const weather = { name: 'get_weather', arguments: '{"city": "Paris"}' }
const add = { name: 'add', arguments: '{"a": 1, "b": 2}' }

// [format, reply, reasoning, content, calls]
const replies: [
  ToolCallFormat,
  string,
  string,
  string,
  { name: string; arguments: string }[],
][] = [
  [
    'hermes',
    '<think>\nThe user wants weather.\n</think>\n\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>',
    'The user wants weather.',
    '',
    [weather],
  ],
  [
    'hermes',
    '<think>I could write <tool_call> here, but no.</think>Just text.',
    'I could write <tool_call> here, but no.',
    'Just text.',
    [],
  ],
  [
    'llama3',
    '<|python_tag|>{"name": "get_weather", "parameters": {"city": "Paris"}}',
    '',
    '',
    [weather],
  ],
  [
    'llama3',
    '{"name": "get_weather", "parameters": {"city": "Paris"}}; {"name": "add", "parameters": {"a": 1, "b": 2}}',
    '',
    '',
    [weather, add],
  ],
  [
    'mistral',
    '[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris"}}, {"name": "add", "arguments": {"a": 1, "b": 2}}]',
    '',
    '',
    [weather, add],
  ],
  [
    'gemma',
    'Let me look.\n```tool_code\n{"name": "get_weather", "parameters": {"city": "Paris"}}\n```',
    '',
    'Let me look.\n',
    [weather],
  ],
  [
    'gemma',
    'Here is code:\n```python\nprint(1)\n```',
    '',
    'Here is code:\n```python\nprint(1)\n```',
    [],
  ],
  [
    'smollm2',
    '<tool_call>[{"name": "get_weather", "arguments": {"city": "Paris"}}]</tool_call>',
    '',
    '',
    [weather],
  ],
  [
    'harmony',
    '<|channel|>analysis<|message|>Weather needed.<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city": "Paris"}<|call|>',
    'Weather needed.',
    '',
    [weather],
  ],
]

function run(format: ToolCallFormat, text: string, step: number) {
  let n = 0
  const parser = new ChatOutputParser({
    reasoning:
      format === 'harmony'
        ? { kind: 'harmony' }
        : { kind: 'tags', tags: THINK_TAGS },
    toolCallFormat: format,
    newId: () => `call_${n++}`,
  })
  const events: ChatOutputEvent[] = []
  for (let i = 0; i < text.length; i += step)
    events.push(...parser.push(text.slice(i, i + step)))
  events.push(...parser.flush())
  const join = (type: string) =>
    events
      .filter((e) => e.type === type)
      .map((e) => (e as { text: string }).text)
      .join('')
  const streamed: { name: string; arguments: string }[] = []
  for (const e of events) {
    if (e.type === 'toolCallStart')
      streamed[e.index] = { name: e.name, arguments: '' }
    if (e.type === 'toolCallArguments')
      (streamed[e.index] as { arguments: string }).arguments += e.fragment
  }
  return {
    reasoning: join('reasoning'),
    content: join('content'),
    calls: parser.calls.map((c) => ({ name: c.name, arguments: c.arguments })),
    streamed,
  }
}

const same = (a: { name: string; arguments: string }[]) =>
  a.map((c) => ({ name: c.name, arguments: JSON.parse(c.arguments) }))

describe('replies per family, parsed and streamed', () => {
  for (const [format, text, reasoning, content, calls] of replies)
    for (const step of [1, 2, 5, text.length])
      it(`${format}: ${JSON.stringify(text.slice(0, 40))}… (chunks of ${step})`, () => {
        const r = run(format, text, step)
        expect(r.reasoning).toBe(reasoning)
        expect(r.content).toBe(content)
        expect(same(r.calls)).toEqual(same(calls))
        expect(same(r.streamed)).toEqual(same(r.calls))
      })
})

describe('history written back in each format parses to the same calls', () => {
  const formats: ToolCallFormat[] = [
    'hermes',
    'llama3',
    'mistral',
    'smollm2',
    'gemma',
    'harmony',
    'generic',
  ]
  for (const format of formats)
    it(format, () => {
      const calls =
        format === 'llama3' || format === 'harmony' ? [weather] : [weather, add]
      const text = formatToolCalls(format, calls)
      const reply =
        format === 'harmony' ? text.replace(/^<\|start\|>assistant/, '') : text
      expect(same(run(format, reply, 3).calls)).toEqual(same(calls))
    })
})

describe('grammars', () => {
  const tools: ToolDefinition[] = [
    {
      type: 'function',
      function: { name: 'get_weather', parameters: { type: 'object' } },
    },
  ]
  it('Gemma calls are constrained inside the tool_code fence', () => {
    const g = toolGrammar({ tools, format: 'gemma', toolChoice: 'required' })
    expect(g?.kind).toBe('lark')
    expect(g?.text).toContain('"```tool_code\\n"')
    expect(g?.text).toContain('"\\n```"')
  })
  it('Harmony calls are parsed, not constrained', () => {
    expect(toolGrammar({ tools, format: 'harmony' })).toBeUndefined()
  })
})

describe('Gemma tool results', () => {
  // Gemma's templates raise unless user and model turns alternate.
  const gemma = new ChatTemplate(
    "{{ bos_token }}{% for m in messages %}{% if (m.role == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{{ '<start_of_turn>' + ('model' if m.role == 'assistant' else m.role) + '\\n' + m.content + '<end_of_turn>\\n' }}{% endfor %}{{ '<start_of_turn>model\\n' }}",
  )
  const chat = [
    { role: 'user' as const, content: 'Weather in Paris and Rome?' },
    {
      role: 'assistant' as const,
      content: null,
      tool_calls: [
        { id: 'call_1', type: 'function' as const, function: weather },
        {
          id: 'call_2',
          type: 'function' as const,
          function: { ...weather, arguments: '{"city": "Rome"}' },
        },
      ],
    },
    { role: 'tool' as const, tool_call_id: 'call_1', content: 'sunny' },
    { role: 'tool' as const, tool_call_id: 'call_2', content: 'rain' },
    { role: 'user' as const, content: 'Thanks. Which is warmer?' },
  ]

  it('become one user turn with tool_output fences, and the template renders', () => {
    expect(() => gemma.render(chat)).toThrow(/alternate/)
    const { messages } = prepareToolChat({
      messages: chat,
      tools: [],
      format: 'gemma',
      templateSource: gemma.source,
    })
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user'])
    expect(messages[2]?.content).toBe(
      '```tool_output\nsunny\n```\n```tool_output\nrain\n```\nThanks. Which is warmer?',
    )
    const prompt = gemma.render(messages)
    expect(prompt).toContain(
      '<start_of_turn>model\n```tool_code\n{"name":"get_weather","parameters":{"city":"Paris"}}\n```',
    )
  })
})

describe('template quirks', () => {
  const call = (id: string) => ({
    role: 'assistant' as const,
    content: null,
    tool_calls: [{ id, type: 'function' as const, function: weather }],
  })
  it('Mistral: call ids become 9 alphanumerics, the same in calls and results', () => {
    const { messages } = prepareToolChat({
      messages: [
        { role: 'user', content: 'x' },
        call('call_0123456789abcdefghijklmn'),
        {
          role: 'tool',
          tool_call_id: 'call_0123456789abcdefghijklmn',
          content: 'sunny',
        },
        call('abcDEF123'),
      ],
      tools: [],
      format: 'mistral',
      templateSource:
        "{% for tool_call in message.tool_calls %}{{ '[TOOL_CALLS]' }}{% if tool_call.id|length != 9 %}{{ raise_exception('ids') }}{% endif %}{% endfor %}",
    })
    const id = messages[1]?.tool_calls?.[0]?.id
    expect(id).toMatch(/^[a-zA-Z0-9]{9}$/)
    expect(messages[2]?.tool_call_id).toBe(id)
    expect(messages[3]?.tool_calls?.[0]?.id).toBe('abcDEF123')
  })

  it('Mistral replies get 9-character ids', () => {
    const parser = new ChatOutputParser({ toolCallFormat: 'mistral' })
    parser.push('[TOOL_CALLS][{"name": "f", "arguments": {}}]')
    parser.flush()
    expect(parser.calls[0]?.id).toMatch(/^[a-zA-Z0-9]{9}$/)
  })

  it('Gemma 2: a system turn goes in front of the first user turn', () => {
    const source =
      "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}<start_of_turn>"
    const { messages } = prepareToolChat({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      tools: [
        {
          type: 'function',
          function: { name: 'f', parameters: { type: 'object' } },
        },
      ],
      format: 'gemma',
      templateSource: source,
    })
    expect(messages).toHaveLength(1)
    expect(messages[0]?.role).toBe('user')
    expect(messages[0]?.content).toMatch(
      /^Be brief\.\n\nYou can call functions/,
    )
    expect(messages[0]?.content).toMatch(/\n\nHi$/)
  })

  it('arguments are objects for templates that tojson them, strings otherwise', () => {
    const history = [{ role: 'user' as const, content: 'x' }, call('c1')]
    const tojson = new ChatTemplate(
      '{% for m in messages %}{% for c in m.tool_calls or [] %}{{ c.function.arguments | tojson }}{% endfor %}{% endfor %}',
    )
    expect(tojson.render(history)).toBe('{"city": "Paris"}')
    const nemo = new ChatTemplate(
      '{% for m in messages %}{% for c in m.tool_calls or [] %}{{ c.function|tojson }}{% endfor %}{% endfor %}',
    )
    expect(JSON.parse(nemo.render(history))).toEqual({
      name: 'get_weather',
      arguments: { city: 'Paris' },
    })
    // DeepSeek-R1 concatenates the arguments string.
    const concat = new ChatTemplate(
      "{% for m in messages %}{% for c in m.tool_calls or [] %}{{ '```json\\n' + c['function']['arguments'] + '\\n```' }}{% endfor %}{% endfor %}",
    )
    expect(concat.render(history)).toBe('```json\n{"city": "Paris"}\n```')
  })

  it('a past reasoning reaches templates as reasoning_content and thinking', () => {
    const t = new ChatTemplate(
      "{% for m in messages %}{{ m.reasoning_content }}|{{ m.thinking }}|{{ 'thinking' in m }};{% endfor %}",
    )
    expect(
      t.render([
        { role: 'assistant', content: 'a', reasoning_content: 'r' },
        { role: 'assistant', content: 'b' },
      ]),
    ).toBe('r|r|true;||false;')
  })
})

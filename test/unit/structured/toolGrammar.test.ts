import { describe, expect, it } from 'vitest'
import { toGenerateGrammar } from '../../../src/engine/structured/toGenerateGrammar.ts'
import { detectToolCallFormat } from '../../../src/engine/structured/toolFormats.ts'
import {
  callSchema,
  toolGrammar,
} from '../../../src/engine/structured/toolGrammar.ts'
import { prepareToolChat } from '../../../src/engine/structured/toolPrompt.ts'
import type { ToolDefinition } from '../../../src/engine/structured/types.ts'

const tools: ToolDefinition[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      parameters: {
        type: 'object',
        properties: {
          city: { type: 'string' },
          unit: { $ref: '#/$defs/unit' },
        },
        required: ['city'],
        $defs: { unit: { enum: ['c', 'f'] } },
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'add',
      parameters: { type: 'object', properties: { a: { type: 'integer' } } },
    },
  },
]

describe('toolGrammar', () => {
  it('none (or no tools) means no grammar', () => {
    expect(
      toolGrammar({ tools, toolChoice: 'none', format: 'hermes' }),
    ).toBeUndefined()
    expect(toolGrammar({ tools: [], format: 'hermes' })).toBeUndefined()
  })

  it('auto allows text, text then calls, or calls; required only calls', () => {
    const auto = toolGrammar({ tools, toolChoice: 'auto', format: 'hermes' })
    expect(auto?.kind).toBe('lark')
    expect(auto?.text).toMatch(/^start: TEXT\? \| calls \| lead block_body/m)
    const required = toolGrammar({
      tools,
      toolChoice: 'required',
      format: 'hermes',
    })
    expect(required?.text).toMatch(/^start: calls$/m)
    expect(required?.text).not.toMatch(/TEXT/)
  })

  it('a named function pins the call to that tool, one call', () => {
    const g = toolGrammar({
      tools,
      toolChoice: { type: 'function', function: { name: 'add' } },
      format: 'hermes',
    })
    expect(g?.text).toContain('{"const":"add"}')
    expect(g?.text).not.toContain('get_weather')
    expect(g?.text).toMatch(/^calls: block$/m)
  })

  it('parallel calls repeat blocks (block formats) or array items (list formats)', () => {
    expect(toolGrammar({ tools, format: 'hermes' })?.text).toMatch(
      /^calls: block \("\\n" block\)\*$/m,
    )
    expect(
      toolGrammar({ tools, format: 'hermes', parallelToolCalls: false })?.text,
    ).toMatch(/^calls: block$/m)
    const list = callSchema(tools, 'arguments', {
      strict: true,
      list: true,
      parallel: false,
    })
    expect(list).toMatchObject({ type: 'array', minItems: 1, maxItems: 1 })
  })

  it("hoists each tool's $defs and rewrites $refs", () => {
    const s = callSchema(tools, 'arguments', { strict: true }) as {
      anyOf: unknown[]
      $defs: Record<string, { $defs?: unknown; properties: { unit: unknown } }>
    }
    expect(s.anyOf).toHaveLength(2)
    expect(s.$defs.tool0__unit).toEqual({ enum: ['c', 'f'] })
    expect(s.$defs.tool0?.properties.unit).toEqual({
      $ref: '#/$defs/tool0__unit',
    })
    expect(s.$defs.tool0?.$defs).toBeUndefined()
  })

  it("uses each family's markers", () => {
    expect(toolGrammar({ tools, format: 'mistral' })?.text).toContain(
      '"[TOOL_CALLS]"',
    )
    expect(toolGrammar({ tools, format: 'smollm2' })?.text).toContain(
      '"</tool_call>"',
    )
    expect(toolGrammar({ tools, format: 'llama3' })?.text).toContain(
      '"parameters"',
    )
    expect(toolGrammar({ tools, format: 'generic' })?.text).toContain(
      '"[END_TOOL_REQUEST]"',
    )
  })
})

describe('tool formats and prompts', () => {
  it('detects the family from the chat template', () => {
    expect(detectToolCallFormat('{{ "[TOOL_CALLS]" }}')).toBe('mistral')
    expect(detectToolCallFormat('<tool_call>\\n{{ tool_call }}')).toBe('hermes')
    expect(detectToolCallFormat('<|python_tag|>')).toBe('llama3')
    expect(
      detectToolCallFormat('You are a helpful AI assistant named SmolLM'),
    ).toBe('smollm2')
    expect(detectToolCallFormat('{{ messages }}')).toBe('generic')
  })

  it('teaches tools in a system message and serializes past calls when the template cannot', () => {
    const { messages, templateContext } = prepareToolChat({
      messages: [
        { role: 'user', content: 'hi' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'c1',
              type: 'function',
              function: { name: 'add', arguments: '{"a":1}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'c1', content: '2' },
      ],
      tools,
      format: 'smollm2',
      templateSource: 'SmolLM',
    })
    expect(templateContext).toEqual({})
    expect(messages[0]?.role).toBe('system')
    expect(messages[0]?.content).toContain('"get_weather"')
    expect(messages[2]?.content).toBe(
      '<tool_call>[{"name":"add","arguments":{"a":1}}]</tool_call>',
    )
    expect(messages[3]).toMatchObject({ role: 'tool', content: '2' })
  })

  it('passes tools to templates that render them', () => {
    const r = toGenerateGrammar(
      { messages: [{ role: 'user', content: 'x' }], tools },
      { templateSource: '{% for tool in tools %}<tool_call>{% endfor %}' },
    )
    expect(r.toolCallFormat).toBe('hermes')
    expect(r.templateContext).toEqual({ tools })
    expect(r.messages).toHaveLength(1)
  })

  it('response_format plus tools: structured reply or calls', () => {
    const r = toGenerateGrammar(
      { messages: [], tools, response_format: { type: 'json_object' } },
      { templateSource: '<tool_call>' },
    )
    expect(r.grammar?.text).toMatch(/^start: content_json \| calls$/m)
  })
})

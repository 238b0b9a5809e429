// withReasoningPrefix: a grammar gets a free reasoning block in front —
// required when the prompt opened it, optional otherwise — for JSON-schema
// and Lark grammars; kinds it cannot wrap are returned as they are.
import { describe, expect, it } from 'vitest'
import { THINK_TAGS } from '../../../src/engine/reasoning/types.ts'
import { withReasoningPrefix } from '../../../src/engine/reasoning/withReasoningPrefix.ts'
import { toolGrammar } from '../../../src/engine/structured/toolGrammar.ts'

const json = { kind: 'json_schema' as const, text: '{"type":"object"}' }

describe('withReasoningPrefix', () => {
  it('opened by the prompt: reasoning up to the close tag, then the grammar', () => {
    const g = withReasoningPrefix(json, THINK_TAGS, true)
    expect(g.kind).toBe('lark')
    const lines = g.text.split('\n')
    expect(lines[0]).toBe('start: reasoned')
    expect(lines).toContain('think[lazy]: /(.|\\n)*<\\/think>/')
    expect(lines).toContain('answer: %json {"type":"object"}')
  })

  it('not opened: the answer alone, or the open tag and a block first', () => {
    const g = withReasoningPrefix(json, THINK_TAGS, false)
    expect(g.text.split('\n')[0]).toBe('start: answer | "<think>" reasoned')
  })

  it('a Lark grammar keeps its rules under a renamed start', () => {
    const tools = toolGrammar({
      tools: [{ type: 'function', function: { name: 'f' } }],
      toolChoice: 'required',
      format: 'hermes',
    })
    if (!tools) throw new Error('expected a grammar')
    const g = withReasoningPrefix(tools, THINK_TAGS, true)
    expect(g.text.match(/^start\s*:/gm)).toHaveLength(1)
    expect(g.text).toContain('answer: calls')
    expect(g.text).toContain('call_json: %json')
  })

  it('custom tags are escaped in the regex', () => {
    const g = withReasoningPrefix(
      json,
      { open: '[THINK]', close: '[/THINK]' },
      true,
    )
    expect(g.text).toContain('think[lazy]: /(.|\\n)*\\[\\/THINK\\]/')
  })

  it('regex and llguidance grammars are returned unchanged', () => {
    const regex = { kind: 'regex' as const, text: '[a-z]+' }
    expect(withReasoningPrefix(regex, THINK_TAGS, true)).toBe(regex)
  })
})

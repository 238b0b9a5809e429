// tools + tool_choice -> a Lark grammar (llguidance dialect) in the model
// family's tool-call format. Each call's JSON is `%json {...}`: an anyOf over
// the allowed tools, `name` pinned with `const`, arguments constrained by the
// tool's parameter schema ($defs hoisted to the root, $refs rewritten).
// auto: free text, or text then calls, or calls; required: calls only;
// a named function: exactly that one; none: no grammar.
import { checkJsonSchema } from './checkJsonSchema.ts'
import { InvalidSchemaError } from './errors.ts'
import { jsonGrammarOptions } from './responseFormat.ts'
import { TOOL_FORMATS } from './toolFormats.ts'
import type {
  Grammar,
  JsonSchema,
  ToolCallFormat,
  ToolChoice,
  ToolDefinition,
} from './types.ts'

export type ToolGrammarParameters = {
  tools: ToolDefinition[]
  toolChoice?: ToolChoice
  format: ToolCallFormat
  /** Allow several calls in one turn (OpenAI `parallel_tool_calls`, default true). */
  parallelToolCalls?: boolean
  /** With tool_choice auto: a JSON schema the non-call reply must follow (response_format). */
  content?: Grammar
}

const NAME = /^[a-zA-Z0-9_-]{1,64}$/

/** Validates tools / tool_choice; returns the tools the model may call. */
export function selectTools(
  tools: ToolDefinition[],
  choice: ToolChoice = 'auto',
): ToolDefinition[] {
  if (!Array.isArray(tools))
    throw new InvalidSchemaError('tools', '', 'must be an array')
  const names = new Set<string>()
  tools.forEach((t, i) => {
    if (t?.type !== 'function' || !t.function || typeof t.function !== 'object')
      throw new InvalidSchemaError(
        `tools[${i}]`,
        '',
        'must be {"type": "function", "function": {...}}',
      )
    if (typeof t.function.name !== 'string' || !NAME.test(t.function.name))
      throw new InvalidSchemaError(
        `tools[${i}].function.name`,
        '',
        'must be 1-64 characters of a-z, A-Z, 0-9, _ or -',
      )
    if (names.has(t.function.name))
      throw new InvalidSchemaError(
        `tools[${i}].function.name`,
        '',
        `"${t.function.name}" is declared twice`,
      )
    names.add(t.function.name)
    checkJsonSchema(t.function.parameters ?? { type: 'object' }, {
      param: `tools[${i}].function.parameters`,
      strict: t.function.strict === true,
    })
  })
  if (choice === 'none' || choice === 'auto' || choice === 'required')
    return tools
  if (choice && typeof choice === 'object' && choice.type === 'function') {
    const tool = tools.find((t) => t.function.name === choice.function?.name)
    if (!tool)
      throw new InvalidSchemaError(
        'tool_choice.function.name',
        '',
        `"${choice.function?.name}" is not one of the declared tools`,
      )
    return [tool]
  }
  throw new InvalidSchemaError(
    'tool_choice',
    '',
    'must be "none", "auto", "required" or {"type": "function", "function": {"name": ...}}',
  )
}

// Rewrites local $refs of a tool's schema once it lives at #/$defs/<prefix>.
function relocate(node: unknown, prefix: string): unknown {
  if (Array.isArray(node)) return node.map((n) => relocate(n, prefix))
  if (node === null || typeof node !== 'object') return node
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string' && v.startsWith('#')) {
      const m = /^#\/(\$defs|definitions)\/([^/]+)(.*)$/.exec(v)
      out[k] = m
        ? `#/$defs/${prefix}__${m[2]}${m[3]}`
        : `#/$defs/${prefix}${v.slice(1)}`
    } else if (k === '$defs' || k === 'definitions') {
    } else {
      out[k] = relocate(v, prefix)
    }
  }
  return out
}

/**
 * JSON schema of one call object, {"name": const, <argumentsKey>: parameters},
 * or (list) of a non-empty array of them; tools' $defs are hoisted to the root.
 */
export function callSchema(
  tools: ToolDefinition[],
  argumentsKey: string,
  {
    strict,
    list = false,
    parallel = true,
  }: { strict: boolean; list?: boolean; parallel?: boolean },
): Record<string, unknown> {
  const defs: Record<string, unknown> = {}
  const alternatives = tools.map((t, i) => {
    const params: JsonSchema = t.function.parameters ?? { type: 'object' }
    const prefix = `tool${i}`
    if (typeof params === 'object') {
      for (const key of ['$defs', 'definitions'] as const) {
        const d = params[key]
        if (d && typeof d === 'object')
          for (const [name, s] of Object.entries(d))
            defs[`${prefix}__${name}`] = relocate(s, prefix)
      }
      defs[prefix] = relocate(params, prefix)
    } else {
      defs[prefix] = params
    }
    return {
      type: 'object',
      properties: {
        name: { const: t.function.name },
        [argumentsKey]: { $ref: `#/$defs/${prefix}` },
      },
      required: ['name', argumentsKey],
      additionalProperties: false,
    }
  })
  const one: Record<string, unknown> =
    alternatives.length === 1 ? { ...alternatives[0] } : { anyOf: alternatives }
  const root = list
    ? {
        type: 'array',
        items: one,
        minItems: 1,
        ...(parallel ? {} : { maxItems: 1 }),
      }
    : one
  return { ...root, $defs: defs, 'x-guidance': jsonGrammarOptions(strict) }
}

const lit = (s: string) => JSON.stringify(s)
const regexEscape = (s: string) =>
  s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&').replaceAll('\n', '\\n')

/** The grammar for a tool-enabled turn, or undefined when unconstrained (`none`). */
export function toolGrammar(p: ToolGrammarParameters): Grammar | undefined {
  const choice = p.toolChoice ?? 'auto'
  // Harmony calls live in message headers: parsed, never constrained.
  if (choice === 'none' || p.tools.length === 0 || p.format === 'harmony')
    return undefined
  const tools = selectTools(p.tools, choice)
  const spec = TOOL_FORMATS[p.format]
  const strict = tools.every((t) => t.function.strict !== false)
  const parallel = (p.parallelToolCalls ?? true) && typeof choice !== 'object'
  const body = JSON.stringify(
    callSchema(tools, spec.argumentsKey, { strict, list: spec.list, parallel }),
  )
  // One block holds one call (block formats) or a JSON array of calls (list formats).
  const lines: string[] = [`call_json: %json ${body}`]
  const block = 'call_json'
  const close = spec.close ? ` ${lit(spec.close)}` : ''
  lines.push(`block_body: ${block}${close}`)
  lines.push(`block: ${spec.open ? `${lit(spec.open)} ` : ''}block_body`)
  const more = parallel && !spec.list ? ` (${lit(spec.separator)} block)*` : ''
  lines.push(`calls: block${more}`)
  if (choice === 'auto' && p.content?.kind === 'json_schema') {
    // response_format + tools: either the structured reply or calls.
    lines.push(`content_json: %json ${p.content.text}`)
    lines.push('start: content_json | calls')
  } else if (choice === 'auto') {
    if (spec.open) {
      // Text may precede the calls; the lazy lead ends at the first marker.
      lines.push(
        `TEXT: /(.|\\n)+/ & ~/(.|\\n)*${regexEscape(spec.open.trimEnd())}(.|\\n)*/`,
      )
      lines.push(`lead[lazy]: /(.|\\n)*${regexEscape(spec.open)}/`)
      lines.push(`start: TEXT? | calls | lead block_body${more}`)
    } else {
      // Bare-JSON formats: a reply is either calls or text not starting with "{".
      lines.push('TEXT: /[^{ \\t\\n](.|\\n)*/')
      lines.push('start: TEXT? | calls')
    }
  } else {
    lines.push('start: calls')
  }
  return { kind: 'lark', text: `${lines.reverse().join('\n')}\n` }
}

// Capabilities from chat templates read off disk: a GGUF whose template
// sits after a 4 MiB vocabulary (past the catalogue's 2 MiB header read),
// tokenizer_config.json (string or named list) and chat_template.jinja; and
// what each template family means for tool use and reasoning.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { capabilitiesOf } from '../../../src/models/capabilities.ts'
import { readChatTemplate } from '../../../src/models/readChatTemplate.ts'
import { writeGguf } from '../../helpers/tinyGguf.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pocket-caps-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

const TOOLS = '{% if tools %}{{ tools | tojson }}{% endif %}{{ messages }}'

describe('readChatTemplate', () => {
  it('finds a GGUF template after a large vocabulary', async () => {
    const path = join(dir, 'big.gguf')
    const vocab = Array.from({ length: 200_000 }, (_, i) => `tok${i}-xxxxxxxx`)
    writeGguf(
      path,
      {
        'general.architecture': { type: 'string', value: 'llama' },
        'tokenizer.ggml.tokens': { type: 'strings', value: vocab },
        'tokenizer.ggml.scores': { type: 'f32s', value: vocab.map(() => 0) },
        'tokenizer.chat_template': { type: 'string', value: TOOLS },
      },
      [],
    )
    expect(await readChatTemplate(path, 'gguf')).toBe(TOOLS)
    const none = join(dir, 'none.gguf')
    writeGguf(none, { 'general.name': { type: 'string', value: 'x' } }, [])
    expect(await readChatTemplate(none, 'gguf')).toBeNull()
    await writeFile(join(dir, 'broken.gguf'), 'GGUF\x03\x00\x00\x00')
    expect(await readChatTemplate(join(dir, 'broken.gguf'), 'gguf')).toBeNull()
  })

  it('reads safetensors directories: .jinja first, then tokenizer_config.json', async () => {
    const a = await mkdtemp(join(dir, 'a-'))
    await writeFile(
      join(a, 'tokenizer_config.json'),
      JSON.stringify({ chat_template: 'plain' }),
    )
    expect(await readChatTemplate(a, 'safetensors')).toBe('plain')
    await writeFile(join(a, 'chat_template.jinja'), 'jinja file')
    expect(await readChatTemplate(a, 'safetensors')).toBe('jinja file')
    const b = await mkdtemp(join(dir, 'b-'))
    await writeFile(
      join(b, 'tokenizer_config.json'),
      JSON.stringify({
        chat_template: [
          { name: 'tool_use', template: 'tools one' },
          { name: 'default', template: 'default one' },
        ],
      }),
    )
    expect(await readChatTemplate(b, 'safetensors')).toBe('default one')
    expect(
      await readChatTemplate(join(dir, 'missing'), 'safetensors'),
    ).toBeNull()
  })
})

describe('capabilitiesOf', () => {
  it('tool use, vision and reasoning options per template family', () => {
    expect(capabilitiesOf(TOOLS, 'llm')).toEqual({
      toolUse: true,
      vision: false,
      reasoning: null,
    })
    expect(capabilitiesOf('{{ messages }}', 'vlm').vision).toBe(true)
    // Qwen3: enable_thinking toggles it.
    expect(
      capabilitiesOf(
        '{% if enable_thinking %}<think></think>{% endif %}',
        'llm',
      ).reasoning,
    ).toEqual({ allowedOptions: ['off', 'on'], default: 'on' })
    // gpt-oss: effort levels, cannot be turned off.
    expect(
      capabilitiesOf('<|channel|>{{ reasoning_effort }}', 'llm').reasoning,
    ).toEqual({ allowedOptions: ['low', 'medium', 'high'], default: 'medium' })
    // DeepSeek-R1: always thinks.
    expect(capabilitiesOf('...</think>...', 'llm').reasoning).toEqual({
      allowedOptions: ['on'],
      default: 'on',
    })
    expect(capabilitiesOf(TOOLS, 'embeddings')).toEqual({
      toolUse: false,
      vision: false,
      reasoning: null,
    })
    expect(capabilitiesOf(null, 'llm').toolUse).toBe(false)
  })
})

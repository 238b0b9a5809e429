// Chat templates from the model (GGUF metadata or tokenizer_config.json),
// rendered with @huggingface/jinja. Messages are shaped the way Hugging Face
// templates expect: a past turn's reasoning as `reasoning_content` (Qwen3)
// and `thinking` (gpt-oss), and tool-call arguments as an object for
// templates that `tojson` them (a JSON string would be encoded twice).
import { Template } from '@huggingface/jinja'
import { ChatTemplateError } from './errors.ts'
import type { ChatMessage } from './types.ts'

type Content = ChatMessage['content']

const toText = (c: Content): string =>
  typeof c === 'string' || c === null
    ? (c ?? '')
    : c
        .filter((p) => p.type === 'text')
        .map((p) => (p as { text: string }).text)
        .join('')

// Images become bare `{type:'image'}` parts: the template only places them.
const toParts = (c: Content) =>
  typeof c === 'string' || c === null
    ? c
      ? [{ type: 'text', text: c }]
      : []
    : c.map((p) =>
        p.type === 'text' ? { type: 'text', text: p.text } : { type: 'image' },
      )

// Used only when a model ships no template: ChatML, which SmolLM2 and Qwen use.
const CHATML =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"

export type RenderOptions = {
  addGenerationPrompt?: boolean
  tools?: unknown[]
  bosToken?: string
  eosToken?: string
  extra?: Record<string, unknown>
  /**
   * Pass content as parts (`{type:'text',text}` / `{type:'image'}`), as VLM
   * templates expect, instead of flattening it to text.
   */
  keepParts?: boolean
}

// `tool_call.arguments | tojson`, `['arguments']|tojson`, and Mistral
// Nemo's `tool_call.function|tojson` (which encodes the arguments with it).
const ARGUMENTS_TOJSON = /(arguments|function)['"\]]*\s*\|\s*tojson/

function parseArguments(args: string): unknown {
  try {
    const v = JSON.parse(args)
    return v !== null && typeof v === 'object' ? v : args
  } catch {
    return args
  }
}

export class ChatTemplate {
  readonly source: string
  #template: Template
  readonly #objectArguments: boolean

  constructor(source: string | undefined) {
    this.source = source ?? CHATML
    this.#objectArguments = ARGUMENTS_TOJSON.test(this.source)
    try {
      this.#template = new Template(this.source)
    } catch (cause) {
      throw new ChatTemplateError(
        "The model's chat template cannot be parsed.",
        {
          details: (cause as Error).message,
          cause,
        },
      )
    }
  }

  render(messages: ChatMessage[], options: RenderOptions = {}): string {
    const plain = messages.map((m) => {
      const { reasoning_content, tool_calls, ...rest } = m
      return {
        ...rest,
        content: options.keepParts ? toParts(m.content) : toText(m.content),
        // Only set keys: templates test `"thinking" in message`.
        ...(reasoning_content
          ? { reasoning_content, thinking: reasoning_content }
          : {}),
        ...(tool_calls
          ? {
              tool_calls: tool_calls.map((c) => ({
                ...c,
                function: {
                  ...c.function,
                  arguments: this.#objectArguments
                    ? parseArguments(c.function.arguments)
                    : c.function.arguments,
                },
              })),
            }
          : {}),
      }
    })
    try {
      return this.#template.render({
        messages: plain,
        add_generation_prompt: options.addGenerationPrompt ?? true,
        bos_token: options.bosToken ?? '',
        eos_token: options.eosToken ?? '',
        ...(options.tools ? { tools: options.tools } : {}),
        ...options.extra,
      })
    } catch (cause) {
      throw new ChatTemplateError(
        "The model's chat template failed to render.",
        {
          details: (cause as Error).message,
          cause,
        },
      )
    }
  }
}

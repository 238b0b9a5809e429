// Chat templates from the model (GGUF metadata or tokenizer_config.json),
// rendered with @huggingface/jinja.
import { Template } from '@huggingface/jinja'
import { ChatTemplateError } from './errors.ts'
import type { ChatMessage } from './types.ts'

// Used only when a model ships no template: ChatML, which SmolLM2 and Qwen use.
const CHATML =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"

export type RenderOptions = {
  addGenerationPrompt?: boolean
  tools?: unknown[]
  bosToken?: string
  eosToken?: string
  extra?: Record<string, unknown>
}

export class ChatTemplate {
  readonly source: string
  #template: Template

  constructor(source: string | undefined) {
    this.source = source ?? CHATML
    try {
      this.#template = new Template(this.source)
    } catch (cause) {
      throw new ChatTemplateError('The model\'s chat template cannot be parsed.', {
        details: (cause as Error).message,
        cause,
      })
    }
  }

  render(messages: ChatMessage[], options: RenderOptions = {}): string {
    const plain = messages.map((m) => ({
      ...m,
      content:
        typeof m.content === 'string' || m.content === null
          ? (m.content ?? '')
          : m.content
              .filter((p) => p.type === 'text')
              .map((p) => (p as { text: string }).text)
              .join(''),
    }))
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
      throw new ChatTemplateError('The model\'s chat template failed to render.', {
        details: (cause as Error).message,
        cause,
      })
    }
  }
}

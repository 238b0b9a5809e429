// Shared by the server reasoning tests: small chat templates in each
// family's style (written for these tests), a scripted reply with a <think>
// block, and a fake-engine server per reply/template with an OpenAI client.
import OpenAI from 'openai'
import { startFakeServer } from './fakeServer.ts'

export const QWEN3_STYLE =
  "{%- for m in messages %}{{ '<|im_start|>' + m.role + '\\n' }}{% if m.reasoning_content %}{{ '<think>\\n' + m.reasoning_content + '\\n</think>\\n\\n' }}{% endif %}{{ m.content + '<|im_end|>\\n' }}{%- endfor %}{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- if enable_thinking is defined and enable_thinking is false %}{{ '<think>\\n\\n</think>\\n\\n' }}{%- endif %}{%- endif %}"
export const R1_STYLE =
  "{%- for m in messages %}{{ '<|' + m.role + '|>' + m.content }}{%- endfor %}{%- if add_generation_prompt %}{{ '<|Assistant|><think>\\n' }}{%- endif %}"
export const HARMONY_STYLE =
  "{{ '<|start|>system<|message|>Reasoning: ' + (reasoning_effort if reasoning_effort is defined else 'medium') + '<|end|>' }}{%- if tools %}{{ '<|start|>developer<|message|>namespace functions {' }}{%- for t in tools %}{{ ' type ' + t.function.name + ';' }}{%- endfor %}{{ ' }<|end|>' }}{%- endif %}{%- for m in messages %}{%- if m.role == 'assistant' %}{{ '<|start|>assistant<|channel|>final<|message|>' + m.content + '<|end|>' }}{%- else %}{{ '<|start|>' + m.role + '<|message|>' + m.content + '<|end|>' }}{%- endif %}{%- endfor %}{%- if add_generation_prompt %}<|start|>assistant{%- endif %}"

export const THINK_REPLY = '<think>\nI should greet.\n</think>\n\nHello!'
// One character per token: the reasoning span is the block, tags included.
export const THINK_TOKENS = THINK_REPLY.indexOf('</think>') + '</think>'.length

/** Servers started by serve(); a test file closes them in afterAll. */
export const servers: { close: () => Promise<void> }[] = []

export async function serve(reply: string, template?: string) {
  const srv = await startFakeServer({ modelOptions: { reply, template } })
  servers.push(srv)
  const client = new OpenAI({
    baseURL: `${srv.url}/v1`,
    apiKey: 'unused',
    maxRetries: 0,
  })
  const post = (path: string, body: unknown) =>
    fetch(`${srv.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  return { srv, client, post }
}

export type Message = OpenAI.ChatCompletionMessage & {
  reasoning_content?: string
  reasoning?: string
}
export type Delta = { content?: string | null; reasoning_content?: string }
export const user = [{ role: 'user' as const, content: 'Hi' }]

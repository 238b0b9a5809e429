// A GGUF without `tokenizer.chat_template` gets the turn format its
// vocabulary's markers name (Gemma, Llama 3, ChatML, Mistral), BOS included.
import { expect, test } from 'vitest'
import { ChatTemplate } from '../../../src/engine/chatTemplate.ts'
import { fallbackChatTemplate } from '../../../src/engine/fallbackChatTemplate.ts'

const vocab = (tokens: string[]) => (t: string) =>
  tokens.includes(t) ? tokens.indexOf(t) : undefined
const chat = [
  { role: 'system' as const, content: 'Be brief.' },
  { role: 'user' as const, content: 'Hi' },
]
const render = (tokens: string[], bos: string) =>
  new ChatTemplate(fallbackChatTemplate(vocab(tokens))).render(chat, {
    addGenerationPrompt: true,
    bosToken: bos,
    eosToken: '</s>',
  })

test('Gemma markers give the Gemma turn format with the system text in the first user turn', () => {
  expect(render(['<bos>', '<start_of_turn>', '<end_of_turn>'], '<bos>')).toBe(
    '<bos><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\n',
  )
})

test('Llama 3 markers give the header format', () => {
  expect(
    render(['<|begin_of_text|>', '<|start_header_id|>'], '<|begin_of_text|>'),
  ).toBe(
    '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>' +
      '<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>' +
      '<|start_header_id|>assistant<|end_header_id|>\n\n',
  )
})

test('ChatML markers, and no markers at all, give ChatML without BOS', () => {
  const chatml =
    '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n'
  expect(render(['<|im_start|>'], '<s>')).toBe(chatml)
  expect(render([], '<s>')).toBe(chatml)
})

test('Mistral markers give [INST] turns', () => {
  expect(render(['<s>', '[INST]'], '<s>')).toBe(
    '<s>[INST] Be brief.\n\nHi [/INST]',
  )
})

// A chat template for models that ship none (many GGUF conversions drop it,
// e.g. Gemma 3 270M's), chosen by the turn markers the vocabulary has, the
// way llama.cpp guesses a built-in template. ChatML stays the last resort.
// Chat prompts are encoded without special tokens, so like the models' own
// templates these write `bos_token` themselves where the model wants one.
const GEMMA =
  "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{% set prefix = messages[0]['content'] + '\\n\\n' %}{% set loop_messages = messages[1:] %}{% else %}{% set prefix = '' %}{% set loop_messages = messages %}{% endif %}{% for message in loop_messages %}{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}{{ '<start_of_turn>' + role + '\\n' + (prefix if loop.first else '') + (message['content'] | trim) + '<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{% endif %}"

const LLAMA3 =
  "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + (message['content'] | trim) + '<|eot_id|>' }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"

const MISTRAL =
  "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{% set prefix = messages[0]['content'] + '\\n\\n' %}{% set loop_messages = messages[1:] %}{% else %}{% set prefix = '' %}{% set loop_messages = messages %}{% endif %}{% for message in loop_messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + (prefix if loop.first else '') + message['content'] + ' [/INST]' }}{% else %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}"

const CHATML =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"

export function fallbackChatTemplate(
  tokenId: (token: string) => number | undefined,
): string {
  if (tokenId('<start_of_turn>') !== undefined) return GEMMA
  if (tokenId('<|start_header_id|>') !== undefined) return LLAMA3
  if (tokenId('<|im_start|>') !== undefined) return CHATML
  if (tokenId('[INST]') !== undefined) return MISTRAL
  return CHATML
}

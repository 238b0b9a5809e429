// Writes tiny random-weight VLM checkpoints in Hugging Face layout: the
// SmolVLM/Idefics3 or LLaVA vision tower + connector from tinyVision.ts and
// a tiny llama decoder whose weights are nested the way each family's
// transformers class names them, plus the processor-side files (chat
// template in chat_template.json, processor_config.json).
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { writeTinyCheckpoint } from './tinyCheckpoint.ts'
import { V, writeTinyVision } from './tinyVision.ts'

export type TinyVlmFamily = 'idefics3' | 'llava' | 'llava-new'

// Same layout as the SmolVLM and llava-1.5 templates on the Hub.
const SMOLVLM_TEMPLATE =
  "<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}{% if message['content'][0]['type'] == 'image' %}{{':'}}{% else %}{{': '}}{% endif %}{% for line in message['content'] %}{% if line['type'] == 'text' %}{{line['text']}}{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}<end_of_utterance>\n{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
const LLAVA_TEMPLATE =
  "{% for message in messages %}{% if message['role'] != 'system' %}{{ message['role'].upper() + ': ' }}{% endif %}{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>\n' }}{% endfor %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ content['text'] + ' ' }}{% endfor %}{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"

const IDEFICS3_TOKENS = [
  '<image>',
  '<fake_token_around_image>',
  '<global-img>',
  '<end_of_utterance>',
]

/** Writes the checkpoint; returns the ids of its special tokens by name. */
export function writeTinyVlm(
  dir: string,
  family: TinyVlmFamily,
  seed = 7,
): Record<string, number> {
  const idefics = family === 'idefics3'
  const [weightPrefix, lmHeadName] = {
    idefics3: ['model.text_model.', 'lm_head'],
    llava: ['language_model.model.', 'language_model.lm_head'],
    'llava-new': ['model.language_model.', 'lm_head'],
  }[family] as [string, string]
  const extra = idefics ? IDEFICS3_TOKENS : ['<image>']
  const text = writeTinyCheckpoint(dir, 'llama', {
    seed,
    hiddenSize: V.lm,
    weightPrefix,
    lmHeadName,
    extraSpecialTokens: extra,
    weightsFile: 'model-language.safetensors',
  })
  // The vision tensors go to model.safetensors (and config.json is rewritten).
  writeTinyVision(dir, idefics ? 'idefics3' : 'llava', seed)
  if (family === 'llava-new') renameVisionPrefix(dir)
  const ids = Object.fromEntries(
    extra.map((t, i) => [t, text.vocabSize - extra.length + i]),
  )
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))
  const { architectures: _, ...textConfig } = text.config
  config.text_config = textConfig
  config[idefics ? 'image_token_id' : 'image_token_index'] = ids['<image>']
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2))
  writeFileSync(
    join(dir, 'chat_template.json'),
    JSON.stringify({
      chat_template: idefics ? SMOLVLM_TEMPLATE : LLAVA_TEMPLATE,
    }),
  )
  if (idefics) {
    const features = (V.image / V.patch) ** 2 / 4 // scale_factor 2
    writeFileSync(
      join(dir, 'processor_config.json'),
      JSON.stringify({ image_seq_len: features }),
    )
    writeFileSync(
      join(dir, 'generation_config.json'),
      JSON.stringify({ eos_token_id: [2, ids['<end_of_utterance>']] }),
    )
  }
  return ids
}

/** Newer transformers: `model.vision_tower.*`, `model.multi_modal_projector.*`. */
function renameVisionPrefix(dir: string): void {
  const file = join(dir, 'model.safetensors')
  const bytes = readFileSync(file)
  const len = Number(bytes.readBigUInt64LE(0))
  const header = JSON.parse(bytes.subarray(8, 8 + len).toString('utf8'))
  const renamed: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(header))
    renamed[k === '__metadata__' ? k : `model.${k}`] = v
  let json = JSON.stringify(renamed)
  json += ' '.repeat((8 - (json.length % 8)) % 8)
  const head = Buffer.alloc(8)
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)))
  writeFileSync(
    file,
    Buffer.concat([head, Buffer.from(json), bytes.subarray(8 + len)]),
  )
}

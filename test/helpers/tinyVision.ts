// Writes tiny random-weight vision checkpoints in Hugging Face layout
// (CLIP, SigLIP, SmolVLM/Idefics3, LLaVA tensor names and config fields) and
// holds a plain-TypeScript CLIP vision forward used as the independent
// reference in tests. A seeded PRNG keeps the files reproducible.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { safetensorsBytes } from './tinyCheckpoint.ts'

export type TinyVisionFamily = 'clip' | 'siglip' | 'idefics3' | 'llava'

export const V = {
  hidden: 32,
  layers: 2,
  heads: 4,
  inter: 64,
  image: 32,
  patch: 8,
  text: 32,
  vocab: 300,
  proj: 16,
  lm: 48,
}

type Tensor = { dtype: 'F32'; shape: number[]; data: Buffer }

function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function writeTinyVision(
  dir: string,
  family: TinyVisionFamily,
  seed = 1,
): Map<string, Float32Array> {
  const rand = prng(seed)
  const tensors = new Map<string, Tensor>()
  const values = new Map<string, Float32Array>()
  const add = (name: string, shape: number[], scale = 0.2, base = 0) => {
    const n = shape.reduce((a, b) => a * b, 1)
    const v = new Float32Array(n).map(() => base + (rand() * 2 - 1) * scale)
    tensors.set(name, { dtype: 'F32', shape, data: Buffer.from(v.buffer) })
    values.set(name, v)
  }
  const norm = (p: string, d: number) => {
    add(`${p}.weight`, [d], 0.1, 1)
    add(`${p}.bias`, [d], 0.1)
  }
  const linear = (p: string, out: number, inp: number, bias = true) => {
    add(`${p}.weight`, [out, inp], 1 / Math.sqrt(inp))
    if (bias) add(`${p}.bias`, [out], 0.05)
  }
  const layers = (p: string, d: number) => {
    for (let i = 0; i < V.layers; i++) {
      const l = `${p}encoder.layers.${i}.`
      norm(`${l}layer_norm1`, d)
      for (const x of ['q_proj', 'k_proj', 'v_proj', 'out_proj'])
        linear(`${l}self_attn.${x}`, d, d)
      norm(`${l}layer_norm2`, d)
      linear(`${l}mlp.fc1`, V.inter, d)
      linear(`${l}mlp.fc2`, d, V.inter)
    }
  }
  const patches = (V.image / V.patch) ** 2
  const clipLike = family === 'clip' || family === 'llava'
  const vp = {
    clip: 'vision_model.',
    siglip: 'vision_model.',
    idefics3: 'model.vision_model.',
    llava: 'vision_tower.vision_model.',
  }[family]
  add(
    `${vp}embeddings.patch_embedding.weight`,
    [V.hidden, 3, V.patch, V.patch],
    0.1,
  )
  if (clipLike) {
    add(`${vp}embeddings.class_embedding`, [V.hidden], 0.5)
    add(
      `${vp}embeddings.position_embedding.weight`,
      [patches + 1, V.hidden],
      0.5,
    )
    norm(`${vp}pre_layrnorm`, V.hidden)
  } else {
    add(`${vp}embeddings.patch_embedding.bias`, [V.hidden], 0.1)
    add(`${vp}embeddings.position_embedding.weight`, [patches, V.hidden], 0.5)
  }
  layers(vp, V.hidden)
  norm(`${vp}post_layernorm`, V.hidden)
  if (family === 'siglip') {
    add(`${vp}head.probe`, [1, 1, V.hidden], 0.5)
    add(`${vp}head.attention.in_proj_weight`, [3 * V.hidden, V.hidden], 0.2)
    add(`${vp}head.attention.in_proj_bias`, [3 * V.hidden], 0.05)
    linear(`${vp}head.attention.out_proj`, V.hidden, V.hidden)
    norm(`${vp}head.layernorm`, V.hidden)
    linear(`${vp}head.mlp.fc1`, V.inter, V.hidden)
    linear(`${vp}head.mlp.fc2`, V.hidden, V.inter)
  }
  if (family === 'clip' || family === 'siglip') {
    add('text_model.embeddings.token_embedding.weight', [V.vocab, V.text], 0.5)
    add('text_model.embeddings.position_embedding.weight', [16, V.text], 0.5)
    layers('text_model.', V.text)
    norm('text_model.final_layer_norm', V.text)
    if (family === 'clip') {
      linear('visual_projection', V.proj, V.hidden, false)
      linear('text_projection', V.proj, V.text, false)
      add('logit_scale', [1], 0)
    } else {
      linear('text_model.head', V.text, V.text)
    }
  }
  if (family === 'idefics3')
    linear(
      'model.connector.modality_projection.proj',
      V.lm,
      V.hidden * 4,
      false,
    )
  if (family === 'llava') {
    linear('multi_modal_projector.linear_1', V.lm, V.hidden)
    linear('multi_modal_projector.linear_2', V.lm, V.lm)
  }
  const vision = {
    hidden_size: V.hidden,
    num_hidden_layers: V.layers,
    num_attention_heads: V.heads,
    intermediate_size: V.inter,
    image_size: V.image,
    patch_size: V.patch,
    hidden_act: clipLike ? 'quick_gelu' : 'gelu_pytorch_tanh',
    layer_norm_eps: clipLike ? 1e-5 : 1e-6,
  }
  const text = {
    hidden_size: V.text,
    num_hidden_layers: V.layers,
    num_attention_heads: V.heads,
    intermediate_size: V.inter,
    vocab_size: V.vocab,
    max_position_embeddings: 16,
    hidden_act: vision.hidden_act,
    layer_norm_eps: vision.layer_norm_eps,
    eos_token_id: 2,
  }
  const llama = {
    model_type: 'llama',
    hidden_size: V.lm,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    vocab_size: 300,
  }
  const config = {
    clip: {
      model_type: 'clip',
      architectures: ['CLIPModel'],
      projection_dim: V.proj,
      vision_config: vision,
      text_config: text,
    },
    siglip: {
      model_type: 'siglip',
      architectures: ['SiglipModel'],
      vision_config: vision,
      text_config: text,
    },
    idefics3: {
      model_type: 'idefics3',
      architectures: ['Idefics3ForConditionalGeneration'],
      scale_factor: 2,
      vision_config: vision,
      text_config: llama,
    },
    llava: {
      model_type: 'llava',
      architectures: ['LlavaForConditionalGeneration'],
      vision_feature_layer: -2,
      vision_feature_select_strategy: 'default',
      projector_hidden_act: 'gelu',
      vision_config: vision,
      text_config: llama,
    },
  }[family]
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2))
  writeFileSync(
    join(dir, 'model.safetensors'),
    safetensorsBytes(tensors as never),
  )
  if (family === 'clip' || family === 'siglip')
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(wordTokenizer()))
  return values
}

/** A whitespace word-level tokenizer with <s>=0? no: [pad]=0, <unk>=1, </s>=2 appended. */
function wordTokenizer(): object {
  const vocab: Record<string, number> = { '<pad>': 0, '<unk>': 1, '</s>': 2 }
  for (const w of 'a photo of cat dog red green blue square circle'.split(' '))
    vocab[w] = Object.keys(vocab).length
  return {
    version: '1.0',
    added_tokens: [
      {
        id: 2,
        content: '</s>',
        special: true,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
      },
    ],
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '</s>', type_id: 0 } },
      ],
      pair: [],
      special_tokens: { '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] } },
    },
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: '<unk>' },
  }
}

// ---- Independent TS reference: CLIP vision tower + projection ----------

const matvec = (w: Float32Array, x: number[], out: number, b?: Float32Array) =>
  Array.from({ length: out }, (_, o) => {
    let s = b ? (b[o] as number) : 0
    for (let i = 0; i < x.length; i++)
      s += (w[o * x.length + i] as number) * (x[i] as number)
    return s
  })
const layerNorm = (
  x: number[],
  w: Float32Array,
  b: Float32Array,
  eps: number,
) => {
  const mu = x.reduce((a, c) => a + c, 0) / x.length
  const v = x.reduce((a, c) => a + (c - mu) ** 2, 0) / x.length
  return x.map(
    (c, i) =>
      ((c - mu) / Math.sqrt(v + eps)) * (w[i] as number) + (b[i] as number),
  )
}

/** pixels: normalized [H, W, 3]; returns the unit-normalized image embedding. */
export function clipImageReference(
  t: Map<string, Float32Array>,
  pixels: Float32Array,
): number[] {
  const g = (k: string) => t.get(k) as Float32Array
  const D = V.hidden,
    P = V.patch,
    side = V.image / P,
    eps = 1e-5
  const pw = g('vision_model.embeddings.patch_embedding.weight')
  const tokens: number[][] = [
    Array.from(g('vision_model.embeddings.class_embedding')),
  ]
  for (let py = 0; py < side; py++)
    for (let px = 0; px < side; px++) {
      const patch: number[] = []
      for (let c = 0; c < 3; c++)
        for (let y = 0; y < P; y++)
          for (let x = 0; x < P; x++)
            patch.push(
              pixels[((py * P + y) * V.image + px * P + x) * 3 + c] as number,
            )
      tokens.push(matvec(pw, patch, D))
    }
  const pos = g('vision_model.embeddings.position_embedding.weight')
  let h = tokens.map((tok, i) =>
    tok.map((v, d) => v + (pos[i * D + d] as number)),
  )
  h = h.map((x) =>
    layerNorm(
      x,
      g('vision_model.pre_layrnorm.weight'),
      g('vision_model.pre_layrnorm.bias'),
      eps,
    ),
  )
  const hd = D / V.heads
  for (let l = 0; l < V.layers; l++) {
    const p = `vision_model.encoder.layers.${l}.`
    const lin = (x: number[], n: string, out: number) =>
      matvec(g(`${p}${n}.weight`), x, out, g(`${p}${n}.bias`))
    const xs = h.map((x) =>
      layerNorm(x, g(`${p}layer_norm1.weight`), g(`${p}layer_norm1.bias`), eps),
    )
    const q = xs.map((x) => lin(x, 'self_attn.q_proj', D))
    const k = xs.map((x) => lin(x, 'self_attn.k_proj', D))
    const v = xs.map((x) => lin(x, 'self_attn.v_proj', D))
    const att = q.map((qi) => {
      const out = new Array(D).fill(0)
      for (let hh = 0; hh < V.heads; hh++) {
        const s = k.map((kj) => {
          let d = 0
          for (let e = 0; e < hd; e++)
            d += (qi[hh * hd + e] as number) * (kj[hh * hd + e] as number)
          return d / Math.sqrt(hd)
        })
        const m = Math.max(...s)
        const ex = s.map((z) => Math.exp(z - m))
        const sum = ex.reduce((a, b) => a + b, 0)
        ex.forEach((w, j) => {
          for (let e = 0; e < hd; e++)
            out[hh * hd + e] += (w / sum) * (v[j]![hh * hd + e] as number)
        })
      }
      return out
    })
    h = h.map((x, i) =>
      x.map((c, d) => c + (lin(att[i]!, 'self_attn.out_proj', D)[d] as number)),
    )
    h = h.map((x) => {
      const y = layerNorm(
        x,
        g(`${p}layer_norm2.weight`),
        g(`${p}layer_norm2.bias`),
        eps,
      )
      const f = lin(y, 'mlp.fc1', V.inter).map(
        (z) => z / (1 + Math.exp(-1.702 * z)),
      )
      const o = lin(f, 'mlp.fc2', D)
      return x.map((c, d) => c + (o[d] as number))
    })
  }
  const pooled = layerNorm(
    h[0]!,
    g('vision_model.post_layernorm.weight'),
    g('vision_model.post_layernorm.bias'),
    eps,
  )
  const e = matvec(g('visual_projection.weight'), pooled, V.proj)
  const n = Math.hypot(...e)
  return e.map((z) => z / n)
}

// VLMs end to end in the engine with tiny random checkpoints in HF layout
// (test/helpers/tinyVlm.ts): SmolVLM/Idefics3 and LLaVA (older and newer
// transformers weight names) load through `loadModel`, chats carry png
// images, the image tokens are laid out like the HF processors do, greedy
// decoding is reproducible, and different images change the decoder's output
// (so the features really reach it). Text-only models refuse images.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadModel } from '../../../src/engine/loadModel.ts'
import type { Model } from '../../../src/engine/model.ts'
import type { ChatMessage } from '../../../src/engine/types.ts'
import { hasEncoders } from '../../helpers/encoders.ts'
import { writeTinyCheckpoint } from '../../helpers/tinyCheckpoint.ts'
import { V } from '../../helpers/tinyVision.ts'
import { type TinyVlmFamily, writeTinyVlm } from '../../helpers/tinyVlm.ts'

let dir: string
let imageA: Uint8Array
let imageB: Uint8Array

/** A 40x40 png: a gradient whose direction and colours depend on `kind`. */
async function png(kind: number): Promise<Uint8Array> {
  const n = 40
  const raw = Buffer.alloc(n * n * 3)
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++)
      raw.set(
        kind === 0
          ? [x * 6, 255 - y * 6, 128]
          : [255 - ((x * y) % 256), 40, y * 6],
        (y * n + x) * 3,
      )
  return new Uint8Array(
    await sharp(raw, { raw: { width: n, height: n, channels: 3 } })
      .png()
      .toBuffer(),
  )
}

const chat = (image: Uint8Array, text = 'What is this?'): ChatMessage[] => [
  {
    role: 'user',
    content: [
      { type: 'image', data: image, mimeType: 'image/png' },
      { type: 'text', text },
    ],
  },
]

function prepare(model: Model, image: Uint8Array) {
  if (!model.vision) throw new Error('not a VLM')
  return model.vision.prepare({
    text: model.applyChatTemplate(chat(image)),
    images: [image],
    encode: (t) => model.tokenizer.encode(t),
  })
}

async function greedy(model: Model, input: ChatMessage[]) {
  const stream = model.generate(input, { temperature: 0, maxTokens: 6 })
  for await (const _ of stream);
  return stream.result
}

async function firstTokenLogprobs(model: Model, input: ChatMessage[]) {
  const stream = model.generate(input, {
    temperature: 0,
    maxTokens: 1,
    logprobs: true,
    topLogprobs: 5,
  })
  const out = []
  for await (const c of stream) out.push(...(c.logprobs ?? []))
  return out[0]?.top.map((t) => [t.token, t.logprob])
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pocket-vlm-'))
  imageA = await png(0)
  imageB = await png(1)
})
afterAll(() => rm(dir, { recursive: true, force: true }))

const FAMILIES: [TinyVlmFamily, string, number][] = [
  // 4x4 patches, pixel shuffle by 2 -> 4 image tokens
  ['idefics3', 'idefics3', 4],
  // 16 patches, CLS dropped -> 16 image tokens
  ['llava', 'llava', 16],
  ['llava-new', 'llava', 16],
]

describe.skipIf(!hasEncoders)('VLMs (tiny random checkpoints)', () => {
  for (const [family, architecture, features] of FAMILIES) {
    describe(family, () => {
      let model: Model
      let ids: Record<string, number>
      beforeAll(async () => {
        ids = writeTinyVlm(join(dir, family), family)
        model = await loadModel(join(dir, family))
      })
      afterAll(() => model?.dispose())

      it('loads as a VLM through loadModel', () => {
        expect(model.info.type).toBe('vlm')
        expect(model.info.architecture).toBe(architecture)
        expect(model.info.hiddenSize).toBe(V.lm)
        expect(model.vision).toBeDefined()
      })

      it('lays the image tokens out like the HF processor', async () => {
        const prepared = await prepare(model, imageA)
        const { positions, values } = prepared.imageEmbeddings
        expect(positions.length).toBe(features)
        expect(values.length).toBe(features * V.lm)
        for (const p of positions)
          expect(prepared.tokens[p]).toBe(ids['<image>'])
        const first = positions[0] as number
        const last = positions[features - 1] as number
        expect(last - first).toBe(features - 1) // one contiguous run
        if (family === 'idefics3') {
          expect(prepared.tokens.slice(first - 2, first)).toEqual([
            ids['<fake_token_around_image>'],
            ids['<global-img>'],
          ])
          expect(prepared.tokens[last + 1]).toBe(
            ids['<fake_token_around_image>'],
          )
        }
      })

      it('generates reproducibly from a chat with an image', async () => {
        const a = await greedy(model, chat(imageA))
        const b = await greedy(model, chat(imageA))
        expect(a.completionTokens).toBeGreaterThan(0)
        expect(b.tokenIds).toEqual(a.tokenIds)
        const prepared = await prepare(model, imageA)
        expect(a.promptTokens).toBe(prepared.tokens.length)
      })

      it('feeds the image features to the decoder: other image, other output', async () => {
        const a = await firstTokenLogprobs(model, chat(imageA))
        const again = await firstTokenLogprobs(model, chat(imageA))
        const b = await firstTokenLogprobs(model, chat(imageB))
        expect(again).toEqual(a)
        expect(b).not.toEqual(a)
      })

      it('still chats without images (parts-aware template)', async () => {
        const r = await greedy(model, [{ role: 'user', content: 'Hello' }])
        expect(r.completionTokens).toBeGreaterThan(0)
      })

      it('rejects an image count the prompt cannot place', async () => {
        // A literal placeholder in the text makes two placeholders for one image.
        const stream = model.generate(chat(imageA, 'see <image>'), {
          maxTokens: 1,
        })
        await expect(stream.result).rejects.toThrow(/placeholder/)
      })

      it('turns undecodable image bytes into an invalid-option error', async () => {
        const stream = model.generate(
          chat(new Uint8Array(Buffer.from('not an image'))),
          { maxTokens: 1 },
        )
        await expect(stream.result).rejects.toThrow(/cannot decode/)
        expect(model.activeGenerations).toBe(0)
      })
    })
  }

  it('a text-only model given an image: "model does not support images"', async () => {
    writeTinyCheckpoint(join(dir, 'text'), 'llama')
    await using model = await loadModel(join(dir, 'text'))
    expect(model.info.type).toBe('llm')
    expect(() => model.generate(chat(imageA))).toThrow(
      /model does not support images/,
    )
  })
})

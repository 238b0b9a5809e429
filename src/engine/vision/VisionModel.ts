// A loaded vision encoder: CLIP / SigLIP image + text embeddings, or a VLM's
// vision tower + connector producing decoder-space image tokens. Images are
// decoded and normalized in TS (sharp), the towers run in the native engine.
import type { Tokenizer } from '@huggingface/tokenizers'
import type {
  NativeEncoder,
  NativeTensor,
} from '../embeddings/nativeEncoder.ts'
import { InvalidOptionError, ModelDisposedError } from '../errors.ts'
import { toEngineError } from '../toEngineError.ts'
import { preprocessImage } from './preprocessImage.ts'
import type { VisionModelConfig } from './readVisionConfig.ts'

export class VisionModel {
  readonly path: string
  readonly config: VisionModelConfig
  #native: NativeEncoder | undefined
  #tokenizer: Tokenizer | undefined

  constructor(p: {
    path: string
    config: VisionModelConfig
    native: NativeEncoder
    tokenizer?: Tokenizer
  }) {
    this.path = p.path
    this.config = p.config
    this.#native = p.native
    this.#tokenizer = p.tokenizer
  }

  get dimensions(): number {
    return this.#encoder().info.hiddenSize
  }

  #encoder(): NativeEncoder {
    if (!this.#native) throw new ModelDisposedError()
    return this.#native
  }

  async #pixels(images: Uint8Array[]) {
    const size = this.config.processing.size
    const pixels = new Float32Array(images.length * size * size * 3)
    for (const [i, img] of images.entries())
      pixels.set(
        (await preprocessImage(img, this.config.processing)).pixels,
        i * size * size * 3,
      )
    return { pixels, batch: images.length, height: size, width: size }
  }

  /** CLIP/SigLIP: one unit vector per image (encoded png/jpeg/webp bytes). */
  async embedImages(images: Uint8Array[]): Promise<Float32Array[]> {
    if (this.config.output !== 'embedding')
      throw new InvalidOptionError(
        'model',
        'this vision model produces decoder features, not embeddings',
      )
    const out = await this.#run(async () =>
      this.#encoder().embedImage({
        ...(await this.#pixels(images)),
        output: 'embedding',
      }),
    )
    const d = out.shape[1] as number
    return images.map((_, i) => out.data.slice(i * d, (i + 1) * d))
  }

  /** VLM: image tokens in the decoder's embedding space, [tokens, hidden] per image. */
  async imageFeatures(image: Uint8Array): Promise<NativeTensor> {
    if (this.config.output !== 'features')
      throw new InvalidOptionError(
        'model',
        'this model has no decoder connector',
      )
    const out = await this.#run(async () =>
      this.#encoder().embedImage({
        ...(await this.#pixels([image])),
        output: 'features',
      }),
    )
    return { data: out.data, shape: out.shape.slice(1) }
  }

  /** CLIP/SigLIP text tower: one unit vector per text. */
  async embedTexts(texts: string[]): Promise<Float32Array[]> {
    const tok = this.#tokenizer
    if (!tok || !this.config.native.text)
      throw new InvalidOptionError('model', 'this model has no text tower')
    const max = this.config.native.text.maxPositions ?? 77
    const siglip = this.config.native.family === 'siglip'
    const rows = texts.map((t) =>
      tok.encode(t, { add_special_tokens: true }).ids.slice(0, max),
    )
    // SigLIP was trained on fixed-length padded text and pools the last position.
    const seqLen = siglip ? max : Math.max(...rows.map((r) => r.length))
    const inputIds = new Int32Array(rows.length * seqLen)
    const attentionMask = new Int32Array(rows.length * seqLen)
    const pad = siglip
      ? (tok.token_to_id('</s>') ?? tok.token_to_id('<pad>') ?? 1)
      : 0
    rows.forEach((r, i) => {
      inputIds.fill(pad, i * seqLen, (i + 1) * seqLen)
      inputIds.set(r, i * seqLen)
      attentionMask.fill(
        1,
        i * seqLen,
        i * seqLen + (siglip ? seqLen : r.length),
      )
    })
    const out = await this.#run(() =>
      this.#encoder().embedText({
        inputIds,
        attentionMask,
        batch: rows.length,
        seqLen,
      }),
    )
    const d = out.shape[1] as number
    return rows.map((_, i) => out.data.slice(i * d, (i + 1) * d))
  }

  async #run(f: () => Promise<NativeTensor>): Promise<NativeTensor> {
    try {
      return await f()
    } catch (e) {
      throw toEngineError(e, this.path)
    }
  }

  async dispose(): Promise<void> {
    const n = this.#native
    this.#native = undefined
    if (n) await n.unload()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose()
  }
}

// The image side of a VLM (Model.vision): runs the vision tower + connector
// on each image and lays the image tokens out the way the model's HF
// processor does, then hands the decoder the prompt ids and the feature rows
// that replace the placeholder embeddings.
//  - SmolVLM / Idefics3, one global view (no tiling into sub-images):
//    `<fake_token_around_image><global-img>` + `<image>` x features + `<fake_token_around_image>`
//  - LLaVA: `<image>` x features
import { InvalidOptionError } from '../errors.ts'
import type { ModelVision } from '../model.ts'
import { expandImagePlaceholders } from './expandImagePlaceholders.ts'
import type { VisionModel } from './VisionModel.ts'

export type ImageLayout = {
  /** What the chat template renders per image part, e.g. `<image>`. */
  imageToken: string
  /** Token id of the image placeholder (one per feature row after expansion). */
  imageTokenId: number
  /** Text around each image's placeholder run. */
  before: string
  after: string
}

export class VisionAdapter implements ModelVision {
  readonly model: VisionModel
  readonly layout: ImageLayout

  constructor(model: VisionModel, layout: ImageLayout) {
    this.model = model
    this.layout = layout
  }

  async prepare(params: {
    text: string
    images: Uint8Array[]
    encode: (text: string) => number[]
  }) {
    const { imageToken, imageTokenId, before, after } = this.layout
    const pieces = params.text.split(imageToken)
    if (pieces.length - 1 !== params.images.length)
      throw new InvalidOptionError(
        'messages',
        `the chat has ${params.images.length} image(s) but its rendered prompt has ${pieces.length - 1} "${imageToken}" placeholder(s)`,
      )
    const features = []
    for (const image of params.images)
      features.push(await this.model.imageFeatures(image))
    const ids = params.encode(pieces.join(`${before}${imageToken}${after}`))
    const counts = features.map((f) => f.shape[0] as number)
    let expanded: ReturnType<typeof expandImagePlaceholders>
    try {
      expanded = expandImagePlaceholders(ids, imageTokenId, counts)
    } catch (e) {
      throw new InvalidOptionError('messages', (e as Error).message)
    }
    const values = new Float32Array(
      counts.reduce((a, b) => a + b, 0) * this.model.dimensions,
    )
    let offset = 0
    for (const f of features) {
      values.set(f.data, offset)
      offset += f.data.length
    }
    return {
      tokens: expanded.ids,
      imageEmbeddings: { positions: expanded.positions, values },
    }
  }

  dispose(): Promise<void> {
    return this.model.dispose()
  }
}

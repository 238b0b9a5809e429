// VLM prompts: each image placeholder token (e.g. SmolVLM's `<image>`) is
// repeated once per image feature row, and the positions of those rows are
// what the decoder replaces with the vision tower's output.

export type ExpandedPrompt = {
  ids: number[]
  /** Prompt indices whose embeddings come from image features, ascending. */
  positions: Int32Array
}

export function expandImagePlaceholders(
  ids: number[],
  placeholderId: number,
  tokensPerImage: number[],
): ExpandedPrompt {
  const out: number[] = []
  const positions: number[] = []
  let image = 0
  for (const id of ids) {
    if (id !== placeholderId) {
      out.push(id)
      continue
    }
    const n = tokensPerImage[image++]
    if (n === undefined) throw new Error('more image placeholders than images')
    for (let i = 0; i < n; i++) {
      positions.push(out.length)
      out.push(placeholderId)
    }
  }
  if (image !== tokensPerImage.length)
    throw new Error('more images than image placeholders')
  return { ids: out, positions: Int32Array.from(positions) }
}

// Parses what users type to name a hub model: `owner/repo`, `owner/repo@q4_1`,
// or a hub URL (`https://<hub>/owner/repo[/blob/main/file.gguf]`).
import { InvalidModelReferenceError } from '../errors.ts'

export type ModelReference = { repo: string; quantization: string | null }

const REPO_RE = /^[\w.-]+\/[\w.-]+$/

export function parseModelReference(
  ref: string,
  quantization?: string | null,
): ModelReference {
  let text = ref.trim()
  if (/^https?:\/\//i.test(text)) {
    const parts = new URL(text).pathname.split('/').filter(Boolean)
    if (parts[0] === 'models') parts.shift()
    const file =
      parts[2] === 'blob' || parts[2] === 'resolve' ? parts.at(-1) : undefined
    text = parts.slice(0, 2).join('/')
    const q = file?.match(
      /[.-](I?Q\d(?:_[A-Z0-9]+)*|F16|BF16|F32)\.gguf$/i,
    )?.[1]
    if (q && !quantization) quantization = q
  }
  const at = text.lastIndexOf('@')
  const repo = at > 0 ? text.slice(0, at) : text
  const quant = quantization ?? (at > 0 ? text.slice(at + 1) : null)
  if (!REPO_RE.test(repo)) {
    throw new InvalidModelReferenceError(
      `"${ref}" is not a model reference; expected <owner>/<repo>[@quant] or a hub URL.`,
    )
  }
  return { repo, quantization: quant ? quant.toLowerCase() : null }
}

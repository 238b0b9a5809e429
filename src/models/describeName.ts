// Derives what a file or repo name says about a model: the quantization tag
// (`Q4_1`, `Q8_0`, `F16`), a short alias and a parameter-count string.

const QUANT_RE =
  /(?:^|[._-])(I?Q\d(?:_[A-Z0-9]+)*|[BF]F?16|F32|BF16|\d+bit)(?=$|[._-])/i

/** `SmolLM2-135M-Instruct.Q4_1.gguf` -> `Q4_1`; null when the name has none. */
export function quantizationFromName(fileName: string): string | null {
  const stem = fileName.replace(/\.gguf$/i, '')
  const match = stem.match(QUANT_RE)
  return match?.[1] ? match[1].toUpperCase().replace('BIT', 'bit') : null
}

/** Lowercase alias: repo name without publisher, format or quant suffixes. */
export function aliasFromName(name: string): string {
  return name
    .toLowerCase()
    .replace(/\.gguf$/, '')
    .replace(/[-_.](gguf|mlx|safetensors)$/g, '')
    .replace(/[-_.](i?q\d(_[a-z0-9]+)*|f16|bf16|f32|\d+bit)$/g, '')
    .replace(/[-_.](gguf|mlx)$/g, '')
}

/** `SmolLM2-135M-Instruct` -> `135M`; null if the name has no size. */
export function paramsFromName(name: string): string | null {
  const match = name.match(/(?:^|[-_.])(\d+(?:\.\d+)?[MBK])(?=$|[-_.])/i)
  return match?.[1] ? match[1].toUpperCase() : null
}

/** Nominal bits per weight of a quantization tag. */
export function bitsPerWeight(quantization: string | null): number | null {
  if (!quantization) return null
  const q = quantization.toUpperCase()
  if (q === 'F32') return 32
  if (q === 'F16' || q === 'BF16') return 16
  const bits = q.match(/^I?Q(\d)/) ?? q.match(/^(\d+)BIT$/)
  return bits?.[1] ? Number(bits[1]) : null
}

// Matryoshka-style truncation: keep the first `dims` components and scale
// back to unit length (what OpenAI's `dimensions` does).
export function truncateVector(v: Float32Array, dims: number): Float32Array {
  if (dims >= v.length) return v
  const cut = v.slice(0, dims)
  let sum = 0
  for (const x of cut) sum += x * x
  const norm = Math.sqrt(sum) || 1
  for (let i = 0; i < cut.length; i++) cut[i] = (cut[i] as number) / norm
  return cut
}

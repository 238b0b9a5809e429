// Splits a text file into spans of whole lines for embedding: paragraphs are
// kept together when they fit, long paragraphs are cut at line boundaries,
// and each span remembers its 1-based first and last line.

export type TextSpan = { startLine: number; endLine: number; text: string }

export type ChunkTextOptions = {
  /** Soft limit on characters per span (default 800, ~200 word pieces). */
  maxChars?: number
}

export function chunkText(
  text: string,
  options: ChunkTextOptions = {},
): TextSpan[] {
  const maxChars = options.maxChars ?? 800
  const lines = text.split(/\r?\n/)
  const spans: TextSpan[] = []
  let start = -1
  let buf: string[] = []
  let size = 0
  const flush = (end: number) => {
    const body = buf.join('\n')
    if (body.trim())
      spans.push({ startLine: start + 1, endLine: end + 1, text: body })
    buf = []
    size = 0
    start = -1
  }
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] as string
    // A single huge line (minified code, CSV) is cut into pieces.
    while (line.length > maxChars) {
      if (buf.length) flush(i - 1)
      start = i
      buf.push(line.slice(0, maxChars))
      flush(i)
      line = line.slice(maxChars)
    }
    const blank = line.trim() === ''
    if (
      buf.length &&
      (size + line.length > maxChars || (blank && size > maxChars / 2))
    )
      flush(i - 1)
    if (blank && buf.length === 0) continue
    if (start < 0) start = i
    buf.push(line)
    size += line.length + 1
  }
  if (buf.length) flush(lines.length - 1)
  return spans
}

// Prints rows of strings as an aligned table: first column left-aligned,
// the others right-aligned, a rule under the header row.
export function printRows(rows: string[][]): void {
  const widths = (rows[0] ?? []).map((_, i) =>
    Math.max(...rows.map((r) => (r[i] ?? '').length)),
  )
  const line = (r: string[]) =>
    r
      .map((v, i) =>
        i === 0
          ? v.padEnd(widths[i] as number)
          : v.padStart(widths[i] as number),
      )
      .join('  ')
  const [head, ...body] = rows
  if (!head) return
  console.log(line(head))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const r of body) console.log(line(r))
}

// A small inline SVG line of values in [0, 1] (no inline styles: CSP).
export function sparklinePoints(
  values: number[],
  w: number,
  h: number,
): string {
  if (values.length === 0) return ''
  const pts =
    values.length === 1 ? [values[0] as number, values[0] as number] : values
  return pts
    .map((v, i) => {
      const x = (i / (pts.length - 1)) * w
      const y = h - Math.max(0, Math.min(1, v)) * (h - 2) - 1
      return `${x.toFixed(1)},${y.toFixed(1)}`
    })
    .join(' ')
}

export function Sparkline(props: { values: number[]; label: string }) {
  const w = 120
  const h = 28
  return (
    <svg
      width={w}
      height={h}
      viewBox={`0 0 ${w} ${h}`}
      role="img"
      aria-label={props.label}
    >
      <title>{props.label}</title>
      <line
        x1={0}
        x2={w}
        y1={h - 1}
        y2={h - 1}
        stroke="currentColor"
        stroke-opacity="0.2"
      />
      <polyline
        points={sparklinePoints(props.values, w, h)}
        fill="none"
        stroke="currentColor"
        stroke-width="1.6"
      />
    </svg>
  )
}

// Renders a component loaded on demand (a separate chunk), with a short
// loading line and the import's error if it fails.
import type { ComponentType } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { ErrorBanner } from './ui/ErrorBanner.tsx'
import ui from './ui/ui.module.css'

export function LazyView(props: { load: () => Promise<ComponentType> }) {
  const [View, setView] = useState<ComponentType | null>(null)
  const [error, setError] = useState<unknown>(null)
  useEffect(() => {
    props.load().then(
      (v) => setView(() => v),
      (e) => setError(e),
    )
  }, [])
  if (error) return <ErrorBanner error={error} />
  return View ? <View /> : <p class={ui.muted}>Loading…</p>
}

// Loads data now and every `ms` after (while the page is visible), keeping
// the last good value and the last error separately.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'

export function usePoll<T>(load: () => Promise<T>, ms: number) {
  const [data, setData] = useState<T | null>(null)
  const [error, setError] = useState<unknown>(null)
  const loadRef = useRef(load)
  loadRef.current = load
  const refresh = useCallback(async () => {
    try {
      setData(await loadRef.current())
      setError(null)
    } catch (e) {
      setError(e)
    }
  }, [])
  useEffect(() => {
    void refresh()
    if (!ms) return
    const id = setInterval(() => {
      if (document.visibilityState !== 'hidden') void refresh()
    }, ms)
    return () => clearInterval(id)
  }, [refresh, ms])
  return { data, error, refresh }
}

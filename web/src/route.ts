// Hash routes: #/chat (default), #/models, #/server, #/hive, #/market.
import { useEffect, useState } from 'preact/hooks'

export const ROUTES = ['chat', 'models', 'server', 'hive', 'market'] as const
export type Route = (typeof ROUTES)[number]

export function routeOf(hash: string): Route {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? ''
  return (ROUTES as readonly string[]).includes(name) ? (name as Route) : 'chat'
}

export function useRoute(): Route {
  const [route, setRoute] = useState(routeOf(location.hash))
  useEffect(() => {
    const on = () => setRoute(routeOf(location.hash))
    addEventListener('hashchange', on)
    return () => removeEventListener('hashchange', on)
  }, [])
  return route
}

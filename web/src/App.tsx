// The app shell: navigation between the five views, the theme toggle, and
// the API-key login that appears when the server answers 401.
import { useEffect, useState } from 'preact/hooks'
import {
  isUnauthorized,
  markUnauthorized,
  onAuthChange,
  setApiKey,
} from './api/auth.ts'
import styles from './app.module.css'
import { ChatView } from './chat/ChatView.tsx'
import { HiveView } from './hive/HiveView.tsx'
import { LazyView } from './LazyView.tsx'
import { ModelsView } from './models/ModelsView.tsx'
import { type Route, useRoute } from './route.ts'
import { ServerView } from './server/ServerView.tsx'
import { applyTheme, nextTheme, storedTheme } from './theme.ts'
import ui from './ui/ui.module.css'

const LABELS: Record<Route, string> = {
  chat: 'Chat',
  models: 'Models',
  server: 'Server',
  hive: 'Hive',
  market: 'Market',
}

function Login() {
  const [key, setKey] = useState('')
  return (
    <form
      class={`${styles.login} ${ui.card}`}
      onSubmit={(e) => {
        e.preventDefault()
        setApiKey(key.trim())
        markUnauthorized(false)
      }}
    >
      <h1 class={ui.cardTitle}>This server needs an API key</h1>
      <p class={ui.muted}>
        The key given to <code>pocket serve --api-key</code>. It is kept in this
        tab only (session storage).
      </p>
      <label for="api-key">API key</label>
      <input
        id="api-key"
        type="password"
        autocomplete="current-password"
        value={key}
        onInput={(e) => setKey(e.currentTarget.value)}
        required
      />
      <button class="primary" type="submit">
        Sign in
      </button>
    </form>
  )
}

// viem and the receipt code load only when the market view opens
const MarketView = () => (
  <LazyView
    load={() => import('./market/MarketView.tsx').then((m) => m.MarketView)}
  />
)

export function App() {
  const route = useRoute()
  const [theme, setTheme] = useState(storedTheme())
  const [locked, setLocked] = useState(isUnauthorized())
  const [generation, setGeneration] = useState(0)
  useEffect(
    () =>
      onAuthChange(() => {
        setLocked(isUnauthorized())
        // a new key: views reload their data
        setGeneration((g) => g + 1)
      }),
    [],
  )
  const View = {
    chat: ChatView,
    models: ModelsView,
    server: ServerView,
    hive: HiveView,
    market: MarketView,
  }[route]
  return (
    <div class={styles.shell}>
      <header class={styles.header}>
        <span class={styles.brand}>PocketCloudMLX</span>
        <nav class={styles.nav} aria-label="Views">
          {(Object.keys(LABELS) as Route[]).map((r) => (
            <a
              key={r}
              class={styles.navLink}
              href={`#/${r}`}
              aria-current={r === route ? 'page' : undefined}
            >
              {LABELS[r]}
            </a>
          ))}
        </nav>
        <button
          type="button"
          aria-label={`Theme: ${theme} (switch)`}
          title="Switch theme"
          onClick={() => {
            const t = nextTheme(theme)
            applyTheme(t)
            setTheme(t)
          }}
        >
          {theme === 'dark'
            ? '☾ Dark'
            : theme === 'light'
              ? '☀ Light'
              : '◐ System'}
        </button>
      </header>
      <main class={styles.main} key={generation}>
        {locked && route !== 'market' ? <Login /> : <View />}
      </main>
    </div>
  )
}

// Entry: theme before first paint, then the app.
import { render } from 'preact'
import { App } from './App.tsx'
import { applyTheme, storedTheme } from './theme.ts'
import './global.css'

applyTheme(storedTheme())
render(<App />, document.getElementById('app') as HTMLElement)

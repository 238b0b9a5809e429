// Dark / light / system theme, remembered in localStorage.
export type Theme = 'system' | 'dark' | 'light'
const KEY = 'pocket.theme'

export function storedTheme(): Theme {
  const t = localStorage.getItem(KEY)
  return t === 'dark' || t === 'light' ? t : 'system'
}

export function applyTheme(theme: Theme): void {
  if (theme === 'system') document.documentElement.removeAttribute('data-theme')
  else document.documentElement.setAttribute('data-theme', theme)
  localStorage.setItem(KEY, theme)
}

export const nextTheme = (t: Theme): Theme =>
  t === 'system' ? 'dark' : t === 'dark' ? 'light' : 'system'

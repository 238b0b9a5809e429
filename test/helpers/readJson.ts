// Reads a fetch Response body as loosely typed JSON for assertions.
// biome-ignore lint/suspicious/noExplicitAny: test assertions walk arbitrary JSON
export type Json = any

export const readJson = (res: Response): Promise<Json> => res.json()

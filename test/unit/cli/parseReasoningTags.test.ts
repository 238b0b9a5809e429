// `pocket serve --reasoning-tags <open,close>`: two non-empty tags or a
// one-line usage error.
import { InvalidArgumentError } from 'commander'
import { describe, expect, it } from 'vitest'
import { parseReasoningTags } from '../../../src/cli/parseOptions.ts'

describe('parseReasoningTags', () => {
  it('reads two tags', () => {
    expect(parseReasoningTags('<think>,</think>')).toEqual({
      open: '<think>',
      close: '</think>',
    })
    expect(parseReasoningTags(' [THINK] , [/THINK] ')).toEqual({
      open: '[THINK]',
      close: '[/THINK]',
    })
  })
  it('rejects anything else', () => {
    for (const bad of ['<think>', '<think>,', ',</think>', 'a,b,c'])
      expect(() => parseReasoningTags(bad)).toThrow(InvalidArgumentError)
  })
})

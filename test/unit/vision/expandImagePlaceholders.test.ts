import { expect, it } from 'vitest'
import { expandImagePlaceholders } from '../../../src/engine/vision/expandImagePlaceholders.ts'

it('repeats each placeholder per feature row and reports the positions', () => {
  const r = expandImagePlaceholders([1, 9, 2, 9, 3], 9, [3, 2])
  expect(r.ids).toEqual([1, 9, 9, 9, 2, 9, 9, 3])
  expect(Array.from(r.positions)).toEqual([1, 2, 3, 5, 6])
  expect(() => expandImagePlaceholders([9, 9], 9, [1])).toThrow(
    /placeholders than images/,
  )
  expect(() => expandImagePlaceholders([1], 9, [1])).toThrow(
    /images than image placeholders/,
  )
})

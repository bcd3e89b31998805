import { describe, expect, it } from 'vitest';
import { priorityRank } from '../../src/queue/priority.js';

describe('priorityRank', () => {
  it.each([
    ['high', 1],
    ['medium', 0],
    ['low', -1],
  ])('ranks the named priority %j as %d', (priority, rank) => {
    expect(priorityRank({ priority })).toBe(rank);
  });

  it.each([
    ['HIGH', 1],
    ['High', 1],
    ['LoW', -1],
    ['  high  ', 1],
    ['Medium', 0],
  ])('ignores case and surrounding spaces in %j', (priority, rank) => {
    expect(priorityRank({ priority })).toBe(rank);
  });

  it.each([
    [5, 5],
    [0, 0],
    [-3, -3],
    [2.5, 2.5],
  ])('takes the number %d as it is', (priority, rank) => {
    expect(priorityRank({ priority })).toBe(rank);
  });

  it.each([
    ['5', 5],
    ['-2', -2],
    [' 7 ', 7],
    ['1.5', 1.5],
  ])('reads the numeric string %j as the number %d', (priority, rank) => {
    expect(priorityRank({ priority })).toBe(rank);
  });

  it('ranks a numeric priority above high when it is bigger than 1', () => {
    expect(priorityRank({ priority: 5 })).toBeGreaterThan(priorityRank({ priority: 'high' }));
  });

  it.each([
    ['data without a priority', {}],
    ['undefined data', undefined],
    ['null data', null],
    ['string data', 'high'],
    ['number data', 5],
    ['an unknown name', { priority: 'urgent' }],
    ['an empty string', { priority: '' }],
    ['a blank string', { priority: '   ' }],
    ['NaN', { priority: Number.NaN }],
    ['Infinity', { priority: Number.POSITIVE_INFINITY }],
    ['the string "Infinity"', { priority: 'Infinity' }],
    ['a boolean', { priority: true }],
    ['an object', { priority: { level: 'high' } }],
    ['null', { priority: null }],
  ])('ranks %s as absent (0)', (_what, data) => {
    expect(priorityRank(data)).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { LayeredMap } from './layered-map.js';

describe('LayeredMap', () => {
  it('behaves like a Map for set, get, has, delete and size', () => {
    const m = LayeredMap.empty<string, number>();
    m.set('a', 1);
    m.set('b', 2);
    m.set('a', 3);
    expect(m.size).toBe(2);
    expect(m.get('a')).toBe(3);
    expect(m.delete('b')).toBe(true);
    expect(m.delete('b')).toBe(false);
    expect(m.has('b')).toBe(false);
    expect(m.get('b')).toBeUndefined();
    expect([...m.entries()]).toEqual([['a', 3]]);
  });

  it('keeps clones independent in both directions, across folds', () => {
    let m = LayeredMap.empty<number, number>();
    for (let i = 0; i < 3000; i++) m.set(i, i);
    const snapshots: LayeredMap<number, number>[] = [];
    for (let round = 0; round < 5; round++) {
      snapshots.push(m);
      m = m.clone(); // folds once the overlay is large
      for (let i = 0; i < 1500; i++) m.delete(round * 1500 + i);
      m.set(-round - 1, round);
    }
    expect(snapshots[0]!.size).toBe(3000);
    expect([...snapshots[0]!.keys()]).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect(snapshots[1]!.size).toBe(1501);
    expect(snapshots[1]!.get(0)).toBeUndefined();
    expect(snapshots[1]!.get(2000)).toBe(2000);
    expect(m.size).toBe(5);
    expect([...m.keys()].sort((a, b) => a - b)).toEqual([-5, -4, -3, -2, -1]);
  });

  it('iterates a changed entry after the unchanged ones', () => {
    const base = LayeredMap.empty<string, number>();
    base.set('a', 1);
    base.set('b', 2);
    const next = base.clone().clone();
    next.set('a', 9);
    expect([...next.keys()]).toEqual(['b', 'a']);
    expect(next.valuesArray()).toEqual([2, 9]);
    expect(next.get('a')).toBe(9);
    expect(base.get('a')).toBe(1);
  });
});

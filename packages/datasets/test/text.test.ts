import { describe, expect, it } from 'vitest';
import { FNV_OFFSET_BASIS, fnv1a, hashTokens, hashedNgramIds, tokenize } from '../src/index.js';

describe('fnv1a', () => {
  it('matches the published FNV-1a 32-bit test vectors', () => {
    // From the reference test suite (isthe.com/chongo/tech/comp/fnv): FNV1a_32 of "", "a", "foobar".
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(FNV_OFFSET_BASIS).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });

  it('hashes UTF-8 bytes: "é" is the two bytes C3 A9', () => {
    // One FNV-1a round per byte: h = (h ^ b) * 16777619 mod 2^32.
    const round = (h: number, b: number) => Math.imul(h ^ b, 16777619) >>> 0;
    expect(fnv1a('é')).toBe(round(round(0x811c9dc5, 0xc3), 0xa9));
    // U+1D49C (a surrogate pair in JS) is F0 9D 92 9C in UTF-8.
    expect(fnv1a('\u{1d49c}')).toBe([0xf0, 0x9d, 0x92, 0x9c].reduce(round, 0x811c9dc5));
  });

  it('continues from a previous hash: fnv1a(b, fnv1a(a)) = fnv1a(a + b)', () => {
    expect(fnv1a('bar', fnv1a('foo'))).toBe(fnv1a('foobar'));
    expect(fnv1a('great food', fnv1a(' ', fnv1a('not')))).toBe(fnv1a('not great food'));
  });
});

describe('tokenize', () => {
  it('lower-cases words, keeps inner apostrophes, splits ! and ? off', () => {
    expect(tokenize("Don't GO here!!! Really? 5 stars, café.")).toEqual(["don't", 'go', 'here', '!', '!', '!', 'really', '?', '5', 'stars', 'café']);
    expect(tokenize("'quoted' it''s o\u2019neil")).toEqual(['quoted', 'it', 's', 'o\u2019neil']);
    expect(tokenize('line one\nline two')).toEqual(['line', 'one', 'line', 'two']);
    expect(tokenize('')).toEqual([]);
  });
});

describe('hashed n-gram ids', () => {
  it('are u1, b1, u2, b2, u3 with bigram = fnv1a("w1 w2") mod buckets', () => {
    const B = 1000;
    const ids = Array.from(hashTokens(['not', 'great', 'food'], { buckets: B }));
    expect(ids).toEqual([fnv1a('not') % B, fnv1a('not great') % B, fnv1a('great') % B, fnv1a('great food') % B, fnv1a('food') % B]);
    expect(Array.from(hashTokens(['not', 'great'], { buckets: B, ngrams: 1 }))).toEqual([fnv1a('not') % B, fnv1a('great') % B]);
    expect(hashTokens([], { buckets: B }).length).toBe(0);
  });

  it('use at most maxTokens tokens', () => {
    const tokens = Array.from({ length: 50 }, (_, i) => `w${i}`);
    expect(hashTokens(tokens, { maxTokens: 10 }).length).toBe(19);
    expect(hashedNgramIds(tokens.join(' '), { maxTokens: 10 }).length).toBe(19);
  });

  it('the one-scan hashedNgramIds gives exactly hashTokens(tokenize(text))', () => {
    const texts = [
      "Don't stop!!! café ÉCOLE \u{1d49c}bc \u{1F600} it''s 'quoted' x'y'z o\u2019neil",
      'ＡＢＣ ß İstanbul naïve 東京 ラーメン',
      'Was   GREAT??\nwould go again... 10/10, $5 beers',
      '',
      "''''",
    ];
    for (const t of texts)
      for (const buckets of [1 << 18, 97]) expect(Array.from(hashedNgramIds(t, { buckets }))).toEqual(Array.from(hashTokens(tokenize(t), { buckets })));
  });

  it('rejects bad options', () => {
    expect(() => hashedNgramIds('a', { buckets: 0 })).toThrow(/buckets/);
    expect(() => hashedNgramIds('a', { ngrams: 3 as 2 })).toThrow(/ngrams/);
    expect(() => hashedNgramIds('a', { maxTokens: 0 })).toThrow(/maxTokens/);
  });
});

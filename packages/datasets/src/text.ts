/*
 * Text featurisation for bag-of-n-gram models (fastText style): a tokeniser and
 * hashed unigram + bigram ids.
 *
 * Lives in datasets because it is data preparation: no tfjs, no model state. A
 * model sees only integer ids in `[0, buckets)`, so the trainer stays
 * independent of how text is cut into tokens.
 */

/** FNV-1a 32-bit offset basis. */
export const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * FNV-1a (32-bit) of the UTF-8 bytes of `text`, continuing from `hash`:
 *
 *     h <- (h XOR byte) * 16777619   (mod 2^32), for each byte, from h = 2166136261
 *
 * Continuing from a previous hash makes `fnv1a(b, fnv1a(a)) === fnv1a(a + b)`,
 * which is how bigrams are hashed without building the joined string.
 *
 * @returns an unsigned 32-bit integer.
 */
export function fnv1a(text: string, hash: number = FNV_OFFSET_BASIS): number {
  let h = hash >>> 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      h = Math.imul(h ^ c, FNV_PRIME);
      continue;
    }
    // Hash the UTF-8 encoding, so ids do not depend on JavaScript's UTF-16 strings.
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    if (c < 0x800) {
      h = Math.imul(h ^ (0xc0 | (c >> 6)), FNV_PRIME);
    } else if (c < 0x10000) {
      h = Math.imul(h ^ (0xe0 | (c >> 12)), FNV_PRIME);
      h = Math.imul(h ^ (0x80 | ((c >> 6) & 0x3f)), FNV_PRIME);
    } else {
      h = Math.imul(h ^ (0xf0 | (c >> 18)), FNV_PRIME);
      h = Math.imul(h ^ (0x80 | ((c >> 12) & 0x3f)), FNV_PRIME);
      h = Math.imul(h ^ (0x80 | ((c >> 6) & 0x3f)), FNV_PRIME);
    }
    h = Math.imul(h ^ (0x80 | (c & 0x3f)), FNV_PRIME);
  }
  return h >>> 0;
}

// Words (letters and digits, with inner apostrophes: "don't"), and ! and ? on their own:
// punctuation carries sentiment in reviews ("!!!"), other punctuation does not.
const TOKEN = /[\p{L}\p{N}]+(?:['\u2019][\p{L}\p{N}]+)*|[!?]/gu;

/** Lower-cased tokens of `text`: words (letters/digits, inner apostrophes kept) and `!`, `?`. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(TOKEN) ?? [];
}

export interface HashedNgramOptions {
  /** Number of hash buckets (ids are in `[0, buckets)`). Default 2^18. */
  buckets?: number;
  /** 1: unigrams only; 2: unigrams and bigrams (default). */
  ngrams?: 1 | 2;
  /** Only the first `maxTokens` tokens are used (bounds the work on very long texts). Default 1000. */
  maxTokens?: number;
}

export const DEFAULT_BUCKETS = 1 << 18;
export const DEFAULT_MAX_TOKENS = 1000;

/** Checks {@link HashedNgramOptions} and fills in the defaults. */
export function resolveHashedNgramOptions(options: HashedNgramOptions = {}): Required<HashedNgramOptions> {
  const buckets = options.buckets ?? DEFAULT_BUCKETS;
  const ngrams = options.ngrams ?? 2;
  const maxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
  if (!Number.isSafeInteger(buckets) || buckets < 1 || buckets > 2 ** 31) throw new RangeError(`buckets must be an integer from 1 to 2^31, got ${buckets}`);
  if (ngrams !== 1 && ngrams !== 2) throw new RangeError(`ngrams must be 1 or 2, got ${String(ngrams)}`);
  if (!Number.isSafeInteger(maxTokens) || maxTokens < 1) throw new RangeError(`maxTokens must be an integer >= 1, got ${maxTokens}`);
  return { buckets, ngrams, maxTokens };
}

/**
 * Hashed n-gram ids of a token list: for tokens `t_1..t_n`
 *
 *     unigram i:  fnv1a(t_i) mod buckets
 *     bigram i:   fnv1a(t_i + " " + t_{i+1}) mod buckets
 *
 * in the order `u_1, b_1, u_2, b_2, ..., u_n` (n unigrams and n - 1 bigrams).
 * Repeated n-grams repeat their id, so a mean-pooled bag weighs them by count.
 */
export function hashTokens(tokens: readonly string[], options: HashedNgramOptions = {}): Int32Array {
  const { buckets, ngrams, maxTokens } = resolveHashedNgramOptions(options);
  const n = Math.min(tokens.length, maxTokens);
  const ids = new Int32Array(ngrams === 2 ? Math.max(0, 2 * n - 1) : n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const h = fnv1a(tokens[i]!);
    ids[k++] = h % buckets;
    if (ngrams === 2 && i + 1 < n) ids[k++] = fnv1a(tokens[i + 1]!, fnv1a(' ', h)) % buckets;
  }
  return ids;
}

const WORD_CHAR = /[\p{L}\p{N}]/u;

// FNV-1a of the UTF-8 bytes of text[start, end), continuing from `hash` (see fnv1a).
function fnv1aRange(text: string, start: number, end: number, hash: number): number {
  let h = hash;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) h = Math.imul(h ^ c, FNV_PRIME);
    else return fnv1a(text.slice(i, end), h);
  }
  return h >>> 0;
}

/**
 * The hashed unigram (+ bigram) ids of a text: the same ids as `hashTokens(tokenize(text))`,
 * computed in one scan without building token strings (about 2x faster on review text).
 */
export function hashedNgramIds(text: string, options: HashedNgramOptions = {}): Int32Array {
  const { buckets, ngrams, maxTokens } = resolveHashedNgramOptions(options);
  const lower = text.toLowerCase();
  const n = lower.length;
  // Token boundaries first (at most one token per 1 character, capped by maxTokens).
  const starts: number[] = [];
  const ends: number[] = [];
  let i = 0;
  while (i < n && starts.length < maxTokens) {
    const c = lower.charCodeAt(i);
    if (c === 33 || c === 63) {
      // '!' or '?'
      starts.push(i);
      ends.push(i + 1);
      i++;
      continue;
    }
    const w = wordCharLength(lower, i, c);
    if (w === 0) {
      i++;
      continue;
    }
    const start = i;
    i += w;
    for (;;) {
      if (i >= n) break;
      const d = lower.charCodeAt(i);
      const len = wordCharLength(lower, i, d);
      if (len > 0) {
        i += len;
        continue;
      }
      // An apostrophe between word characters stays inside the word ("don't").
      if ((d === 39 || d === 0x2019) && i + 1 < n && wordCharLength(lower, i + 1, lower.charCodeAt(i + 1)) > 0) {
        i++;
        continue;
      }
      break;
    }
    starts.push(start);
    ends.push(i);
  }
  const count = starts.length;
  const ids = new Int32Array(ngrams === 2 ? Math.max(0, 2 * count - 1) : count);
  let k = 0;
  for (let t = 0; t < count; t++) {
    const h = fnv1aRange(lower, starts[t]!, ends[t]!, FNV_OFFSET_BASIS);
    ids[k++] = h % buckets;
    // fnv1a(t_i + " " + t_{i+1}) continues the hash of t_i with a space (0x20), then t_{i+1}.
    if (ngrams === 2 && t + 1 < count) ids[k++] = fnv1aRange(lower, starts[t + 1]!, ends[t + 1]!, Math.imul(h ^ 32, FNV_PRIME)) % buckets;
  }
  return ids;
}

// Length in UTF-16 units of the word character (letter or digit) at i, or 0.
function wordCharLength(text: string, i: number, c: number): number {
  if (c < 0x80) return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) ? 1 : 0;
  const pair = c >= 0xd800 && c < 0xdc00 && i + 1 < text.length ? 2 : 1;
  return WORD_CHAR.test(text.slice(i, i + pair)) ? pair : 0;
}

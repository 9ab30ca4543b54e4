// Python's `random` module, exactly: the Mersenne Twister MT19937 seeded as `random.seed(int)` seeds it
// (init_by_array over the integer's 32-bit words), with getrandbits, randrange and randint as CPython
// implements them. The original posting script ran `random.seed(100)` and, per loop,
// `random.randrange(0, 2)` then `random.randint(0, 11000)`; this reproduces its row sequence.

export class PyRandom {
  private mt = new Uint32Array(624);
  private index = 625;

  constructor(seed: number | bigint) {
    this.seed(seed);
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = 624;
  }

  private initByArray(key: number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(624, key.length); k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1664525)) + key[j]! + j) >>> 0;
      i++;
      j++;
      if (i >= 624) { mt[0] = mt[623]!; i = 1; }
      if (j >= key.length) j = 0;
    }
    for (let k = 623; k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= 624) { mt[0] = mt[623]!; i = 1; }
    }
    mt[0] = 0x80000000;
  }

  seed(seed: number | bigint): void {
    let n = BigInt(seed);
    if (n < 0n) n = -n;
    const key: number[] = [];
    do {
      key.push(Number(n & 0xffffffffn));
      n >>= 32n;
    } while (n > 0n);
    this.initByArray(key);
  }

  private genrandUint32(): number {
    const mt = this.mt;
    if (this.index >= 624) {
      for (let kk = 0; kk < 624; kk++) {
        const y = (mt[kk]! & 0x80000000) | (mt[(kk + 1) % 624]! & 0x7fffffff);
        mt[kk] = mt[(kk + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** random.getrandbits(k) for 0 < k <= 32. */
  getrandbits(k: number): number {
    if (k <= 0 || k > 32) throw new RangeError('getrandbits: 1 to 32 bits here');
    return this.genrandUint32() >>> (32 - k);
  }

  /** random._randbelow(n): rejection sampling on getrandbits(n.bit_length()). */
  randbelow(n: number): number {
    const k = Math.floor(Math.log2(n)) + 1;
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  randrange(start: number, stop: number): number {
    return start + this.randbelow(stop - start);
  }

  randint(a: number, b: number): number {
    return this.randrange(a, b + 1);
  }
}

/** The rows the original posting script picked: seed, then per loop randrange(0, 2) and randint(0, maxRow). */
export function* originalRowSequence(seed = 100, maxRow = 11000): Generator<number> {
  const r = new PyRandom(seed);
  for (;;) {
    r.randrange(0, 2);
    yield r.randint(0, maxRow);
  }
}

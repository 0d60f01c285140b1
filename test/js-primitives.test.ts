// The TypeScript backend's building blocks against published vectors and
// against each other: MD4 (RFC 1320), BLAKE2b-256 (RFC 7693's algorithm
// at a 32-byte digest), and the rolling sums' rotate/rollout identities.
import { createStrongSum } from '../lib/js/strong-sum';
import { RabinKarpSum, Rollsum, WeakSum } from '../lib/js/weak-sum';
import { randomBytesSeeded } from './support/files';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const ascii = (text: string): Buffer => Buffer.from(text, 'latin1');

describe('MD4: RFC 1320 test suite', () => {
  it.each([
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
    ['1234567890'.repeat(8), 'e33b4ddc9c38f2199c3e7b164fcc0536'],
  ])('MD4(%j)', async (text, digest) => {
    const md4 = await createStrongSum('md4');
    const data = ascii(text);
    expect(hex(md4.sum(data, 0, data.length))).toBe(digest);
  });
});

describe('BLAKE2b with a 32-byte digest (librsync\'s BLAKE2)', () => {
  it.each([
    ['', '0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8'],
    ['abc', 'bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319'],
  ])('BLAKE2b-256(%j)', async (text, digest) => {
    const blake2 = await createStrongSum('blake2');
    const data = ascii(text);
    expect(hex(blake2.sum(data, 0, data.length))).toBe(digest);
  });

  it.each(['md4', 'blake2'] as const)('%s: pieces give the same digest as one call, whatever the split', async (hash) => {
    const strong = await createStrongSum(hash);
    const data = randomBytesSeeded(10_000, 5);
    const whole = hex(strong.sum(data, 0, data.length));
    for (const cuts of [[1], [64, 128], [127, 128, 129, 5000], [9_999]]) {
      strong.begin();
      let at = 0;
      for (const cut of [...cuts, data.length]) {
        strong.add(data, at, cut);
        at = cut;
      }
      expect(hex(strong.finish())).toBe(whole);
    }
  });
});

describe.each([
  ['rabinkarp', () => new RabinKarpSum()],
  ['rollsum', () => new Rollsum()],
] as const)('%s', (_name, make: () => WeakSum) => {
  const data = randomBytesSeeded(5000, 9);
  const sumOf = (start: number, end: number): number => {
    const s = make();
    s.update(data, start, end);
    return s.digest();
  };

  it('update in pieces equals one update (unrolled and tail paths)', () => {
    for (const split of [0, 1, 3, 4, 7, 1000, 4999]) {
      const s = make();
      s.update(data, 0, split);
      s.update(data, split, 5000);
      expect(s.digest()).toBe(sumOf(0, 5000));
      expect(s.count).toBe(5000);
    }
  });

  it('rotating the window equals summing the shifted window afresh', () => {
    for (const length of [1, 2, 5, 64, 1000]) {
      const s = make();
      s.update(data, 0, length);
      for (let i = 0; i + length < 2000; i++) {
        s.rotate(data[i], data[i + length]);
        if (i % 97 === 0) expect(s.digest()).toBe(sumOf(i + 1, i + 1 + length));
      }
    }
  });

  it('rolling out from the front equals summing the suffix afresh, down to one byte', () => {
    const s = make();
    s.update(data, 100, 400);
    for (let i = 100; i < 399; i++) {
      s.rollout(data[i]);
      expect(s.digest()).toBe(sumOf(i + 1, 400));
    }
    expect(s.count).toBe(1);
  });

  it('reset gives the empty sum', () => {
    const s = make();
    s.update(data, 0, 10);
    s.reset();
    expect(s.count).toBe(0);
    expect(s.digest()).toBe(make().digest());
  });
});

// ganzoo's portable latent generator in JavaScript: sampleLatent(n, latentDim, seed) gives the same float32
// latents as `ganzoo.runtime.sample_latent` and `ganzoo.load(name).sample_latent` in Python (the spec is in
// that docstring): Philox4x32-10 on (seed, entry number), then Box-Muller in float64. Plain ES module with no
// imports, shared by the page (app.js) and web/node-example.mjs; copy it into an app as is.

const M0 = 0xd2511f53, M1 = 0xcd9e8d57, W0 = 0x9e3779b9, W1 = 0xbb67ae85;
const TWO32 = 4294967296;
const TRUNCATION_ROUNDS = 1000;

// high 32 bits of a * m for uint32 a, m: split a in 16-bit halves so every float64 step is exact
function mulhi(a, m) {
  return Math.floor(((a >>> 16) * m + Math.floor(((a & 0xffff) * m) / 65536)) / 65536);
}

/** Philox4x32-10 (Random123's philox4x32_10): counter [4 uint32], key [2 uint32] -> [4 uint32]. */
export function philox4x32(counter, key) {
  let [c0, c1, c2, c3] = counter, [k0, k1] = key;
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi(c0, M0), lo0 = Math.imul(c0, M0) >>> 0;
    const hi1 = mulhi(c2, M1), lo1 = Math.imul(c2, M1) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return [c0, c1, c2, c3];
}

// seed -> [low word, high word]; a seed is an int in [0, 2**64): a BigInt, a decimal string or a safe-integer Number
function seedWords(seed) {
  let s = -1n;
  if (typeof seed === "bigint") s = seed;
  else if (typeof seed === "number" && Number.isSafeInteger(seed)) s = BigInt(seed);
  else if (typeof seed === "string" && /^\s*\d+\s*$/.test(seed)) s = BigInt(seed.trim());
  if (s < 0n || s >= 1n << 64n) {
    throw new RangeError(`seed must be an int in [0, 2**64) (a BigInt or a decimal string above 2**53), got ${seed}`);
  }
  return [Number(s & 0xffffffffn), Number(s >> 32n)];
}

// the four normals (float64, before rounding to float32) of block b in round rnd
function block(key, b, rnd) {
  const [x0, x1, x2, x3] = philox4x32([b >>> 0, Math.floor(b / TWO32), rnd, 0], key);
  const r0 = Math.sqrt(-2 * Math.log((x0 + 0.5) / TWO32)), t0 = 2 * Math.PI * ((x1 + 0.5) / TWO32);
  const r1 = Math.sqrt(-2 * Math.log((x2 + 0.5) / TWO32)), t1 = 2 * Math.PI * ((x3 + 0.5) / TWO32);
  return [r0 * Math.cos(t0), r0 * Math.sin(t0), r1 * Math.cos(t1), r1 * Math.sin(t1)];
}

/**
 * n standard-normal latents as one Float32Array of n * latentDim (row after row), the same numbers as Python's
 * sample_latent(n, latentDim, seed, truncation). seed undefined/null: a fresh random seed (not reproducible).
 */
export function sampleLatent(n, latentDim, seed, truncation) {
  for (const [name, v] of [["n", n], ["latentDim", latentDim]]) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive int, got ${v}`);
  }
  if (truncation != null && !(typeof truncation === "number" && truncation > 0 && truncation < Infinity)) {
    throw new RangeError(`truncation must be a positive number (e.g. 0.7), got ${truncation}`);
  }
  if (seed == null) {
    const w = crypto.getRandomValues(new Uint32Array(2));
    seed = BigInt(w[0]) | (BigInt(w[1]) << 32n);
  }
  const key = seedWords(seed), count = n * latentDim, z = new Float32Array(count);
  for (let i = 0; i < count; i += 4) {
    const v = block(key, i / 4, 0);
    for (let j = 0; j < 4 && i + j < count; j++) z[i + j] = v[j];
  }
  if (truncation != null) {
    for (let i = 0; i < count; i++) {
      let v = z[i];  // the float32 value, compared with t in float64 as in Python
      for (let rnd = 1; Math.abs(v) > truncation && rnd < TRUNCATION_ROUNDS; rnd++) {
        v = Math.fround(block(key, Math.floor(i / 4), rnd)[i % 4]);
      }
      z[i] = Math.abs(v) > truncation ? Math.sign(v) * truncation : v;  // stored as the float32 nearest +-t
    }
  }
  return z;
}

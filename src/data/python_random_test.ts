import assert from "node:assert/strict";
import { PY_RANDOM } from "../../test/fixtures/python_random/fixtures.ts";
import { PythonRandom } from "./python_random.ts";

for (const f of PY_RANDOM.methods) {
  Deno.test(`PythonRandom(${f.seed}) draws what CPython ${PY_RANDOM.python} drew, call for call`, () => {
    const rng = new PythonRandom(BigInt(f.seed));
    const doubles = f.random.map(() => rng.random());
    // Exact doubles: Object.is distinguishes every bit pattern that matters here.
    doubles.forEach((d, i) => assert.ok(Object.is(d, f.random[i]), `random() #${i}: ${d} != ${f.random[i]}`));
    for (const [k, want] of Object.entries(f.getrandbits)) {
      assert.deepEqual(want.map(() => rng.getrandbits(Number(k)).toString()), want, `getrandbits(${k})`);
    }
    for (const [a, b, want] of f.randint) {
      assert.deepEqual(want.map(() => rng.randint(a, b)), want, `randint(${a}, ${b})`);
    }
    for (const [args, want] of f.randrange_big) {
      const [start, stop, step] = args.map(BigInt);
      assert.deepEqual(
        want.map(() => rng.randrange(start, stop, step).toString()),
        want,
        `randrange(${args})`,
      );
    }
    assert.equal(Array.from(f.choice, () => rng.choice([..."abcdefg"])).join(""), f.choice);
    const x = Array.from({ length: 1000 }, (_, i) => i);
    rng.shuffle(x);
    assert.deepEqual(x, f.shuffle1000);
    for (const [n, k, want] of f.sample) {
      assert.deepEqual(rng.sample(n, k), want, `sample(range(${n}), ${k})`);
    }
    assert.deepEqual(rng.sample(Array.from({ length: 50 }, (_, i) => `w${i}`), 48), f.sample_strings);
    assert.ok(Object.is(rng.random(), f.after));
  });
}

Deno.test("PythonRandom: number and bigint forms of a draw agree and take the same words", () => {
  const a = new PythonRandom(5);
  const b = new PythonRandom(5n);
  assert.equal(BigInt(a.randint(0, 2 ** 40)), b.randint(0n, 2n ** 40n));
  assert.equal(BigInt(a.randrange(10, 2 ** 50, 3)), b.randrange(10n, 2n ** 50n, 3n));
  assert.equal(BigInt(a.randbelow(2 ** 33 + 1)), b.randbelow(2n ** 33n + 1n));
  assert.equal(a.random(), b.random());
});

Deno.test("PythonRandom.seed restarts the sequence (random.seed on the global generator)", () => {
  const rng = new PythonRandom(0);
  const first = rng.random();
  rng.randint(0, 99);
  rng.seed(0);
  assert.equal(rng.random(), first);
  assert.equal(new PythonRandom(-7).random(), new PythonRandom(7).random());
});

Deno.test("PythonRandom.shuffle of 99842 items matches CPython and takes milliseconds", () => {
  const { n, first, checksum } = PY_RANDOM.big_shuffle;
  const x = new Int32Array(n);
  for (let i = 0; i < n; i++) x[i] = i;
  const t0 = performance.now();
  new PythonRandom(0).shuffle(x);
  const ms = performance.now() - t0;
  assert.deepEqual(Array.from(x.subarray(0, first.length)), first);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += i * x[i];
  assert.equal(sum, checksum);
  assert.ok(ms < 200, `shuffle took ${ms.toFixed(1)} ms`);
});

Deno.test("PythonRandom rejects what CPython rejects, with Cannot … errors", () => {
  const rng = new PythonRandom(0);
  const cases: [() => unknown, RegExp][] = [
    [() => rng.randint(5, 4), /^Cannot draw randrange\(5, 5\): empty range$/],
    [() => rng.randrange(0), /^Cannot draw randrange\(0\): empty range$/],
    [() => rng.randrange(0, 10, 0), /zero step/],
    [() => rng.randrange(0, 10, -1), /empty range/],
    [() => rng.randrange(2 ** 60), /not a safe integer/],
    [() => rng.randbelow(0), /^Cannot draw a random number: randbelow\(0\)/],
    [() => rng.getrandbits(-1), /^Cannot draw random bits/],
    [() => rng.choice([]), /^Cannot choose from a sequence: it is empty$/],
    [() => rng.sample(3, 4), /^Cannot sample a population: k 4 is not in \[0, 3\]/],
    [() => rng.sample(3, -1), /k -1/],
    [() => new PythonRandom(0.5), /^Cannot seed the Python random generator/],
  ];
  for (const [fn, message] of cases) assert.throws(fn, { name: "ActpatError", message });
});

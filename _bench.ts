import { SeededNormal } from "./src/model/_random.ts";
const g = new SeededNormal(0, "x", 0.02);
const buf = new Float32Array(1 << 20);
const t = performance.now();
let s = 0, s2 = 0;
for (let k = 0; k < 100; k++) { g.fill(buf); }
for (const v of buf) { s += v; s2 += v*v; }
console.log((performance.now() - t) / 100e6 * 1e9 / 1.048576, "ns/value", s / buf.length, Math.sqrt(s2 / buf.length));

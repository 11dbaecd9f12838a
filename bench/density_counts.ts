/**
 * The density statistic from per-batch activation sums: adds the Σ_batch |W ⊙ ∂y/∂W| that
 * `LlamaRunner.activationGradients` returns into one float32 accumulator per linear weight, then counts per
 * decoder layer the parameters whose mean over the N samples exceeds each threshold γ (design §3).
 */
import { LINEAR_MODULES, linearWeightName, type LlamaConfig } from "../src/model/llama_config.ts";
import { ActpatError } from "../src/util/errors.ts";

/** Sums of |v| over samples, per linear weight of every decoder layer. */
export class DensityAccumulator {
  private readonly sums = new Map<string, Float32Array>();
  /** Samples added so far. */
  samples = 0;

  constructor(readonly config: LlamaConfig) {}

  /** Adds one batch's sums (keyed by weight name, every linear of every layer) covering `batch` samples. */
  add(density: ReadonlyMap<string, Float32Array | Float64Array>, batch: number): void {
    for (let l = 0; l < this.config.numLayers; l++) {
      for (const m of LINEAR_MODULES) {
        const name = linearWeightName(l, m);
        const d = density.get(name);
        if (!d) throw new ActpatError("accumulate density", `the batch has no sums for ${name}`);
        const acc = this.sums.get(name);
        if (!acc) {
          // The runner hands over a fresh array per call: keep float32 ones as they are.
          this.sums.set(name, d instanceof Float32Array ? d : Float32Array.from(d));
        } else {
          if (acc.length !== d.length) {
            throw new ActpatError(
              "accumulate density",
              `${name} has ${d.length} values, expected ${acc.length}`,
            );
          }
          for (let i = 0; i < acc.length; i++) acc[i] += d[i];
        }
      }
    }
    this.samples += batch;
  }

  private layerArrays(layer: number): Float32Array[] {
    return LINEAR_MODULES.map((m) => {
      const a = this.sums.get(linearWeightName(layer, m));
      if (!a) throw new ActpatError("count density", "no batch was accumulated");
      return a;
    });
  }

  /** counts[layer][g] = parameters of the layer's 7 linears whose mean activation exceeds gammas[g]. */
  layerCounts(gammas: readonly number[]): number[][] {
    // mean > γ ⇔ Σ > γ·N (N > 0); comparing sums avoids a division per parameter.
    const limits = Float32Array.from(gammas, (g) => g * this.samples);
    const out: number[][] = [];
    for (let l = 0; l < this.config.numLayers; l++) {
      const counts = new Array<number>(gammas.length).fill(0);
      for (const a of this.layerArrays(l)) {
        for (let g = 0; g < limits.length; g++) {
          const lim = limits[g];
          let c = 0;
          for (let i = 0; i < a.length; i++) if (a[i] > lim) c++;
          counts[g] += c;
        }
      }
      out.push(counts);
    }
    return out;
  }

  /** Per layer, Σ over its parameters of the mean activation (float64 sums). */
  layerSums(): number[] {
    const out: number[] = [];
    for (let l = 0; l < this.config.numLayers; l++) {
      let s = 0;
      for (const a of this.layerArrays(l)) {
        let part = 0;
        for (let i = 0; i < a.length; i++) part += a[i];
        s += part;
      }
      out.push(s / this.samples);
    }
    return out;
  }

  /**
   * Thresholds at quantiles `qs` of the mean activation over every parameter of every layer, estimated from
   * an evenly strided subsample of at most `maxSamples` values (deterministic).
   */
  quantileGammas(qs: readonly number[], maxSamples = 1 << 20): number[] {
    const arrays: Float32Array[] = [];
    for (let l = 0; l < this.config.numLayers; l++) arrays.push(...this.layerArrays(l));
    const total = arrays.reduce((s, a) => s + a.length, 0);
    const stride = Math.max(1, Math.ceil(total / maxSamples));
    const picked: number[] = [];
    let k = 0;
    for (const a of arrays) {
      for (; k < a.length; k += stride) picked.push(a[k]);
      k -= a.length;
    }
    const sorted = Float64Array.from(picked).sort();
    return qs.map((q) => {
      if (!(q >= 0 && q <= 1)) {
        throw new ActpatError("choose density thresholds", `quantile ${q} is not in [0, 1]`);
      }
      return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] / this.samples;
    });
  }
}

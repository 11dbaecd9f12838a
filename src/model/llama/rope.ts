/** Rotary position embedding frequencies of a Llama-family config. */
import type { LlamaConfig } from "../llama_config.ts";

/**
 * Inverse frequencies θ^(−2i/d), i < d/2, with Llama 3's frequency-dependent scaling when the config has
 * it (transformers `_compute_llama3_parameters`): wavelengths above original_context / low_freq_factor are
 * stretched by `factor`, those below original_context / high_freq_factor kept, and those between blended
 * linearly in original_context / wavelength.
 */
export function ropeInvFreq(config: LlamaConfig): Float64Array {
  const d = config.headDim;
  const base = Float64Array.from({ length: d / 2 }, (_, i) => Math.pow(config.ropeTheta, -(2 * i) / d));
  const s = config.ropeScaling;
  if (!s) return base;
  const old = s.originalMaxPositionEmbeddings;
  return base.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < old / s.highFreqFactor) return f;
    if (wavelen > old / s.lowFreqFactor) return f / s.factor;
    const smooth = (old / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return (1 - smooth) * (f / s.factor) + smooth * f;
  });
}

/**
 * Order statistics without a sort: the massive-activation medians of a 4096 × 4096 hidden state, and
 * quantiles of hundreds of millions of density means (sorting a 3 GB Float64Array takes minutes in JavaScript).
 */
import { ActpatError } from "../../util/errors.ts";

/**
 * The k-th smallest value (0-based) of `a`, by in-place quickselect with a median-of-three pivot (sorted
 * input or runs of equal values do not make it quadratic): O(n) expected. Afterwards everything before k is
 * <= it and everything after >= it.
 */
export function selectKth(a: Float32Array | Float64Array, k: number): number {
  if (!(k >= 0 && k < a.length)) {
    throw new ActpatError("select order statistic", `k ${k} outside [0, ${a.length})`);
  }
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Order a[lo], a[mid], a[hi]; the middle one is the pivot.
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    // Now a[lo..j] ≤ pivot ≤ a[i..hi] and everything strictly between j and i equals the pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** Smallest value of a[from..] (the (k+1)-th order statistic once {@link selectKth} placed the k-th). */
export function minFrom(a: Float64Array, from: number): number {
  let m = Infinity;
  for (let i = from; i < a.length; i++) if (a[i] < m) m = a[i];
  return m;
}

function swap(a: Float32Array | Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

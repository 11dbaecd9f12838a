/**
 * The k-th smallest value of an array in expected linear time (Hoare's quickselect with median-of-three
 * pivots), rearranging the array in place: everything before k is <= it, everything after >= it. Quantiles of
 * hundreds of millions of density means need this: sorting a 3 GB Float64Array takes minutes in JavaScript.
 */
export function selectInPlace(a: Float64Array, k: number): number {
  if (!(k >= 0 && k < a.length && Number.isInteger(k))) {
    throw new RangeError(`select: k = ${k} is outside 0..${a.length - 1}`);
  }
  let lo = 0, hi = a.length - 1;
  while (hi > lo) {
    const mid = lo + ((hi - lo) >> 1);
    // Median of three as the pivot: sorted samples or runs of equal values do not degrade it to quadratic.
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** Smallest value of a[from..] (the (k+1)-th order statistic once {@link selectInPlace} placed the k-th). */
export function minFrom(a: Float64Array, from: number): number {
  let m = Infinity;
  for (let i = from; i < a.length; i++) if (a[i] < m) m = a[i];
  return m;
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

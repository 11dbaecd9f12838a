/**
 * The authors' per-layer sparsities: the lists their code prunes with (`--prune_method wandap`, function
 * `prune_wanda_pro`), copied digit for digit from Qian2333/Exploring-Activation-Patterns-of-Parameters-in-
 * Language-Models, commit 9c6a037294b819b355ca28df0cfb9eb571841ce7, `lib/util/prune_ori.py` lines 300-307
 * (`sparsitys = [...]` under `if args.model == 'llama2_7b'` etc.). They are what Table 1's "Wanda (ours)"
 * row ran; the paper's formula (layer_allocation.ts `activationAllocation`) is never evaluated in that code.
 *
 * The lists cannot come from the formula with the paper's α = 2, β = 0.2: with β = 0.2 and S = 0.5 the list
 * fixes N'_i / mean N' = 1 − (S_i − S)/(βS), and asking those ratios to be sigmoid(z_i + α) of standardised
 * z_i (mean 0, population std 1) gives one α per list: llama2-7b 0.636, llama-7b 0.579, llama2-13b 0.708,
 * llama3-8b 0.124 (`backSolveAlpha`, tested). On the one set of C4 counts the repository prints
 * (`distribution_draw.py` line 141, 32 layers) the formula with α = 2, β = 0.2 differs from the llama2-7b
 * list by up to 0.0498 per layer (0.0304 with the AAAI text's α/i term); see paper/FIDELITY.md.
 */
import { ActpatError } from "../../util/errors.ts";

/** The models the authors' code has lists for, in actpat's spelling (theirs: llama_7b, llama2_7b, ...). */
export const PAPER_LIST_MODELS = ["llama-7b", "llama2-7b", "llama2-13b", "llama3-8b"] as const;
export type PaperListModel = typeof PAPER_LIST_MODELS[number];

/** Where each list stands in the authors' repository. */
export const PAPER_LIST_SOURCE = {
  repository: "Qian2333/Exploring-Activation-Patterns-of-Parameters-in-Language-Models",
  commit: "9c6a037294b819b355ca28df0cfb9eb571841ce7",
  file: "lib/util/prune_ori.py",
  function: "prune_wanda_pro",
  lines: { "llama2-7b": 301, "llama2-13b": 303, "llama3-8b": 305, "llama-7b": 307 },
  /** The mean target sparsity the lists were made for: the code uses them whatever --sparsity_ratio says. */
  sparsity: 0.5,
} as const satisfies { lines: Record<PaperListModel, number> } & Record<string, unknown>;

/** The lists, one sparsity per decoder layer (layer 0 first), as in the source. */
export const PAPER_SPARSITY_LISTS: Readonly<Record<PaperListModel, readonly number[]>> = {
  // lib/util/prune_ori.py line 307: `llama_7b`
  "llama-7b": [
    0.5612472387659471,
    0.5393453101725671,
    0.49066573527532736,
    0.4771049746072197,
    0.46893333360890443,
    0.4652506616358705,
    0.46372459099719565,
    0.46377408110366325,
    0.4619061813989389,
    0.46412044167244865,
    0.4647548161499886,
    0.4665784978274029,
    0.47014135219996894,
    0.4753157164964991,
    0.47691544369561223,
    0.4789296248157857,
    0.4775751409724201,
    0.4781697084613067,
    0.48553466381203575,
    0.490726925884562,
    0.49190327026311426,
    0.5042673557321183,
    0.5020715067942109,
    0.5187214210269638,
    0.5213564474684745,
    0.5246224440028717,
    0.5331718543621345,
    0.5400316894424102,
    0.5507586024869777,
    0.5618454513754834,
    0.5625239384388445,
    0.5680115790527304,
  ],
  // lib/util/prune_ori.py line 301: `llama2_7b`
  "llama2-7b": [
    0.5698316177002389,
    0.5366455371052089,
    0.4801830903953581,
    0.46609832638533166,
    0.4642484734306026,
    0.4663229151253212,
    0.4691464178839526,
    0.4690636397602521,
    0.4688300186796718,
    0.46909109112168523,
    0.4713240259398702,
    0.4779113263536811,
    0.48013479483463084,
    0.4793389111181827,
    0.47987771311883,
    0.47705897386617346,
    0.47754161427489683,
    0.47912675012624306,
    0.4847081444093412,
    0.4887681433019765,
    0.48853670621310913,
    0.4994581736685586,
    0.5027891643259319,
    0.5120923465200711,
    0.5152169592529826,
    0.5238505055675504,
    0.5270248713793841,
    0.536286754991283,
    0.5422504941585843,
    0.5575063421082826,
    0.567225143813238,
    0.5725110130695745,
  ],
  // lib/util/prune_ori.py line 303: `llama2_13b`
  "llama2-13b": [
    0.5496839541459442,
    0.5462058660686806,
    0.5254088296933362,
    0.5103784145741852,
    0.49690074214576985,
    0.49029434235152725,
    0.47165090770824786,
    0.46026578361601755,
    0.456084858765523,
    0.44757057577440074,
    0.4480078221033666,
    0.45414606048567296,
    0.4562776680787374,
    0.4733658841683403,
    0.47195693034493413,
    0.4733112882448456,
    0.47846227595361546,
    0.483178835602938,
    0.48966128518843755,
    0.4914407942503428,
    0.4910600034791848,
    0.49206278768506095,
    0.5038792150056969,
    0.508173991490923,
    0.5072850417178432,
    0.5111552154465175,
    0.512554440051483,
    0.5159336132733139,
    0.5150889614997116,
    0.5162577594276856,
    0.5176487680783858,
    0.5181452342124112,
    0.5214010539769939,
    0.5213494245102243,
    0.5258986958648709,
    0.5264208396364602,
    0.527415000585438,
    0.530218575549759,
    0.5319754289982663,
    0.5318228302449084,
  ],
  // lib/util/prune_ori.py line 305: `llama3_8b`
  "llama3-8b": [
    0.5251140131898693,
    0.46538353507267793,
    0.44301298888365864,
    0.4084288551055355,
    0.4229464157203041,
    0.44224612198265156,
    0.44953005189737827,
    0.4689167567291532,
    0.4824337629036096,
    0.49144871926595723,
    0.5037643428477786,
    0.503443532867654,
    0.5081049848762448,
    0.5122274474816492,
    0.5035327768105571,
    0.49460698788271,
    0.49526388784282227,
    0.48707527021165736,
    0.49838599878116585,
    0.5044694810421985,
    0.5074621652134816,
    0.5097244924704744,
    0.5223810781598084,
    0.52608493588962,
    0.532347660096728,
    0.5343461132740388,
    0.5367476556793974,
    0.5405655853072835,
    0.5416060831514332,
    0.5464125704199954,
    0.5471474347781415,
    0.5448382941643661,
  ],
};

/**
 * The authors' list for `model`, checked against the model's depth and the mean sparsity asked for. A model
 * without a list, another depth, or S other than the lists' 0.5 is a `Cannot allocate layer sparsity` error
 * naming what would work.
 */
export function paperListAllocation(
  model: string | null,
  options: { layers: number; sparsity: number },
): number[] {
  const fail = (detail: string) => new ActpatError("allocate layer sparsity (paper-lists)", detail);
  if (model === null || !(PAPER_LIST_MODELS as readonly string[]).includes(model)) {
    throw fail(
      `the authors' per-layer lists exist for ${PAPER_LIST_MODELS.join(", ")} only` +
        (model === null ? " and no list was named" : `, not for "${model}"`) +
        " (--paper-list NAME, or the config's table1.paperList); use allocation activation-formula for other models",
    );
  }
  const list = PAPER_SPARSITY_LISTS[model as PaperListModel];
  if (list.length !== options.layers) {
    throw fail(`the ${model} list has ${list.length} layers but the model has ${options.layers}`);
  }
  if (Math.abs(options.sparsity - PAPER_LIST_SOURCE.sparsity) > 1e-12) {
    throw fail(
      `the lists are for a mean sparsity of ${PAPER_LIST_SOURCE.sparsity} (the authors' code uses them whatever ` +
        `--sparsity_ratio says), not ${options.sparsity}; use allocation activation-formula`,
    );
  }
  return [...list];
}

/**
 * The paper's list for a model reference, from its name (`meta-llama/Llama-2-7b-hf` → llama2-7b,
 * `huggyllama/llama-7b` → llama-7b, `meta-llama/Meta-Llama-3-8B` → llama3-8b), or null.
 */
export function paperListFor(ref: string): PaperListModel | null {
  const name = ref.toLowerCase().split("/").pop() ?? "";
  if (/llama-?2-13b/.test(name)) return "llama2-13b";
  if (/llama-?2-7b/.test(name)) return "llama2-7b";
  if (/llama-?3(\.0)?-8b/.test(name)) return "llama3-8b";
  if (/^llama-7b/.test(name)) return "llama-7b";
  return null;
}

/**
 * The α that makes the formula give `list` exactly, when such an α exists: from
 * S_i = S + βS(1 − L·N'_i/ΣN') the ratios r_i = N'_i/mean N' = 1 − (S_i − S)/(βS); N'_i = c·r_i for an unknown
 * scale c, and logit(c·r_i) = z_i + α with z standardised (mean 0, population std 1) fixes c (bisection on
 * the std, which grows with c) and then α = mean_i logit(c·r_i). Returns α and the standardised counts z
 * (the formula on counts z with that α gives `list` back); null when no c gives std 1.
 */
export function backSolveAlpha(
  list: readonly number[],
  options: { sparsity: number; beta: number },
): { alpha: number; z: number[] } | null {
  const { sparsity: s, beta } = options;
  const r = list.map((x) => 1 - (x - s) / (beta * s));
  const rMax = Math.max(...r);
  if (!(Math.min(...r) > 0)) return null;
  const logits = (c: number) => r.map((x) => Math.log((c * x) / (1 - c * x)));
  const spread = (c: number) => {
    const z = logits(c);
    const m = z.reduce((a, b) => a + b, 0) / z.length;
    return Math.sqrt(z.reduce((a, b) => a + (b - m) ** 2, 0) / z.length);
  };
  let lo = 1e-12;
  let hi = (1 - 1e-12) / rMax;
  if (spread(lo) > 1 || spread(hi) < 1) return null;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (spread(mid) < 1) lo = mid;
    else hi = mid;
  }
  const logit = logits((lo + hi) / 2);
  const alpha = logit.reduce((a, b) => a + b, 0) / logit.length;
  return { alpha, z: logit.map((x) => x - alpha) };
}

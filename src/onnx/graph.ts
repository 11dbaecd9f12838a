import { ActpatError } from "../util/errors.ts";
import { canonDim, dimEq, formatShape, splitTopLevel } from "./_dims.ts";
import {
  BYTES_PER_ELEMENT,
  checkTypedArray,
  type DType,
  type TypedArray,
  typedFromNumbers,
} from "./dtype.ts";

/** A tensor dimension: a size, or a symbol (`"batch"`, `"seq"`, products like `"batch*seq"`). */
export type Dim = number | string;

/** ONNX opset the builders target (onnxruntime-node 1.30 implements opset 21 for every op used here). */
export const OPSET = 21;

/** ONNX IR version matching {@link OPSET}. */
export const IR_VERSION = 10;

/** A one-element or small tensor given as an attribute (`ConstantOfShape.value`). */
export interface TensorAttr {
  tensor: { dtype: DType; dims: number[]; data: TypedArray };
}

/**
 * Node attribute values. Plain numbers and number arrays are ONNX INT/INTS; floats must be wrapped
 * (`{ float: 0.5 }`, `{ floats: [...] }`) because JS cannot tell 1 from 1.0.
 */
export type AttrValue =
  | number
  | readonly number[]
  | string
  | readonly string[]
  | { float: number }
  | { floats: readonly number[] }
  | TensorAttr
  | GraphAttr;

/** A subgraph attribute (the `body` of `Scan`/`Loop`, the branches of `If`). */
export interface GraphAttr {
  graph: Graph;
}

/** One node of the graph. `null` inputs are omitted optional inputs. */
export interface Node {
  readonly name: string;
  readonly opType: string;
  readonly inputs: readonly (Value | null)[];
  readonly outputs: readonly Value[];
  readonly attrs: Readonly<Record<string, AttrValue>>;
}

/** Where an external initializer's bytes are: a byte range of a file on disk (e.g. inside a safetensors file). */
export interface ExternalData {
  path: string;
  offset: number;
  byteLength: number;
}

/** A weight or constant: inline data, or external data left on disk for onnxruntime to read. */
export interface Initializer {
  readonly value: Value;
  readonly data?: TypedArray;
  readonly external?: ExternalData;
}

/** A typed, shaped tensor in a graph: a graph input, an initializer, or a node output. */
export class Value {
  constructor(
    readonly graph: Graph,
    readonly name: string,
    readonly dtype: DType,
    readonly shape: readonly Dim[],
    /** The node computing this value; undefined for graph inputs and initializers. */
    readonly producer?: Node,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  toString(): string {
    return `${this.name}: ${this.dtype}${formatShape(this.shape)}`;
  }
}

/** Output type of a node, as computed by the op builder's shape inference. */
export interface OutputSpec {
  dtype: DType;
  shape: readonly Dim[];
}

/**
 * A typed ONNX graph under construction. Node names are `<scope>/<OpType>` (or `<scope>/<name>`), made
 * unique with `_2`, `_3`, … so a dump reads like the model (`layers.3/attn/q_proj/MatMul`).
 *
 * @example
 * const g = new Graph("demo");
 * const x = g.input("x", "float32", ["batch", 4]);
 * const y = g.scope("head", () => add(mul(x, 2), 1));
 * g.output(y, "y");
 */
export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Value[] = [];
  readonly outputs: { name: string; value: Value }[] = [];
  readonly initializers: Initializer[] = [];
  /** The graph this one is a subgraph of (its nodes may read the parent's values by name). */
  readonly parent?: Graph;
  private readonly scopes: string[] = [];
  private readonly nodeNames: Set<string>;
  private readonly valueNames: Set<string>;
  private readonly constCache = new Map<string, Value>();
  private readonly dimSources = new Map<string, { value: Value; axis: number }>();
  private readonly dimCache = new Map<string, Value>();
  private readonly initIndex = new Map<Value, Initializer>();

  /**
   * A graph; with `parent`, a subgraph whose nodes may use the parent's (and its ancestors') values. ONNX
   * forbids a subgraph name shadowing an outer one, so a subgraph shares its root's node and value names and
   * starts in the parent's current scope.
   */
  constructor(readonly name = "actpat", opts: { parent?: Graph } = {}) {
    this.parent = opts.parent;
    this.nodeNames = opts.parent ? opts.parent.nodeNames : new Set();
    this.valueNames = opts.parent ? opts.parent.valueNames : new Set();
    if (opts.parent) this.scopes.push(...opts.parent.scopes);
  }

  /** Nesting depth: 0 for a top-level graph, 1 for its subgraphs, … */
  get depth(): number {
    return this.parent ? this.parent.depth + 1 : 0;
  }

  /** True when values of `other` may be used in this graph (it is this graph or an ancestor). */
  sees(other: Graph): boolean {
    return other === this || (this.parent?.sees(other) ?? false);
  }

  /** Declares a graph input. Symbolic dims seen here for the first time become computable in-graph. */
  input(name: string, dtype: DType, shape: readonly Dim[]): Value {
    const v = new Value(this, this.claimValueName(name, true), dtype, shape.map(canonDim));
    this.inputs.push(v);
    v.shape.forEach((d, axis) => {
      if (typeof d === "string" && !this.dimSources.has(d)) this.dimSources.set(d, { value: v, axis });
    });
    return v;
  }

  /** Marks `value` as a graph output called `name` (adding an Identity node when the names differ). */
  output(value: Value, name: string): Value {
    this.own(value, "output");
    let out = value;
    if (value.name !== name || this.outputs.some((o) => o.value === value)) {
      out = this.withScopes(
        [],
        () =>
          this.node("Identity", [value], {}, {
            outputs: [value],
            name: `output/${name}`,
            outputNames: [name],
          })[0],
      );
    }
    this.outputs.push({ name, value: out });
    return out;
  }

  /** Declares a weight: inline `data`, or `external` bytes on disk (never read into the JS heap). */
  initializer(
    name: string,
    spec: { dtype: DType; shape: readonly number[]; data?: TypedArray; external?: ExternalData },
  ): Value {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    if ((spec.data === undefined) === (spec.external === undefined)) {
      throw new ActpatError(`add initializer ${name}`, "give exactly one of data and external");
    }
    if (spec.data !== undefined) {
      checkTypedArray(spec.dtype, spec.data, `initializer ${name}`);
      if (spec.data.length !== count) {
        throw new ActpatError(
          `add initializer ${name}`,
          `shape ${formatShape(spec.shape)} needs ${count} elements, data has ${spec.data.length}`,
        );
      }
    }
    if (spec.external !== undefined && spec.external.byteLength !== count * BYTES_PER_ELEMENT[spec.dtype]) {
      throw new ActpatError(
        `add initializer ${name}`,
        `shape ${formatShape(spec.shape)} of ${spec.dtype} needs ${
          count * BYTES_PER_ELEMENT[spec.dtype]
        } bytes, ` +
          `external range of ${spec.external.path} has ${spec.external.byteLength}`,
      );
    }
    const v = new Value(this, this.claimValueName(name, true), spec.dtype, [...spec.shape]);
    const init = { value: v, data: spec.data, external: spec.external };
    this.initializers.push(init);
    this.initIndex.set(v, init);
    return v;
  }

  /**
   * A constant tensor (stored as an initializer of the top-level graph; identical small constants are shared).
   * `data` numbers are converted to `dtype`; shape defaults to a scalar for one number, else 1-D.
   */
  constant(
    data: number | readonly number[] | TypedArray,
    opts: { dtype: DType; shape?: readonly number[] },
  ): Value {
    // A subgraph's constants live in the enclosing graph (shared with it; visible from the subgraph).
    if (this.parent) return this.parent.constant(data, opts);
    const typed = typeof data === "number"
      ? typedFromNumbers(opts.dtype, [data])
      : Array.isArray(data)
      ? typedFromNumbers(opts.dtype, data as number[])
      : data as TypedArray;
    const shape = opts.shape ?? (typeof data === "number" ? [] : [typed.length]);
    const small = typed.length <= 8;
    const key = small
      ? `${opts.dtype}[${shape.join(",")}]=${Array.from(typed as ArrayLike<unknown>).join(",")}`
      : "";
    const hit = small ? this.constCache.get(key) : undefined;
    if (hit) return hit;
    const label = small
      ? `const/${opts.dtype}${shape.length ? `[${shape.join("x")}]` : ""}/${
        Array.from(typed as ArrayLike<unknown>).join(",")
      }`
      : `const/${opts.dtype}[${shape.join("x")}]`;
    const v = this.initializer(label, { dtype: opts.dtype, shape, data: typed });
    if (small) this.constCache.set(key, v);
    return v;
  }

  /** Runs `fn` with `name` appended to the node-name scope. */
  scope<T>(name: string, fn: () => T): T {
    this.scopes.push(name);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  /** The current scope path (`layers.3/attn`), empty at top level. */
  get scopePath(): string {
    return this.scopes.join("/");
  }

  /**
   * Adds a node. The caller (an op builder) supplies each output's dtype and inferred shape; `name` replaces
   * the op type as the last name component; `outputNames` fixes output value names (graph outputs).
   */
  node(
    opType: string,
    inputs: readonly (Value | null)[],
    attrs: Record<string, AttrValue>,
    opts: { outputs: readonly OutputSpec[]; name?: string; outputNames?: readonly string[] },
  ): Value[] {
    for (const v of inputs) if (v) this.own(v, opType);
    const base = [...this.scopes, opts.name ?? opType].join("/");
    let name = base;
    for (let i = 2; this.nodeNames.has(name); i++) name = `${base}_${i}`;
    this.nodeNames.add(name);
    const outputs: Value[] = [];
    const node: Node = { name, opType, inputs: [...inputs], outputs, attrs };
    opts.outputs.forEach((spec, i) => {
      const wanted = opts.outputNames?.[i] ?? (opts.outputs.length === 1 ? name : `${name}:${i}`);
      const vname = this.claimValueName(wanted, opts.outputNames !== undefined);
      outputs.push(new Value(this, vname, spec.dtype, spec.shape.map(canonDim), node));
    });
    this.nodes.push(node);
    return outputs;
  }

  /** Declares that symbolic dim `symbol` equals axis `axis` of `value` (for dims not seen on an input). */
  defineDim(symbol: string, value: Value, axis: number): void {
    if (!dimEq(value.shape[axis], symbol)) {
      throw new ActpatError(`define dim ${symbol}`, `axis ${axis} of ${value} is ${value.shape[axis]}`);
    }
    this.dimSources.set(symbol, { value, axis });
  }

  /** An int64 [1] tensor holding `dim` at run time (a constant, or read from the shape of an input). */
  dimTensor(dim: Dim): Value {
    if (typeof dim === "number") return this.constant([dim], { dtype: "int64" });
    const key = String(canonDim(dim));
    const hit = this.dimCache.get(key);
    if (hit) return hit;
    const v = this.withScopes(["dims", key], () => {
      const parts = splitTopLevel(key);
      if (parts.length > 1) {
        return parts.map((p) =>
          /^\d+$/.test(p) ? this.constant([Number(p)], { dtype: "int64" }) : this.dimTensor(p)
        )
          .reduce((a, b) => this.node("Mul", [a, b], {}, { outputs: [{ dtype: "int64", shape: [1] }] })[0]);
      }
      const src = this.dimSources.get(key);
      if (!src) {
        throw new ActpatError(
          `compute dim "${key}" in graph ${this.name}`,
          "no graph input has it; declare an input with this dim or call defineDim",
        );
      }
      return this.node("Shape", [src.value], { start: src.axis, end: src.axis + 1 }, {
        outputs: [{ dtype: "int64", shape: [1] }],
      })[0];
    });
    this.dimCache.set(key, v);
    return v;
  }

  /** An int64 [rank] tensor holding `shape` at run time (a constant when all dims are numbers). */
  shapeTensor(shape: readonly Dim[]): Value {
    if (shape.every((d) => typeof d === "number")) {
      return this.constant(shape as number[], { dtype: "int64" });
    }
    const key = shape.map(canonDim).join(",");
    const hit = this.dimCache.get(`shape:${key}`);
    if (hit) return hit;
    const pieces: Value[] = [];
    let run: number[] = [];
    for (const d of shape) {
      if (typeof d === "number") run.push(d);
      else {
        if (run.length) pieces.push(this.constant(run, { dtype: "int64" }));
        run = [];
        pieces.push(this.dimTensor(d));
      }
    }
    if (run.length) pieces.push(this.constant(run, { dtype: "int64" }));
    const v = pieces.length === 1
      ? pieces[0]
      : this.withScopes(["dims", `[${key}]`], () =>
        this.node("Concat", pieces, { axis: 0 }, {
          outputs: [{ dtype: "int64", shape: [shape.length] }],
        })[0]);
    this.dimCache.set(`shape:${key}`, v);
    return v;
  }

  /**
   * The inline data of an initializer or constant (undefined for other values and external weights); a
   * subgraph sees its enclosing graphs' constants, which is where its own live.
   */
  constantData(v: Value): TypedArray | undefined {
    return this.initIndex.get(v)?.data ?? this.parent?.constantData(v);
  }

  /**
   * Reserves and returns `name`, or `name_2`, `name_3`, … (the first free one in this graph's whole tree), as a
   * prefix for names that must not collide (a subgraph's inputs).
   */
  reserveName(name: string): string {
    return this.claimValueName(name, false);
  }

  /** Every value, by name (inputs, initializers, node outputs). */
  values(): Map<string, Value> {
    const m = new Map<string, Value>();
    for (const v of this.inputs) m.set(v.name, v);
    for (const i of this.initializers) m.set(i.value.name, i.value);
    for (const n of this.nodes) for (const o of n.outputs) m.set(o.name, o);
    return m;
  }

  private withScopes<T>(scopes: string[], fn: () => T): T {
    const saved = this.scopes.splice(0, this.scopes.length, ...scopes);
    try {
      return fn();
    } finally {
      this.scopes.splice(0, this.scopes.length, ...saved);
    }
  }

  private own(v: Value, where: string): void {
    if (!this.sees(v.graph)) {
      throw new ActpatError(
        `use ${v.name} in ${where}`,
        `it belongs to graph ${v.graph.name}, not ${this.name} or a graph enclosing it`,
      );
    }
  }

  private claimValueName(name: string, exact: boolean): string {
    let n = name;
    if (exact && this.valueNames.has(n)) {
      throw new ActpatError(`name value ${name} in graph ${this.name}`, "the name is already taken");
    }
    for (let i = 2; this.valueNames.has(n); i++) n = `${name}_${i}`;
    this.valueNames.add(n);
    return n;
  }
}

/**
 * Graph → ONNX ModelProto bytes (onnx-proto). External-data initializers: onnxruntime resolves external data
 * relative to the model's folder and rejects paths that escape it, after resolving symlinks (verified with
 * onnxruntime-node 1.30). So a model records the real directory of its weight files in the metadata entry
 * {@link EXTERNAL_DIR_KEY}, each initializer's location is the file's real basename, and `createSession`
 * loads the model with onnxruntime's `session.model_external_initializers_file_folder_path` set to that
 * directory. The weight bytes stay in the file and never enter the JS heap.
 */
import onnxProto from "onnx-proto";
import { basename, dirname } from "node:path";
import { realpathSync } from "node:fs";
import { ActpatError } from "../util/errors.ts";
import { writeFileAtomic } from "../util/atomic_write.ts";
import { type DType, ONNX_ELEM_TYPE, type TypedArray } from "./dtype.ts";
import { type AttrValue, type Graph, IR_VERSION, OPSET, type Value } from "./graph.ts";

const { onnx } = onnxProto;

/** Model metadata key holding the directory external initializers are read from. */
export const EXTERNAL_DIR_KEY = "actpat.external_data_dir";

function realPath(path: string, what: string): string {
  try {
    return realpathSync(path);
  } catch (err) {
    throw new ActpatError(`reference external data of ${what}`, `weight file ${path} cannot be read`, {
      cause: err,
    });
  }
}

function rawBytes(data: TypedArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function tensorProto(
  name: string,
  dtype: DType,
  dims: readonly number[],
  data: TypedArray,
): onnxProto.onnx.ITensorProto {
  return { name, dataType: ONNX_ELEM_TYPE[dtype], dims: [...dims], rawData: rawBytes(data) };
}

function valueInfo(v: Value, name = v.name): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ONNX_ELEM_TYPE[v.dtype],
        shape: { dim: v.shape.map((d) => typeof d === "number" ? { dimValue: d } : { dimParam: d }) },
      },
    },
  };
}

function attribute(name: string, a: AttrValue, dirs: Set<string>): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof a === "number") return { name, type: T.INT, i: a };
  if (typeof a === "string") return { name, type: T.STRING, s: new TextEncoder().encode(a) };
  if (Array.isArray(a)) {
    if (a.every((x) => typeof x === "number")) return { name, type: T.INTS, ints: [...a] as number[] };
    return { name, type: T.STRINGS, strings: (a as string[]).map((s) => new TextEncoder().encode(s)) };
  }
  if ("float" in a) return { name, type: T.FLOAT, f: a.float };
  if ("floats" in a) return { name, type: T.FLOATS, floats: [...a.floats] };
  if ("tensor" in a) {
    return { name, type: T.TENSOR, t: tensorProto("", a.tensor.dtype, a.tensor.dims, a.tensor.data) };
  }
  if ("graph" in a) return { name, type: T.GRAPH, g: graphProto(a.graph, dirs) };
  throw new ActpatError(`serialize attribute ${name}`, "unknown attribute kind");
}

/**
 * Encodes `graph` as ONNX ModelProto bytes. Load them with `createSession`, which points onnxruntime at the
 * external data directory recorded in the model.
 */
export function serializeGraph(graph: Graph): Uint8Array {
  const dirs = new Set<string>();
  const proto = graphProto(graph, dirs);
  if (dirs.size > 1) {
    throw new ActpatError(
      `serialize graph ${graph.name}`,
      `external weights come from several directories (${
        [...dirs].join(", ")
      }); onnxruntime reads external data ` +
        "from one folder, so place the weight files together",
    );
  }
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: "actpat",
    opsetImport: [{ domain: "", version: OPSET }],
    metadataProps: dirs.size ? [{ key: EXTERNAL_DIR_KEY, value: [...dirs][0] }] : [],
    graph: proto,
  });
  return onnx.ModelProto.encode(model).finish();
}

/** One graph (the model's, or a subgraph attribute); adds the real directories of external weights to `dirs`. */
function graphProto(graph: Graph, dirs: Set<string>): onnxProto.onnx.IGraphProto {
  if (graph.outputs.length === 0) throw new ActpatError(`serialize graph ${graph.name}`, "it has no outputs");
  const initializer = graph.initializers.map((init) => {
    const v = init.value;
    if (init.data) return tensorProto(v.name, v.dtype, v.shape as number[], init.data);
    const ext = init.external!;
    const real = realPath(ext.path, v.name);
    dirs.add(dirname(real));
    return {
      name: v.name,
      dataType: ONNX_ELEM_TYPE[v.dtype],
      dims: v.shape as number[],
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: "location", value: basename(real) },
        { key: "offset", value: String(ext.offset) },
        { key: "length", value: String(ext.byteLength) },
      ],
    };
  });
  const node = graph.nodes.map((n) => ({
    name: n.name,
    opType: n.opType,
    domain: "",
    input: n.inputs.map((v) => v ? v.name : ""),
    output: n.outputs.map((v) => v.name),
    attribute: Object.entries(n.attrs).map(([k, a]) => attribute(k, a, dirs)),
  }));
  return {
    name: graph.name,
    node,
    initializer,
    input: graph.inputs.map((v) => valueInfo(v)),
    output: graph.outputs.map((o) => valueInfo(o.value, o.name)),
  };
}

/** Serializes `graph` to `modelPath` atomically (external weights stay where they are). */
export async function writeModel(graph: Graph, modelPath: string): Promise<void> {
  await writeFileAtomic(modelPath, serializeGraph(graph));
}

/** The directory a serialized model reads its external data from, if it has any. */
export function externalDataDir(model: Uint8Array): string | undefined {
  const m = onnx.ModelProto.decode(model);
  return m.metadataProps.find((p) => p.key === EXTERNAL_DIR_KEY)?.value ?? undefined;
}

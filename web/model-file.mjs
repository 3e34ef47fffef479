// Opening ganzoo's ONNX files and writing results, for the Node examples (no dependencies beyond onnxruntime-node).
// onnxruntime-node does not show a file's metadata, so it is read here from the file itself (ModelProto field 14,
// metadata_props) and checked as ganzoo.runtime's OnnxGenerator and OnnxTranslator check it: a damaged or wrong
// file is one clear error, not images laid out by a guess. Each function throws an Error whose message is the line
// to show.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";

const MAX_META_SIZE = 2 ** 20;  // latent size, image side, classes: as ganzoo.runtime
const FLOAT_FORMAT = "float32 NCHW [0, 1]";

function varint(buf, at) {  // [value, next position] of a protobuf varint
  let v = 0, scale = 1;
  for (let i = 0; i < 10 && at < buf.length; i++) {
    const b = buf[at++];
    v += (b & 127) * scale;
    scale *= 128;
    if (b < 128) return [v, at];
  }
  throw new Error("a damaged protobuf varint");
}

function fields(buf, each) {  // each(field number, bytes) for the length-delimited fields of a protobuf message
  let at = 0, key, len;
  while (at < buf.length) {
    [key, at] = varint(buf, at);
    const wire = key % 8;
    if (wire === 0) [, at] = varint(buf, at);
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      [len, at] = varint(buf, at);
      if (at + len > buf.length) throw new Error("a truncated protobuf message");
      each(Math.floor(key / 8), buf.subarray(at, at + len));
      at += len;
    } else throw new Error(`protobuf wire type ${wire}`);
  }
  if (at > buf.length) throw new Error("a truncated protobuf message");
}

// an ONNX file's metadata_props as {key: value} (no prototype: any key is plain data)
export function onnxMetadata(buf) {
  const meta = Object.create(null);
  fields(buf, (field, entry) => {
    if (field !== 14) return;
    let key = "", value = "";
    fields(entry, (f, d) => {
      if (f === 1) key = d.toString("utf8");
      else if (f === 2) value = d.toString("utf8");
    });
    meta[key] = value;
  });
  return meta;
}

const clip = (v) => {  // an untrusted metadata value, quoted and cut short
  const s = typeof v === "string" ? `'${v}'` : JSON.stringify(v) ?? String(v);
  return s.length <= 80 ? s : `${s.slice(0, 77)}...`;
};
const isSize = (v, low) => Number.isInteger(v) && v >= low && v <= MAX_META_SIZE;

function json(meta, key, bad) {
  try {
    return JSON.parse(meta[key]);
  } catch (e) {
    throw new Error(`${bad} (${key} is not valid JSON: ${clip(meta[key])})`);
  }
}

function int(meta, key, low, bad) {
  const text = meta[key];
  if (!/^[0-9]{1,8}$/.test(text ?? "") || !isSize(Number(text), low)) {
    throw new Error(`${bad} (${key} must be an int in [${low}, ${MAX_META_SIZE}], got ${clip(text)})`);
  }
  return Number(text);
}

function imageShape(meta, bad) {
  const shape = json(meta, "image_shape", bad);
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((v) => isSize(v, 1))) {
    throw new Error(`${bad} (image_shape must be [channels, height, width], got ${clip(meta.image_shape)})`);
  }
  return shape;
}

// {session, meta}: an onnxruntime-node session of `file` and its ganzoo metadata
async function open(file, how) {
  let buf;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new Error(e.code === "ENOENT" ? `ONNX file ${file} not found; export one with \`${how}\`` :
      `cannot read ${file}: ${e.message}`);
  }
  let session, meta;
  try {
    session = await ort.InferenceSession.create(file);
    meta = onnxMetadata(buf);
  } catch (e) {
    throw new Error(`${file} is not a valid ONNX model (${e.message.split("\n")[0]}); export one with \`${how}\``);
  }
  return { session, meta };
}

// a translator file (`ganzoo export NAME --to DOMAIN`), checked: {session, source, target, domains, shape: [c, h, w]}
export async function openTranslator(file) {
  const how = `ganzoo export NAME --to DOMAIN -o ${file}`;
  const { session, meta } = await open(file, how);
  if (meta.task !== "translation") {
    throw new Error("latent_dim" in meta ?
      `${file} is a generator (it samples images from latents), not a translator: run it with node-example.mjs, ` +
        "or export a translator with `ganzoo export NAME --to DOMAIN`" :
      `${file} has no ganzoo translation metadata: export a translator with \`${how}\``);
  }
  const bad = `${file} has damaged ganzoo metadata: re-export it with \`${how}\``;
  for (const key of ["domains", "source_domain", "target_domain", "image_shape"]) {
    if (!(key in meta)) throw new Error(`${bad} (no ${key})`);
  }
  const domains = json(meta, "domains", bad);
  if (!Array.isArray(domains) || domains.length !== 2 || domains[0] === domains[1] ||
      !domains.every((d) => typeof d === "string" && d.length > 0 && d.length <= 100)) {
    throw new Error(`${bad} (domains must be two different names, got ${clip(meta.domains)})`);
  }
  const source = meta.source_domain, target = meta.target_domain;
  if (source === target || !domains.includes(source) || !domains.includes(target)) {
    throw new Error(`${bad} (source_domain ${clip(source)} and target_domain ${clip(target)} must be the two ` +
      `domains ${clip(domains)}, one each)`);
  }
  const shape = imageShape(meta, bad);
  const format = meta.output_format ?? FLOAT_FORMAT;
  if (format !== FLOAT_FORMAT) throw new Error(`${bad} (output_format must be ${FLOAT_FORMAT}, got ${clip(format)})`);
  const [input] = session.inputMetadata, dims = input?.shape ?? [];
  const output = session.outputMetadata.find((o) => o.name === "images_out");
  if (session.inputNames.length !== 1 || input.name !== "images" || input.type !== "float32" || dims.length !== 4 ||
      dims.slice(1).some((d, i) => typeof d === "number" && d !== shape[i]) || output?.type !== "float32") {
    throw new Error(`${bad} (the metadata says the graph takes float32 images (batch, ${shape.join(", ")}) and ` +
      `gives float32 images_out; it takes ${clip(session.inputMetadata.map((i) => [i.name, i.type, i.shape]))} and ` +
      `gives ${clip(session.outputNames)})`);
  }
  return { session, source, target, domains, shape };
}

// a generator's z file (`ganzoo export NAME`, float32 or --fp16), checked:
// {session, latentDim, numClasses, classNames, shape: [c, h, w]}
export async function openGenerator(file) {
  const how = `ganzoo export NAME -o ${file}`;
  const { session, meta } = await open(file, how);
  if (meta.task === "translation") {
    throw new Error(`${file} translates images (${clip(meta.source_domain)} -> ${clip(meta.target_domain)}) and ` +
      "has no latent to sample: run it with node-translate.mjs");
  }
  if (!("latent_dim" in meta)) throw new Error(`${file} has no ganzoo metadata; export it with \`${how}\``);
  const bad = `${file} has damaged ganzoo metadata: re-export it with \`${how}\``;
  const latentDim = int(meta, "latent_dim", 1, bad);
  const shape = imageShape(meta, bad);
  const numClasses = "num_classes" in meta ? int(meta, "num_classes", 0, bad) : 0;
  const classNames = json({ class_names: "[]", ...meta }, "class_names", bad);
  if (!Array.isArray(classNames) || classNames.length !== numClasses || new Set(classNames).size !== numClasses ||
      !classNames.every((c) => typeof c === "string")) {
    throw new Error(`${bad} (class_names must be ${numClasses} distinct strings, got ` +
      `${clip(meta.class_names ?? "[]")})`);
  }
  const space = meta.space ?? "z", format = meta.output_format ?? FLOAT_FORMAT;
  if (space === "w" || space === "mapping") {
    throw new Error(`${file} is a ${space} file (\`ganzoo export --space ${space}\`); the Node example samples ` +
      `z files: export one with \`${how}\``);
  }
  if (space !== "z") throw new Error(`${bad} (space must be z, w or mapping, got ${clip(space)})`);
  if (format !== FLOAT_FORMAT) {
    throw new Error(format.startsWith("uint8") ?
      `${file} gives uint8 images (\`ganzoo export --uint8\`); the Node example reads float32 ones: export one ` +
        `with \`${how}\`` :
      `${bad} (output_format must be ${FLOAT_FORMAT} or uint8 NHWC [0, 255], got ${clip(format)})`);
  }
  const want = numClasses ? ["labels", "z"] : ["z"];
  const z = session.inputMetadata.find((i) => i.name === "z"), out = session.outputMetadata[0];
  if ([...session.inputNames].sort().join() !== want.join() || z.shape.length !== 2 ||
      (typeof z.shape[1] === "number" && z.shape[1] !== latentDim) || out?.name !== "images" ||
      out.type !== "float32") {
    throw new Error(`${bad} (the metadata says the graph takes ${want.join(" and ")} (z: batch x ${latentDim}) ` +
      `and gives float32 images; it takes ${clip(session.inputMetadata.map((i) => [i.name, i.type, i.shape]))} and ` +
      `gives ${clip(session.outputMetadata.map((o) => [o.name, o.type]))})`);
  }
  return { session, latentDim, numClasses, classNames, shape };
}

// refuses an output path that is empty, a folder, or one of the inputs (it would be replaced)
export function checkOutput(out, inputs) {
  if (!out) throw new Error("the output file name is empty: give one with -o FILE.png");
  let st = null;
  try {
    st = fs.statSync(out);
  } catch (e) { /* not there yet: fine */ }
  if (st?.isDirectory()) throw new Error(`${out} is a folder: give a file name (e.g. ${path.join(out, "out.png")})`);
  if (!fs.existsSync(path.dirname(path.resolve(out)))) {
    throw new Error(`cannot write ${out}: the folder ${path.dirname(out)} does not exist; create it first`);
  }
  for (const input of inputs) {
    let same = path.resolve(input) === path.resolve(out);
    try {
      const s = fs.statSync(input);
      same ||= st !== null && s.dev === st.dev && s.ino === st.ino;
    } catch (e) { /* a missing input is reported where it is read */ }
    if (same) throw new Error(`the output ${out} is also an input (${input}) and would be replaced: choose another name`);
  }
}

// `data` to `out` through a temporary file with a unique name beside it, then a rename: a reader never sees half
// a file, and a failed write leaves `out` as it was
export function writeAtomic(out, data) {
  const tmp = path.join(path.dirname(out), `.${path.basename(out)}.${process.pid}.${crypto.randomUUID()}.tmp`);
  try {
    fs.writeFileSync(tmp, data, { flag: "wx" });
    fs.renameSync(tmp, out);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`cannot write ${out}: ${e.message.replaceAll(tmp, out)}`);
  }
}

// for the scripts: a user's mistake is one `error:` line and exit status 2, never a stack trace
export function fail(message) {
  console.error(`error: ${message}`);
  process.exit(2);
}

// the command line as node:util's parseArgs reads it, or fail() with its message on one line and the usage
export function commandLine(usage, options) {
  try {
    return parseArgs({ allowPositionals: true, options });
  } catch (e) {
    return fail(`${e.message.replace(/\s*\n\s*/g, " ")}; ${usage}`);
  }
}

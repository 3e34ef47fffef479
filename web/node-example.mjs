// ganzoo generators in a Node app, no browser: onnxruntime-node runs an exported file and we write a PNG.
//   pip install "ganzoo-models[onnx]"                  # the Python package that exports (`ganzoo` on PyPI is not it)
//   ganzoo export cgan-fashion-mnist -o cgan.onnx
//   node web/node-example.mjs cgan.onnx out.png [label] [--seed N]
// The same 16 images as OnnxGenerator("cgan.onnx").sample(16, labels=label, seed=N) in Python (seed 0 by default):
// latents come from ganzoo's portable generator, src/latent.js, and png.mjs writes the PNG; model-file.mjs checks
// the file's metadata, as OnnxGenerator does (copy all three along into an app). LABEL: an int or a class name.
import * as ort from "onnxruntime-node";
import { checkOutput, commandLine, fail, openGenerator, writeAtomic } from "./model-file.mjs";
import { encodeGrey } from "./png.mjs";
import { sampleLatent } from "./src/latent.js";

const usage = "usage: node node-example.mjs [MODEL.onnx [OUT.png [LABEL]]] [--seed N]";
const { values, positionals } = commandLine(usage, { seed: { type: "string", default: "0" } });
if (positionals.length > 3) fail(`too many arguments (${positionals.length}); ${usage}`);
const [file = "dist/models/dcgan-mnist.onnx", out = "samples.png", label] = positionals;
if (!file) fail(`the model file name is empty; ${usage}`);
let model;
try {
  checkOutput(out, [file]);
  model = await openGenerator(file);  // its metadata checked as OnnxGenerator checks it
} catch (e) {
  fail(e.message);
}
const { session, latentDim: latent, numClasses, classNames } = model;
let y = null;  // the label for every image: an int in [0, numClasses) or a class name; none: 0, 1, ... in turn
if (label !== undefined && !numClasses) fail(`${file} is unconditional: it takes no label; drop "${label}"`);
if (label !== undefined) {
  y = classNames.includes(label) ? classNames.indexOf(label) : /^[0-9]{1,9}$/.test(label.trim()) ? Number(label) : -1;
  if (y >= numClasses || y < 0) {
    fail(`label ${JSON.stringify(label)} is not one of ${file}'s classes: give an int 0..${numClasses - 1} or a ` +
      `class name (${classNames.join(", ")})`);
  }
}
const n = 16;
let z;
try {
  z = sampleLatent(n, latent, values.seed);  // seeds up to 2**64 - 1, as in Python
} catch (e) {
  fail(e.message);
}
const feeds = { z: new ort.Tensor("float32", z, [n, latent]) };
if (numClasses) {
  feeds.labels = new ort.Tensor("int64", BigInt64Array.from({ length: n }, (_, i) => BigInt(y ?? i % numClasses)), [n]);
}
let images;
try {
  ({ images } = await session.run(feeds));
} catch (e) {
  fail(`${file} failed to run (${e.message.split("\n")[0]}): re-export it with \`ganzoo export NAME -o ${file}\``);
}
const [, c, h, w] = images.dims;  // float32 N x C x H x W in [0, 1]
const nonfinite = images.data.filter((v) => !Number.isFinite(v)).length;
if (nonfinite || images.dims.length !== 4 || images.dims[0] !== n ||
    [c, h, w].join() !== model.shape.join()) {
  fail(`${file} gave ${nonfinite ? `${nonfinite} NaN or infinite value(s) in ${images.data.length} outputs` :
    `images of shape [${images.dims}], not [${n}, ${model.shape}] as its metadata says`}: its weights or graph are ` +
    `damaged; re-export it with \`ganzoo export NAME -o ${file}\``);
}
const cols = 4, rows = Math.ceil(n / cols), W = cols * w, H = rows * h;
const raw = new Uint8Array(H * W);  // the grid's greyscale pixels, row by row
for (let k = 0; k < n; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
  const v = images.data[((k * c) * h + y) * w + x];
  const Y = Math.floor(k / cols) * h + y, X = (k % cols) * w + x;
  raw[Y * W + X] = Math.round(Math.min(1, Math.max(0, v)) * 255);
}
try {
  writeAtomic(out, encodeGrey(W, H, raw));
} catch (e) {
  fail(e.message);
}
console.log(`wrote ${out}: ${n} images of ${file} (${c}x${h}x${w}) made by onnxruntime-node`);

// A ganzoo translation model (CycleGAN) in a Node app, no browser: onnxruntime-node runs one exported direction.
//   pip install "ganzoo-models[onnx]"
//   ganzoo export cyclegan-mnist-fashion-mnist --to fashion-mnist -o to-fashion-mnist.onnx
//   node web/node-translate.mjs to-fashion-mnist.onnx digit.png [more.png ...] [-o translated.png]
// Writes the originals (top row) above their translations (bottom row), as `ganzoo translate` does: the same
// pixels as OnnxTranslator("to-fashion-mnist.onnx").translate(images) in Python. Inputs: 8-bit PNGs of the model's
// size (28x28), greyscale or RGB(A) (made greyscale as Pillow's convert("L") does; an image with transparent pixels
// is refused, as in Python). png.mjs reads and writes them; model-file.mjs checks the file's metadata, as
// OnnxTranslator does, and writes the grid atomically (never over an input).
import fs from "node:fs";
import * as ort from "onnxruntime-node";
import { checkOutput, commandLine, fail, openTranslator, writeAtomic } from "./model-file.mjs";
import { decodeGrey, encodeGrey } from "./png.mjs";

const usage = "usage: node node-translate.mjs MODEL.onnx IMAGE.png [IMAGE.png ...] [-o OUT.png]";
const { values, positionals } = commandLine(usage, { output: { type: "string", short: "o", default: "translated.png" } });
const [file, ...inputs] = positionals;
if (!file || !inputs.length || inputs.some((name) => !name)) fail(usage);
const out = values.output;
try {
  checkOutput(out, [file, ...inputs]);
} catch (e) {
  fail(e.message);
}
let model;
try {
  model = await openTranslator(file);  // its metadata checked as OnnxTranslator checks it
} catch (e) {
  fail(e.message);
}
const { session, source, target } = model, [c, h, w] = model.shape;
if (c !== 1) fail(`${file} takes ${c}-channel images; this example reads greyscale ones: use ganzoo.runtime in Python`);
const n = inputs.length, per = h * w;
const x = new Float32Array(n * per);
inputs.forEach((name, k) => {
  let png;
  try {
    png = decodeGrey(fs.readFileSync(name), name);
  } catch (e) {
    fail(e.code ? `cannot read ${name}: ${e.message}` : e.message);
  }
  if (png.width !== w || png.height !== h) {
    fail(`${name} is ${png.width}x${png.height}; the model takes ${w}x${h} images (of ${source}): resize it first`);
  }
  for (let i = 0; i < per; i++) x[k * per + i] = png.grey[i] / 255;
});
let y;
try {
  ({ images_out: y } = await session.run({ images: new ort.Tensor("float32", x, [n, 1, h, w]) }));
} catch (e) {
  fail(`${file} failed to run (${e.message.split("\n")[0]}): re-export it with \`ganzoo export NAME --to ${target}\``);
}
const nonfinite = y.data.filter((v) => !Number.isFinite(v)).length;
if (nonfinite || y.data.length !== n * per) {
  fail(`${file} gave ${nonfinite ? `${nonfinite} NaN or infinite value(s) in ${y.data.length} outputs` :
    `images_out of shape [${y.dims}] for [${n}, 1, ${h}, ${w}] images`}: its weights or graph are damaged; ` +
    `re-export it with \`ganzoo export NAME --to ${target}\``);
}
// a grid as ganzoo's save_grid makes it: 2-pixel black padding, originals in the first row, translations below
const pad = 2, W = n * (w + pad) + pad, H = 2 * (h + pad) + pad;
const grid = new Uint8Array(W * H);
for (const [row, data] of [[0, x], [1, y.data]]) {
  for (let k = 0; k < n; k++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
    const v = data[k * per + i * w + j];
    grid[(pad + row * (h + pad) + i) * W + pad + k * (w + pad) + j] = Math.round(Math.min(1, Math.max(0, v)) * 255);
  }
}
try {
  writeAtomic(out, encodeGrey(W, H, grid));
} catch (e) {
  fail(e.message);
}
console.log(`wrote ${out}: ${n} original(s) (top) and their translations by ${file} (bottom), ${source} -> ` +
  `${target}, made by onnxruntime-node`);

// ganzoo generators in a Node app, no browser: onnxruntime-node runs an exported file and we write a PNG.
//   pip install "ganzoo-models[onnx]"                  # the Python package that exports (`ganzoo` on PyPI is not it)
//   ganzoo export cgan-fashion-mnist -o cgan.onnx
//   node web/node-example.mjs cgan.onnx out.png [label] [--seed N]
// The same 16 images as OnnxGenerator("cgan.onnx").sample(16, labels=label, seed=N) in Python (seed 0 by default):
// latents come from ganzoo's portable generator, src/latent.js, and png.mjs writes the PNG (copy both along into an app).
import fs from "node:fs";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { encodeGrey } from "./png.mjs";
import { sampleLatent } from "./src/latent.js";

const { values, positionals } = parseArgs({ allowPositionals: true, options: { seed: { type: "string", default: "0" } } });
const [file = "dist/models/dcgan-mnist.onnx", out = "samples.png", label] = positionals;
const session = await ort.InferenceSession.create(file);
const latent = session.inputMetadata.find((i) => i.name === "z").shape[1];  // z: float32 [batch, latent_dim]
const n = 16;
const z = sampleLatent(n, latent, values.seed);  // seeds up to 2**64 - 1, as in Python
const feeds = { z: new ort.Tensor("float32", z, [n, latent]) };
if (session.inputNames.includes("labels")) {
  feeds.labels = new ort.Tensor("int64", BigInt64Array.from({ length: n }, (_, i) => BigInt(label ?? i % 10)), [n]);
}
const { images } = await session.run(feeds);
const [, c, h, w] = images.dims;  // float32 N x C x H x W in [0, 1]
const cols = 4, rows = Math.ceil(n / cols), W = cols * w, H = rows * h;
const raw = new Uint8Array(H * W);  // the grid's greyscale pixels, row by row
for (let k = 0; k < n; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
  const v = images.data[((k * c) * h + y) * w + x];
  const Y = Math.floor(k / cols) * h + y, X = (k % cols) * w + x;
  raw[Y * W + X] = Math.round(Math.min(1, Math.max(0, v)) * 255);
}
fs.writeFileSync(out, encodeGrey(W, H, raw));
console.log(`wrote ${out}: ${n} images of ${file} (${c}x${h}x${w}) made by onnxruntime-node`);

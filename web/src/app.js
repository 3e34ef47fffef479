// ganzoo in the browser: onnxruntime-web runs the exported generators; plain ES module, no framework.
// window.ganzoo.generate(name, z, labels) -> {data, dims, ms} and window.ganzoo.sampleLatent(n, latentDim, seed):
// the hooks tests and app authors use. A seed gives the same latents (and images) as in Python and Node.
import { sampleLatent } from "./latent.js";
import * as ort from "./ort.min.mjs";

ort.env.wasm.wasmPaths = new URL("./", import.meta.url).href;
// wasm threads need a cross-origin isolated page (COOP/COEP headers); a plain static server gives one thread.
// ?threads=N asks for N (benchmarks), ?backend=wasm skips WebGPU.
const params = new URLSearchParams(location.search);
const maxThreads = self.crossOriginIsolated ? navigator.hardwareConcurrency || 1 : 1;
ort.env.wasm.numThreads = Math.min(maxThreads, Number(params.get("threads")) || Math.min(4, maxThreads));

const $ = (id) => document.getElementById(id);
const sessions = new Map();
let backend = "wasm";

async function pickBackend() {
  if (params.get("backend") === "wasm") return "wasm";
  if (navigator.gpu) {
    try {
      if (await navigator.gpu.requestAdapter()) return "webgpu";
    } catch (e) { /* no usable GPU: wasm */ }
  }
  return "wasm";
}

// a minimal module using a SIMD instruction (as in wasm-feature-detect): valid only where SIMD is supported
const SIMD = WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10,
  10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]));

function backendText() {
  if (backend === "webgpu") return "WebGPU";
  const n = ort.env.wasm.numThreads;
  return `wasm (${n} thread${n > 1 ? "s" : ""}${SIMD ? ", SIMD" : ", no SIMD"})`;
}

function entry(name) {
  const e = window.ganzoo.index.find((x) => x.name === name);
  if (!e) throw new Error(`unknown model ${name}; the page has: ${window.ganzoo.index.map((x) => x.name).join(", ")}`);
  return e;
}

async function session(name) {
  if (!sessions.has(name)) {
    sessions.set(name, ort.InferenceSession.create(entry(name).file, { executionProviders: [backend] }));
  }
  return sessions.get(name);
}

async function generate(name, z, labels) {
  const e = entry(name);
  const zz = z instanceof Float32Array ? z : Float32Array.from(z.flat ? z.flat() : z);
  if (zz.length % e.latent_dim) throw new Error(`z must hold a multiple of ${e.latent_dim} values, got ${zz.length}`);
  const n = zz.length / e.latent_dim;
  const feeds = { z: new ort.Tensor("float32", zz, [n, e.latent_dim]) };
  if (e.num_classes) {
    const ys = labels ?? Array.from({ length: n }, (_, i) => i % e.num_classes);
    if (ys.length !== n || ys.some((y) => !Number.isInteger(y) || y < 0 || y >= e.num_classes)) {
      throw new Error(`labels must be ${n} ints in 0..${e.num_classes - 1}`);
    }
    feeds.labels = new ort.Tensor("int64", BigInt64Array.from(ys.map(BigInt)), [n]);
  }
  const s = await session(name);
  const t0 = performance.now();
  const out = await s.run(feeds);
  const ms = performance.now() - t0;
  const images = out.images;
  return { data: images.data, dims: images.dims, ms };
}

function draw(canvas, data, dims, cols) {
  const [n, c, h, w] = dims;
  const rows = Math.ceil(n / cols), pad = 2;
  canvas.width = cols * (w + pad) + pad;
  canvas.height = rows * (h + pad) + pad;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(canvas.width, canvas.height);
  img.data.fill(0);
  for (let i = 3; i < img.data.length; i += 4) img.data[i] = 255;
  for (let k = 0; k < n; k++) {
    const x0 = pad + (k % cols) * (w + pad), y0 = pad + Math.floor(k / cols) * (h + pad);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const p = ((y0 + y) * canvas.width + x0 + x) * 4;
      for (let ch = 0; ch < 3; ch++) {
        const v = data[((k * c + (c === 1 ? 0 : ch)) * h + y) * w + x];
        img.data[p + ch] = Math.round(Math.min(1, Math.max(0, v)) * 255);
      }
    }
  }
  ctx.putImageData(img, 0, 0);
  canvas.style.width = `${canvas.width * 2}px`;
}

function selectedLabels(e, n) {
  const v = $("cls").value;
  return e.num_classes && v !== "" ? Array(n).fill(Number(v)) : undefined;
}

async function sample() {
  const e = entry($("entry").value), n = Number($("count").value);
  const r = await generate(e.name, sampleLatent(n, e.latent_dim, $("seed").value), selectedLabels(e, n));
  draw($("grid"), r.data, r.dims, Math.ceil(Math.sqrt(n)));
  $("status").textContent = `${e.name}: ${n} image(s) in ${r.ms.toFixed(1)} ms = ${(r.ms / n).toFixed(2)} ms per image` +
    ` on ${backendText()}`;
}

let animation = 0;
async function interpolate() {
  const e = entry($("entry").value), token = ++animation, steps = 24;
  const a = sampleLatent(1, e.latent_dim, $("seedA").value), b = sampleLatent(1, e.latent_dim, $("seedB").value);
  const z = new Float32Array(steps * e.latent_dim);
  for (let s = 0; s < steps; s++) for (let i = 0; i < e.latent_dim; i++) {
    const t = s / (steps - 1);
    z[s * e.latent_dim + i] = (1 - t) * a[i] + t * b[i];
  }
  const r = await generate(e.name, z, selectedLabels(e, steps));
  const [, c, h, w] = r.dims, per = c * h * w;
  for (let k = 0; token === animation; k = (k + 1) % (2 * steps - 2)) {
    const s = k < steps ? k : 2 * steps - 2 - k;  // there and back
    draw($("morph"), r.data.subarray(s * per, (s + 1) * per), [1, c, h, w], 1);
    await new Promise((res) => setTimeout(res, 80));
  }
}

function fillClasses() {
  const e = entry($("entry").value);
  $("classLabel").style.display = e.num_classes ? "" : "none";
  $("cls").innerHTML = '<option value="">balanced</option>' +
    e.class_names.map((c, i) => `<option value="${i}">${c}</option>`).join("");
}

async function main() {
  const index = await (await fetch("models/index.json")).json();
  backend = await pickBackend();
  window.ganzoo.index = index;
  window.ganzoo.backend = backendText();
  $("entry").innerHTML = index.map((e) => `<option>${e.name}</option>`).join("");
  // a click's error (a seed outside [0, 2**64), say) goes to the status line
  const reported = (f) => () => f().catch((err) => { $("status").textContent = `error: ${err.message}`; });
  $("entry").onchange = () => { fillClasses(); reported(sample)(); };
  $("sample").onclick = reported(sample);
  $("animate").onclick = reported(interpolate);
  fillClasses();
  await sample();
  interpolate();  // runs until another interpolation starts
}

window.ganzoo = { generate, sampleLatent, index: [], backend: "" };
window.ganzoo.ready = main().catch((err) => {
  $("status").textContent = `error: ${err.message}`;
  console.error(err);
  throw err;
});

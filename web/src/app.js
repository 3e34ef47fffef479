// ganzoo in the browser: onnxruntime-web runs the exported generators; plain ES module, no framework.
// window.ganzoo.generate(name, z, labels) -> {data, dims, ms} and window.ganzoo.sampleLatent(n, latentDim, seed):
// the hooks tests and app authors use. A seed gives the same latents (and images) as in Python and Node.
// Translation models (CycleGAN): window.ganzoo.translate(name, to, images) -> {data, dims, ms}, and the drawing
// pad, which translates what you draw as you draw it (window.ganzoo.pad: settled(), clear()).
import { sampleLatent } from "./latent.js";
import * as ort from "./ort.min.mjs";

ort.env.wasm.wasmPaths = new URL("./", import.meta.url).href;
// wasm threads need a cross-origin isolated page (COOP/COEP headers); a plain static server gives one thread.
// ?threads=N asks for N (benchmarks), ?backend=wasm skips WebGPU.
const params = new URLSearchParams(location.search);
const maxThreads = self.crossOriginIsolated ? navigator.hardwareConcurrency || 1 : 1;
ort.env.wasm.numThreads = Math.min(maxThreads, Number(params.get("threads")) || Math.min(4, maxThreads));

const $ = (id) => document.getElementById(id);
// a select's options as [value, text] pairs: names from model files (classes, domains, folders) are text, never HTML
function fillSelect(select, options) {
  select.replaceChildren(...options.map(([value, text]) => {
    const o = document.createElement("option");
    o.value = value;
    o.textContent = text;
    return o;
  }));
}
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

function entry(name, kind = "generator") {
  const e = window.ganzoo.index.find((x) => x.name === name);
  const names = window.ganzoo.index.filter((x) => x.kind === kind).map((x) => x.name);
  if (!e) throw new Error(`unknown model ${name}; the page has: ${window.ganzoo.index.map((x) => x.name).join(", ")}`);
  if (e.kind !== kind) {
    throw new Error(`${name} is a ${e.kind} model: use window.ganzoo.${e.kind === "translation" ? "translate" :
      "generate"} (the page's ${kind} models: ${names.join(", ") || "none"})`);
  }
  return e;
}

async function session(file) {
  if (!sessions.has(file)) {
    sessions.set(file, ort.InferenceSession.create(file, { executionProviders: [backend] }));
  }
  return sessions.get(file);
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
  const s = await session(e.file);
  const t0 = performance.now();
  const out = await s.run(feeds);
  const ms = performance.now() - t0;
  const images = out.images;
  return { data: images.data, dims: images.dims, ms };
}

// images of the other domain from images (N x C x H x W floats in [0, 1], a Float32Array or nested arrays) of
// the model's domain that is not `to`: the file exported with `ganzoo export NAME --to TO`
async function translate(name, to, images) {
  const e = entry(name, "translation");
  if (typeof to !== "string" || !Object.hasOwn(e.files, to)) {
    throw new Error(`${name} translates into ${e.domains.join(" or ")}, not ${to}`);
  }
  const [c, h, w] = e.image_shape, per = c * h * w;
  const x = images instanceof Float32Array ? images : Float32Array.from(images.flat ? images.flat(Infinity) : images);
  if (!x.length || x.length % per) {
    throw new Error(`images must hold N x ${c} x ${h} x ${w} values, got ${x.length}`);
  }
  if (x.some((v) => !(v >= 0 && v <= 1))) throw new Error("images must be in [0, 1]");
  const s = await session(e.files[to]);
  const t0 = performance.now();
  const out = await s.run({ images: new ort.Tensor("float32", x, [x.length / per, c, h, w]) });
  const ms = performance.now() - t0;
  return { data: out.images_out.data, dims: out.images_out.dims, ms };
}

function draw(canvas, data, dims, cols, scale = 2) {
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
  canvas.style.width = `${canvas.width * scale}px`;
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
  fillSelect($("cls"), [["", "balanced"], ...e.class_names.map((c, i) => [String(i), c])]);
}

// -- the drawing pad: draw on a 280x280 canvas, translate its 28x28 image live ----------------------------------
const PAD = 280;
// "fit like the data set": the drawing's bounding box becomes a square of this many pixels out of 28, centred, as
// MNIST's digits fill a 20x20 box and Fashion-MNIST's garments most of the frame
const FIT = { mnist: 20, "fashion-mnist": 26 };
const WORDS = { mnist: "a digit", "fashion-mnist": "a garment" };
const pad = { pen: null, dirty: false, busy: null, state: null };

// the pad's ink as the model's input: N=1 x 1 x 28 x 28 floats in [0, 1], each pixel the mean ink of its cell
function padImage(source) {
  const [, h, w] = entry($("tmodel").value, "translation").image_shape;
  const px = $("pad").getContext("2d", { willReadFrequently: true }).getImageData(0, 0, PAD, PAD).data;
  let x0 = PAD, y0 = PAD, x1 = -1, y1 = -1;
  for (let i = 0; i < PAD * PAD; i++) {
    if (px[4 * i]) {
      const x = i % PAD, y = (i - x) / PAD;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
  }
  let side = PAD, sx = 0, sy = 0;  // the square of the pad that becomes the image
  if ($("fit").checked && x1 >= 0) {
    side = Math.max(x1 - x0 + 1, y1 - y0 + 1) * w / (FIT[source] ?? 24);
    sx = (x0 + x1 + 1) / 2 - side / 2;
    sy = (y0 + y1 + 1) / 2 - side / 2;
  }
  const out = new Float32Array(h * w), cw = side / w, ch = side / h;
  for (let i = 0; i < PAD * PAD; i++) {
    if (!px[4 * i]) continue;
    const x = i % PAD, y = (i - x) / PAD;
    const X = Math.floor((x + 0.5 - sx) / cw), Y = Math.floor((y + 0.5 - sy) / ch);
    if (X >= 0 && X < w && Y >= 0 && Y < h) out[Y * w + X] += px[4 * i] / 255;
  }
  for (let k = 0; k < out.length; k++) out[k] = Math.min(1, out[k] / (cw * ch));
  return out;
}

function padPoint(ev) {
  const r = $("pad").getBoundingClientRect();
  return [(ev.clientX - r.left) * PAD / r.width, (ev.clientY - r.top) * PAD / r.height];
}

function stroke(a, b) {
  const ctx = $("pad").getContext("2d", { willReadFrequently: true });
  ctx.strokeStyle = "#fff";
  ctx.lineWidth = Number($("brush").value);
  ctx.lineCap = ctx.lineJoin = "round";
  ctx.beginPath();
  ctx.moveTo(...a);
  ctx.lineTo(...b);
  ctx.stroke();
  schedule();
}

function clearPad() {
  const ctx = $("pad").getContext("2d", { willReadFrequently: true });
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, PAD, PAD);
  schedule();
}

// translate the pad whenever it changed: one translation at a time, the newest drawing next (no queue)
function schedule() {
  pad.dirty = true;
  if (!pad.busy) pad.busy = pump();
}

async function pump() {
  try {
    while (pad.dirty) {
      pad.dirty = false;
      const e = entry($("tmodel").value, "translation"), source = $("tsource").value;
      const to = e.domains.find((d) => d !== source);
      const input = padImage(source);
      const fwd = await translate(e.name, to, input);
      const back = await translate(e.name, source, fwd.data);
      pad.state = { model: e.name, source, to, input, output: fwd.data, back: back.data, dims: fwd.dims };
      draw($("tin"), input, fwd.dims, 1, 4);
      draw($("tout"), fwd.data, fwd.dims, 1, 4);
      draw($("tback"), back.data, fwd.dims, 1, 4);
      $("toutLabel").textContent = `as ${WORDS[to] ?? to} (${to})`;
      $("tbackLabel").textContent = `and back to ${source}`;
      $("tstatus").textContent = `${e.name}: ${source} -> ${to} in ${fwd.ms.toFixed(1)} ms on ${backendText()}`;
    }
  } catch (err) {
    $("tstatus").textContent = `error: ${err.message}`;
  } finally {
    pad.busy = null;
  }
}

// for tests and app authors: resolves when the pad's newest drawing is translated, to plain arrays
async function settled() {
  while (pad.busy) await pad.busy;
  const s = pad.state;
  return s && { ...s, input: Array.from(s.input), output: Array.from(s.output), back: Array.from(s.back) };
}

function fillSources() {
  const e = entry($("tmodel").value, "translation");
  fillSelect($("tsource"), e.domains.map((d) => [d, `${WORDS[d] ?? "an image"} (${d})`]));
}

function setupPad(translators) {
  $("translators").hidden = false;
  fillSelect($("tmodel"), translators.map((e) => [e.name, e.name]));
  fillSources();
  const c = $("pad");
  c.onpointerdown = (ev) => {
    try {
      c.setPointerCapture(ev.pointerId);  // a stroke that leaves the pad continues when it comes back
    } catch (e) { /* a pointer the browser no longer tracks: draw without capture */ }
    pad.pen = padPoint(ev);
    stroke(pad.pen, pad.pen);
  };
  c.onpointermove = (ev) => {
    if (!pad.pen) return;
    const p = padPoint(ev);
    stroke(pad.pen, p);
    pad.pen = p;
  };
  c.onpointerup = c.onpointercancel = () => { pad.pen = null; };
  $("clear").onclick = clearPad;
  $("tmodel").onchange = () => { fillSources(); schedule(); };
  $("tsource").onchange = $("fit").onchange = schedule;
  const ctx = c.getContext("2d", { willReadFrequently: true });  // the first getContext sets it: read back often
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, PAD, PAD);
}

async function main() {
  const res = await fetch("models/index.json");
  if (!res.ok) {
    throw new Error(`models/index.json: ${res.status} ${res.statusText}; build the site: \`npm --prefix web run build\``);
  }
  const index = await res.json();
  backend = await pickBackend();
  window.ganzoo.index = index;
  window.ganzoo.backend = backendText();
  const generators = index.filter((e) => e.kind === "generator");
  const translators = index.filter((e) => e.kind === "translation");
  if (translators.length) setupPad(translators);
  if (!generators.length) {
    $("generators").hidden = true;
    $("status").textContent = "";
    return;
  }
  fillSelect($("entry"), generators.map((e) => [e.name, e.name]));
  // a click's error (a seed outside [0, 2**64), say) goes to the status line
  const reported = (f) => () => f().catch((err) => { $("status").textContent = `error: ${err.message}`; });
  $("entry").onchange = () => { fillClasses(); reported(sample)(); };
  $("sample").onclick = reported(sample);
  $("animate").onclick = reported(interpolate);
  fillClasses();
  await sample();
  interpolate();  // runs until another interpolation starts
}

window.ganzoo = { generate, translate, sampleLatent, pad: { settled, clear: clearPad }, index: [], backend: "" };
window.ganzoo.ready = main().catch((err) => {
  $("status").textContent = `error: ${err.message}`;
  console.error(err);
  throw err;
});

// Build web/dist: a self-contained static site. `npm --prefix web run build`
//   PYTHON=python3                         the interpreter with ganzoo installed (exports the generators)
//   GANZOO_WEB_ENTRIES=dcgan-mnist,...     a subset of the zoo (default: every entry with bundled weights)
//   GANZOO_WEB_OUT=path                    where to write (default web/dist)
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(process.env.GANZOO_WEB_OUT || path.join(here, "dist"));
const python = process.env.PYTHON || "python3";
const ortDist = path.join(here, "node_modules", "onnxruntime-web", "dist");
// ort.min.mjs runs the wasm backend and WebGPU (JSEP build); nothing is fetched from a CDN
const ORT_FILES = ["ort.min.mjs", "ort-wasm-simd-threaded.jsep.mjs", "ort-wasm-simd-threaded.jsep.wasm"];

function py(...args) {
  return execFileSync(python, ["-m", "ganzoo", ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
}

if (!fs.existsSync(ortDist)) {
  console.error("error: web/node_modules is missing: run `npm --prefix web ci` first");
  process.exit(2);
}
let entries = (process.env.GANZOO_WEB_ENTRIES || "").split(",").filter(Boolean);
if (!entries.length) {
  entries = py("list").trim().split("\n").slice(1).map((l) => l.split(/\s+/)[0]);
}
const tmp = `${out}.tmp`;
fs.rmSync(tmp, { recursive: true, force: true });
fs.mkdirSync(path.join(tmp, "models"), { recursive: true });
for (const f of fs.readdirSync(path.join(here, "src"))) fs.copyFileSync(path.join(here, "src", f), path.join(tmp, f));
for (const f of ORT_FILES) fs.copyFileSync(path.join(ortDist, f), path.join(tmp, f));
const index = [];
for (const name of entries) {
  const file = `models/${name}.onnx`;
  py("export", name, "-o", path.join(tmp, file));
  const info = JSON.parse(py("info", name));
  index.push({ name, file, architecture: info.architecture, dataset: info.dataset, latent_dim: info.latent_dim,
               image_shape: info.image_shape, num_classes: info.num_classes, class_names: info.class_names });
  console.log(`exported ${name}`);
}
fs.writeFileSync(path.join(tmp, "models", "index.json"), JSON.stringify(index, null, 1) + "\n");
fs.rmSync(out, { recursive: true, force: true });
fs.renameSync(tmp, out);
console.log(`wrote ${out} (${index.length} generators); serve it with: python -m http.server -d ${path.relative(process.cwd(), out) || "."}`);

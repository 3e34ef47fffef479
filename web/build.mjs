// Build web/dist: a self-contained static site. `npm --prefix web run build`
//   PYTHON=python3                         the interpreter with "ganzoo-models[onnx]" installed (exports the generators)
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
// every entry with bundled weights, from `ganzoo list --json` (names, shapes, classes; no parsing of the table)
const zoo = JSON.parse(py("list", "--json"));
let entries = (process.env.GANZOO_WEB_ENTRIES || "").split(",").filter(Boolean);
if (!entries.length) entries = zoo.map((e) => e.name);
const unknown = entries.filter((n) => !zoo.some((e) => e.name === n));
if (unknown.length) {
  console.error(`error: GANZOO_WEB_ENTRIES names entries without bundled weights: ${unknown.join(", ")}`);
  process.exit(2);
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
  const e = zoo.find((x) => x.name === name);
  index.push({ name, file, version: e.version, architecture: e.architecture, dataset: e.dataset,
               latent_dim: e.latent_dim, image_shape: e.image_shape, num_classes: e.num_classes,
               class_names: e.class_names });
  console.log(`exported ${name}`);
}
fs.writeFileSync(path.join(tmp, "models", "index.json"), JSON.stringify(index, null, 1) + "\n");
fs.rmSync(out, { recursive: true, force: true });
fs.renameSync(tmp, out);
console.log(`wrote ${out} (${index.length} generators); serve it with: python -m http.server -d ${path.relative(process.cwd(), out) || "."}`);

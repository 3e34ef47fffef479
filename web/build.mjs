// Build web/dist: a self-contained static site. `npm --prefix web run build`
//   PYTHON=python3                         the interpreter with "ganzoo-models[onnx]" installed (exports the models)
//   GANZOO_WEB_ENTRIES=dcgan-mnist,...     a subset of the zoo (default: every entry with bundled weights)
//   GANZOO_WEB_FOLDERS=runs/x/model,...    model folders to add (your own runs; the tests' tiny models), named
//                                          after the folder ("model" takes its parent's name)
//   GANZOO_WEB_OUT=path                    where to write (default web/dist)
// A generator is one file, models/NAME.onnx; a translation model (CycleGAN) is one file per direction,
// models/NAME.to-DOMAIN.onnx, and the page's drawing pad translates with them.
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

let tmp = null;  // the build's unique temporary folder beside `out`: renamed to `out` once complete, removed otherwise

function fail(message) {
  console.error(`error: ${message}`);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(2);
}

function py(...args) {
  try {
    return execFileSync(python, ["-m", "ganzoo", ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  } catch (e) {  // ganzoo's own error line is above (stderr passes through); nothing of the build is kept
    return fail(`\`${python} -m ganzoo ${args.join(" ")}\` failed (${e.status === undefined ? e.message :
      `exit status ${e.status}`}); nothing was written to ${out}`);
  }
}

if (!fs.existsSync(ortDist)) fail("web/node_modules is missing: run `npm --prefix web ci` first");
// `out` is replaced as a whole: only a folder an earlier build wrote (its marker file; builds before the marker:
// models/index.json beside app.js and ort.min.mjs), or an empty one. Checked again just before the swap.
const MARKER = ".ganzoo-web-build";
function checkOut() {
  if (!fs.existsSync(out)) return;
  const has = (...p) => fs.existsSync(path.join(out, ...p));
  const ours = has(MARKER) || (has("models", "index.json") && has("app.js") && has("ort.min.mjs"));
  if (!ours && !(fs.statSync(out).isDirectory() && !fs.readdirSync(out).length)) {
    fail(`GANZOO_WEB_OUT=${out} exists and is not a site this build wrote (no ${MARKER}): it would be ` +
      "replaced; name a new folder");
  }
}
checkOut();
// every entry with bundled weights, from `ganzoo list --json` (names, shapes, classes; no parsing of the table)
const zoo = JSON.parse(py("list", "--json"));
let entries = (process.env.GANZOO_WEB_ENTRIES || "").split(",").filter(Boolean);
const folders = (process.env.GANZOO_WEB_FOLDERS || "").split(",").filter(Boolean);
if (!entries.length && !folders.length) entries = zoo.map((e) => e.name);
const unknown = entries.filter((n) => !zoo.some((e) => e.name === n));
if (unknown.length) fail(`GANZOO_WEB_ENTRIES names entries without bundled weights: ${unknown.join(", ")}`);
// [name, source given to `ganzoo export`, its metadata]
const models = entries.map((n) => [n, n, zoo.find((e) => e.name === n)]);
for (const f of folders) {
  const meta = JSON.parse(py("info", f));  // a folder's config: shapes, classes, a translator's domains
  const base = path.basename(path.resolve(f));
  const name = base === "model" ? path.basename(path.dirname(path.resolve(f))) : base;
  if (models.some(([n]) => n === name)) fail(`two models are named ${name}; rename a folder`);
  models.push([name, f, { ...meta, architecture: meta.config.architecture, dataset: meta.config.dataset }]);
}
fs.mkdirSync(path.dirname(out), { recursive: true });
tmp = fs.mkdtempSync(`${out}.tmp-`);
fs.mkdirSync(path.join(tmp, "models"));
for (const f of fs.readdirSync(path.join(here, "src"))) fs.copyFileSync(path.join(here, "src", f), path.join(tmp, f));
for (const f of ORT_FILES) fs.copyFileSync(path.join(ortDist, f), path.join(tmp, f));
const index = [];
for (const [name, source, e] of models) {
  if (e.domains) {  // image-to-image: one file per direction, keyed by the domain it translates into
    const files = {};
    for (const to of e.domains) {
      files[to] = `models/${name}.to-${to}.onnx`;
      py("export", source, "--to", to, "-o", path.join(tmp, files[to]));
    }
    index.push({ name, kind: "translation", files, version: e.version ?? null, architecture: e.architecture,
                 domains: e.domains, image_shape: e.image_shape });
  } else {
    const file = `models/${name}.onnx`;
    py("export", source, "-o", path.join(tmp, file));
    index.push({ name, kind: "generator", file, version: e.version ?? null, architecture: e.architecture,
                 dataset: e.dataset, latent_dim: e.latent_dim, image_shape: e.image_shape,
                 num_classes: e.num_classes, class_names: e.class_names });
  }
  console.log(`exported ${name}`);
}
fs.writeFileSync(path.join(tmp, "models", "index.json"), JSON.stringify(index, null, 1) + "\n");
fs.writeFileSync(path.join(tmp, MARKER), "written by ganzoo's web/build.mjs: the next build replaces this folder\n");
checkOut();  // the exports took minutes: the folder may have changed meanwhile
fs.rmSync(out, { recursive: true, force: true });
fs.renameSync(tmp, out);
console.log(`wrote ${out} (${index.length} models); serve it with: python -m http.server -d ${path.relative(process.cwd(), out) || "."}`);

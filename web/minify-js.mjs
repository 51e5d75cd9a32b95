// Trunk post_build hook: minifies the page's JS in release builds (Trunk's own JS minifier
// stops at wasm-bindgen's `export { ... as default }`), then rewrites that file's integrity
// hash in index.html so the browser's subresource check still passes.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { minify } from "terser";

if (process.env.TRUNK_PROFILE !== "release") process.exit(0);
const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error("TRUNK_STAGING_DIR is not set: run this as a Trunk post_build hook");
const sri = (text) => "sha384-" + createHash("sha384").update(text).digest("base64");
const htmlPath = join(dir, "index.html");
let html = readFileSync(htmlPath, "utf8");
for (const name of readdirSync(dir).filter((n) => n.endsWith(".js"))) {
  const path = join(dir, name);
  const before = readFileSync(path, "utf8");
  // The worker's scripts (check.js and its loader) are classic scripts that index.html does
  // not reference: their top-level names (wasm_bindgen) are what the loader calls.
  const worker = name.startsWith("check");
  const { code } = await minify(before, { module: !worker, compress: true, mangle: true });
  const [oldHash, newHash] = [sri(before), sri(code)];
  if (!worker && !html.includes(oldHash)) throw new Error(`index.html has no integrity ${oldHash} for ${name}`);
  html = html.replaceAll(oldHash, newHash);
  writeFileSync(path, code);
  console.log(`minify-js: ${name} ${before.length} -> ${code.length} bytes`);
}
writeFileSync(htmlPath, html);

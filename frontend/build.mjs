// Bundles every src/entries/<name>.ts into ../rollouts_widgets/widgets/static/<name>.js
// (+ <name>.css when the entry imports CSS). Adding a widget = adding an entry file.
import { build } from "esbuild";
import { readdirSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, basename } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const entriesDir = join(here, "src", "entries");
const outdir = join(here, "..", "rollouts_widgets", "widgets", "static");

const entries = readdirSync(entriesDir)
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
  .map((f) => join(entriesDir, f));
if (entries.length === 0) throw new Error(`no entries in ${entriesDir}`);

mkdirSync(outdir, { recursive: true });
for (const f of readdirSync(outdir)) {
  if (/\.(js|css|map)$/.test(f)) rmSync(join(outdir, f));
}

const result = await build({
  entryPoints: entries,
  outdir,
  bundle: true,
  format: "esm", // anywidget loads each bundle as an ES module
  target: "es2020",
  minify: true,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
});

for (const [file, info] of Object.entries(result.metafile.outputs)) {
  console.log(`built ${basename(file)} ${(info.bytes / 1024).toFixed(1)} KiB`);
}

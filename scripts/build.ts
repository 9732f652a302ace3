/**
 * Builds dist/oo: one executable carrying the app, its views, static files, SQL migrations and
 * the Python scorer (all imported by the code, so the bundler embeds them).
 * Nothing is minified: Elysia reads each handler's and guard's source text to learn what it uses
 * (a guard handed the whole context lost its cookies once whitespace was minified), so the
 * executable runs the code exactly as the tests do. Bytecode keeps the start as quick.
 */
import { rmSync } from "node:fs";

const outfile = "dist/oo";
rmSync(outfile, { force: true });
const args = [
  "build",
  "--compile",
  "--bytecode",
  "--format=esm",
  "--no-compile-autoload-dotenv",
  "--no-compile-autoload-bunfig",
  "--sourcemap=none",
  "--outfile",
  outfile,
  "src/main.ts",
];
const started = performance.now();
const build = Bun.spawnSync([process.execPath, ...args], { stdout: "inherit", stderr: "inherit" });
if (build.exitCode !== 0) process.exit(build.exitCode ?? 1);
const size = Bun.file(outfile).size;
console.log(`built ${outfile} (${(size / 1024 / 1024).toFixed(1)} MB) in ${Math.round(performance.now() - started)} ms`);

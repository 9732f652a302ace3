/**
 * `bun run test`: every test, on a fresh machine too. Installs Debian's Chromium for the browser
 * tests when it is missing (as root, with apt), then runs the TypeScript tests and the ml/ tests.
 */
import { existsSync } from "node:fs";
import { CHROMIUM_PATH as CHROMIUM } from "../src/testing/browser.ts";

function run(command: string[], env: Record<string, string> = {}): number {
  console.log(`\n$ ${command.join(" ")}`);
  return Bun.spawnSync(command, { stdout: "inherit", stderr: "inherit", env: { ...process.env, ...env } }).exitCode ?? 1;
}

if (!existsSync(CHROMIUM)) {
  if (process.getuid?.() === 0 && existsSync("/usr/bin/apt-get")) {
    const aptEnv = { DEBIAN_FRONTEND: "noninteractive" };
    if (run(["apt-get", "install", "-y", "--no-install-recommends", "chromium"], aptEnv) !== 0) {
      run(["apt-get", "update"], aptEnv);
      run(["apt-get", "install", "-y", "--no-install-recommends", "chromium"], aptEnv);
    }
  }
  if (!existsSync(CHROMIUM)) {
    console.error(`Chromium is needed for the browser tests: install it (apt-get install -y chromium) or set CHROMIUM_PATH.`);
    process.exit(1);
  }
}

const typescript = run(["bun", "test", ...process.argv.slice(2)]);
const python = run(["python3", "-m", "unittest", "discover", "-s", "ml/tests", "-t", "."]);
process.exit(typescript || python);

import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { variables } from "./config.ts";
import { freePort, tempDir } from "./testing/harness.ts";

const MAIN = join(import.meta.dir, "main.ts");

function run(args: string[], env: Record<string, string> = {}) {
  const result = Bun.spawnSync(["bun", MAIN, ...args], { env: { PATH: process.env.PATH!, ...env }, stdout: "pipe", stderr: "pipe" });
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

async function waitForHealth(url: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {}
    await Bun.sleep(25);
  }
  throw new Error(`${url} never became healthy`);
}

async function readAll(stream: ReadableStream<Uint8Array>) {
  return new Response(stream).text();
}

describe("oo command line", () => {
  test("--help lists the commands and every configuration variable", () => {
    const { code, stdout } = run(["--help"]);
    expect(code).toBe(0);
    for (const command of ["serve", "migrate", "admin-link", "--version"]) expect(stdout).toContain(`oo ${command}`);
    for (const name of Object.keys(variables)) expect(stdout).toContain(name);
  });

  test("--version prints the package version", () => {
    const { code, stdout } = run(["--version"]);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(require("../package.json").version);
  });

  test("an answer that cannot be written (a full disk) exits 1 and says why on stderr", () => {
    const dir = tempDir();
    try {
      for (const args of [["--version"], ["migrate"], ["admin-link"]]) {
        const result = Bun.spawnSync(["bun", MAIN, ...args], {
          env: { PATH: process.env.PATH!, DATA_DIR: dir.path, LOG_LEVEL: "warn" },
          stdout: Bun.file("/dev/full"),
          stderr: "pipe",
        });
        expect(result.exitCode).toBe(1);
        expect(result.stderr.toString()).toBe("oo: could not write the answer to stdout: ENOSPC: no space left on device, write\n");
      }
    } finally {
      dir.cleanup();
    }
  });

  test("commands on an instance's data, pointed where there is none, say so and make nothing; answers alone on stdout; errors in one line", async () => {
    const dir = tempDir();
    try {
      const empty = join(dir.path, "nothing-here");
      for (const command of ["ope", "sim", "backup", "rotate-keys"]) {
        const { code, stdout, stderr } = run([command], { DATA_DIR: empty });
        expect([command, code, stdout]).toEqual([command, 1, ""]);
        expect(stderr).toBe(`oo: no database at ${join(empty, "oo.db")}: run oo ${command} where oO keeps its data, or set DATA_DIR\n`);
      }
      expect(existsSync(empty)).toBe(false);
      // The log of a one-shot command goes to stderr: stdout is its answer alone.
      const migrated = run(["migrate"], { DATA_DIR: dir.path });
      expect(migrated.stdout).toStartWith("applied ");
      expect(migrated.stdout.trim().split("\n")).toHaveLength(1);
      expect(migrated.stderr).toContain('"database migrated"');
      // An argument a command does not take is refused, not ignored.
      expect(run(["backup", "--bogus"], { DATA_DIR: dir.path })).toMatchObject({ code: 2, stderr: 'oo: backup takes no arguments (got "--bogus")\n' });
      // A backup that cannot be written, or a restore from a folder: one line each, exit 1.
      await Bun.write(join(dir.path, "backups"), "a file where the folder goes");
      const unwritable = run(["backup"], { DATA_DIR: dir.path });
      expect(unwritable.code).toBe(1);
      expect(unwritable.stderr.trim().split("\n").filter((line) => !line.startsWith("{"))).toEqual([expect.stringMatching(/^oo: The backup failed: /)]);
      const folder = run(["restore", dir.path], { DATA_DIR: dir.path });
      expect(folder).toMatchObject({ code: 1 });
      expect(folder.stderr).toMatch(/^oo: restore refused: .* is not a readable SQLite database: .*\n$/);
    } finally {
      dir.cleanup();
    }
  });

  test("oo sim and oo ope without a Python to run say so in one line, exit 1", () => {
    const dir = tempDir();
    try {
      expect(run(["migrate"], { DATA_DIR: dir.path }).code).toBe(0);
      for (const command of ["sim", "ope"]) {
        const { code, stderr } = run([command], { DATA_DIR: dir.path, LOG_LEVEL: "warn", PYTHON: "/nonexistent/python3" });
        expect(code).toBe(1);
        expect(stderr).toStartWith("oo: cannot run /nonexistent/python3 (PYTHON): ");
        expect(stderr.trim().split("\n")).toHaveLength(1);
      }
    } finally {
      dir.cleanup();
    }
  });

  test("an unknown command exits 2 with a hint", () => {
    const { code, stderr } = run(["frobnicate"]);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "frobnicate"');
  });

  test("a bad variable stops the boot with one line naming it, exit 2", () => {
    const dir = tempDir();
    try {
      for (const [name, value] of [
        ["PORT", "http"],
        ["API_BASE_URL", "nope"],
        ["ENCRYPTION_KEY", "123"],
        ["TRUSTED_PROXIES", "10.0.0.0/8,proxy.local"],
        ["ADMIN_TOKEN", "too-short"],
      ] as const) {
        const { code, stdout, stderr } = run([], { DATA_DIR: dir.path, [name]: value });
        expect(code).toBe(2);
        expect(stderr.trim().split("\n")).toHaveLength(1);
        expect(stderr).toContain(`invalid ${name}`);
        expect(stdout).toBe("");
      }
      expect(existsSync(join(dir.path, "oo.db"))).toBe(false);
    } finally {
      dir.cleanup();
    }
  });

  test("oo migrate applies migrations once, then reports the database is up to date", () => {
    const dir = tempDir();
    try {
      const first = run(["migrate"], { DATA_DIR: dir.path });
      expect(first.code).toBe(0);
      expect(first.stdout).toContain("applied 0000_foundation");
      const second = run(["migrate"], { DATA_DIR: dir.path });
      expect(second.code).toBe(0);
      expect(second.stdout).toContain("database is up to date");
    } finally {
      dir.cleanup();
    }
  });
});

describe("oo backup and oo restore", () => {
  test("a backup restores whole, after checks; refused while a server runs, for a broken file and for a newer one; the replaced file is kept", async () => {
    const dir = tempDir();
    try {
      const env = { DATA_DIR: dir.path };
      expect(run(["migrate"], env).code).toBe(0);
      const { Database } = await import("bun:sqlite");
      const databasePath = join(dir.path, "oo.db");
      const write = (sql: string) => {
        const db = new Database(databasePath);
        db.run(sql);
        db.close();
      };
      const names = () => new Database(databasePath, { readonly: true }).query<{ name: string }, []>("SELECT name FROM users ORDER BY name").all().map((row) => row.name);
      write("INSERT INTO users (id, name, created_at, updated_at) VALUES ('u1', 'Before', 1, 1)");

      const backup = run(["backup"], env);
      expect(backup.code).toBe(0);
      const file = /backed up to (\S+) \(\d+ bytes\)/.exec(backup.stdout)![1]!;
      expect(file).toStartWith(join(dir.path, "backups", "oo-"));
      write("INSERT INTO users (id, name, created_at, updated_at) VALUES ('u2', 'After', 2, 2)");
      expect(names()).toEqual(["After", "Before"]);

      // A server holds the database: refused, and nothing changes.
      const port = freePort();
      const server = Bun.spawn(["bun", MAIN], { env: { PATH: process.env.PATH!, ...env, PORT: String(port) }, stdout: "ignore", stderr: "ignore" });
      await waitForHealth(`http://127.0.0.1:${port}`);
      const whileServing = run(["restore", file], env);
      expect(whileServing.code).toBe(1);
      expect(whileServing.stderr).toBe(`oo: restore refused: a server is running on ${join(dir.path, "oo.db")}: stop it first\n`);
      server.kill("SIGTERM");
      await server.exited;
      expect(names()).toEqual(["After", "Before"]);

      const broken = join(dir.path, "broken.db");
      await Bun.write(broken, "this is not a database at all, not even close");
      expect(run(["restore", broken], env).stderr).toContain("is not a readable SQLite database");
      const newer = join(dir.path, "newer.db");
      const { copyFileSync } = await import("node:fs");
      copyFileSync(file, newer);
      const newerDb = new Database(newer);
      newerDb.run("INSERT INTO schema_migrations (tag, hash, applied_at) VALUES ('9999_from_the_future', 'x', 1)");
      newerDb.close();
      expect(run(["restore", newer], env).stderr).toContain("was migrated by a newer oO (9999_from_the_future)");
      expect(run(["restore"], env).code).toBe(2);

      // The database itself, by any path to it: refused, and it stays where it is.
      const itself = run(["restore", `${dir.path}/./oo.db`], env);
      expect(itself.stderr).toBe(`oo: restore refused: ${dir.path}/./oo.db is the database itself: name a backup to restore\n`);
      const { linkSync } = await import("node:fs");
      linkSync(databasePath, join(dir.path, "hard.db"));
      expect(run(["restore", join(dir.path, "hard.db")], env).stderr).toContain("is the database itself");
      expect(names()).toEqual(["After", "Before"]);

      const restored = run(["restore", file], env);
      expect(restored.code).toBe(0);
      expect(names()).toEqual(["Before"]);
      const kept = /kept as (\S+)/.exec(restored.stdout)![1]!;
      expect(new Database(kept, { readonly: true }).query("SELECT count(*) AS n FROM users WHERE name = 'After'").get()).toEqual({ n: 1 });
      // A second restore in the same second keeps the first one's kept file.
      const second = run(["restore", file], env);
      expect(second.code).toBe(0);
      expect(/kept as (\S+)/.exec(second.stdout)![1]).not.toBe(kept);
      expect(new Database(kept, { readonly: true }).query("SELECT count(*) AS n FROM users WHERE name = 'After'").get()).toEqual({ n: 1 });
      // And the restored database serves.
      const again = Bun.spawn(["bun", MAIN], { env: { PATH: process.env.PATH!, ...env, PORT: String(port) }, stdout: "ignore", stderr: "ignore" });
      await waitForHealth(`http://127.0.0.1:${port}`);
      again.kill("SIGTERM");
      expect(await again.exited).toBe(0);
    } finally {
      dir.cleanup();
    }
  }, 60_000);
});

describe("oo serve lifecycle", () => {
  test("a second server refuses to start, in one line, on a database or a port already served; the first keeps serving", async () => {
    const dir = tempDir();
    const other = tempDir();
    const port = freePort();
    const first = Bun.spawn(["bun", MAIN], { env: { PATH: process.env.PATH!, DATA_DIR: dir.path, PORT: String(port), LOG_LEVEL: "warn" }, stdout: "ignore", stderr: "pipe" });
    try {
      await waitForHealth(`http://127.0.0.1:${port}`);
      const sameDatabase = run([], { DATA_DIR: dir.path, PORT: String(freePort()) });
      expect(sameDatabase.code).toBe(1);
      expect(sameDatabase.stderr).toBe(`oo: another oO server is serving ${join(dir.path, "oo.db")}: stop it first\n`);
      const samePort = run([], { DATA_DIR: other.path, PORT: String(port), LOG_LEVEL: "warn" });
      expect(samePort.code).toBe(1);
      expect(samePort.stderr).toStartWith(`oo: cannot listen on 127.0.0.1:${port}: `);
      expect(samePort.stderr.trim().split("\n")).toHaveLength(1);
      // The refused ones took nothing from the first: a restore is still refused.
      expect(run(["restore", join(dir.path, "oo.db")], { DATA_DIR: dir.path }).stderr).toStartWith("oo: restore refused: a server is running");
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
      // The lock ends with the process, however it ends: killed outright, the next server starts.
      first.kill("SIGKILL");
      await first.exited;
      const next = Bun.spawn(["bun", MAIN], { env: { PATH: process.env.PATH!, DATA_DIR: dir.path, PORT: String(port), LOG_LEVEL: "warn" }, stdout: "ignore", stderr: "pipe" });
      await waitForHealth(`http://127.0.0.1:${port}`);
      next.kill("SIGTERM");
      expect(await next.exited).toBe(0);
      expect(await readAll(next.stderr)).toBe("");
    } finally {
      first.kill();
      dir.cleanup();
      other.cleanup();
    }
  }, 30_000);

  test("a database in a folder that does not exist yet: the folder is made and the server starts", async () => {
    const dir = tempDir();
    const port = freePort();
    const databasePath = join(dir.path, "new", "deeper", "oo.db");
    const child = Bun.spawn(["bun", MAIN], { env: { PATH: process.env.PATH!, DATA_DIR: dir.path, DATABASE_PATH: databasePath, PORT: String(port), LOG_LEVEL: "warn" }, stdout: "ignore", stderr: "pipe" });
    try {
      await waitForHealth(`http://127.0.0.1:${port}`);
      expect(existsSync(databasePath)).toBe(true);
      child.kill("SIGTERM");
      expect(await child.exited).toBe(0);
      expect(await readAll(child.stderr)).toBe("");
    } finally {
      child.kill();
      dir.cleanup();
    }
  });

  test("a SIGTERM while it boots stops it cleanly once the boot is done: exit 0, the database closed", async () => {
    const dir = tempDir();
    try {
      const child = Bun.spawn(["bun", MAIN], {
        env: { PATH: process.env.PATH!, DATA_DIR: dir.path, PORT: String(freePort()), LOG_LEVEL: "info" },
        stdout: "pipe",
        stderr: "pipe",
      });
      // The database file appears as the boot opens it, before the server listens.
      const database = join(dir.path, "oo.db");
      while (!existsSync(database)) await Bun.sleep(1);
      child.kill("SIGTERM");
      expect(await child.exited).toBe(0);
      const lines = (await readAll(child.stdout)).trim().split("\n").map((line) => JSON.parse(line));
      expect(lines.some((line) => line.msg === "shutting down" && line.signal === "SIGTERM")).toBe(true);
      expect(lines.at(-1).msg).toBe("stopped");
      expect(await readAll(child.stderr)).toBe("");
    } finally {
      dir.cleanup();
    }
  });

  test("boots on a fresh data dir, logs JSON without secrets, stops cleanly on SIGTERM, reuses secrets", async () => {
    const dir = tempDir();
    try {
      const boot = async () => {
        const port = freePort();
        const child = Bun.spawn(["bun", MAIN], {
          env: { PATH: process.env.PATH!, DATA_DIR: dir.path, PORT: String(port) },
          stdout: "pipe",
          stderr: "pipe",
        });
        const url = `http://127.0.0.1:${port}`;
        await waitForHealth(url);
        // Signed out, the tip page sends people to sign in.
        const home = await fetch(url, { redirect: "manual" });
        expect(home.status).toBe(303);
        // The log writes in batches while serving, but a line is out within a fraction of a second. What
        // the operator must read (how the owner gets in) comes once the first requests are answered.
        const reader = child.stdout.getReader();
        const decoder = new TextDecoder();
        let stdout = "";
        const deadline = Date.now() + 2_000;
        while (!(stdout.includes('"msg":"request"') && stdout.includes("Google sign-in is off")) && Date.now() < deadline) {
          const chunk = await Promise.race([reader.read(), Bun.sleep(deadline - Date.now()).then(() => null)]);
          if (chunk?.value) stdout += decoder.decode(chunk.value, { stream: true });
        }
        expect(stdout).toContain('"msg":"request"');
        child.kill("SIGTERM");
        const code = await child.exited;
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) stdout += decoder.decode(chunk.value, { stream: true });
        stdout += decoder.decode();
        return { code, stdout, stderr: await readAll(child.stderr) };
      };

      const first = await boot();
      expect(first.code).toBe(0);
      expect(first.stderr).toBe("");
      const lines = first.stdout.trim().split("\n").map((line) => JSON.parse(line));
      expect(lines.some((line) => line.msg === "oO is listening")).toBe(true);
      // Without Google, the operator learns from the log how the owner gets in; /signin says only that it is closed.
      expect(lines.some((line) => String(line.msg).startsWith("Google sign-in is off") && String(line.msg).includes("oo admin-link"))).toBe(true);
      expect(lines.some((line) => line.msg === "request" && line.path === "/" && line.status === 303)).toBe(true);
      expect(lines.at(-1).msg).toBe("stopped");

      const secretsFile = join(dir.path, "secrets.json");
      expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
      const secrets = JSON.parse(readFileSync(secretsFile, "utf8")) as Record<string, string>;
      for (const value of Object.values(secrets)) expect(first.stdout).not.toContain(value);
      // A clean close checkpoints the WAL into the one database file.
      const wal = join(dir.path, "oo.db-wal");
      expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);

      const second = await boot();
      expect(second.code).toBe(0);
      expect(JSON.parse(readFileSync(secretsFile, "utf8"))).toEqual(secrets);
      expect(second.stdout).not.toContain("database migrated");
    } finally {
      dir.cleanup();
    }
  }, 30_000);
});

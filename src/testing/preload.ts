import { afterAll } from "bun:test";
import { removeRunTempDirs } from "./temp-dirs.ts";

// Code must use the user's IANA zone explicitly; a UTC process clock makes any slip visible in tests.
process.env.TZ = "UTC";

// A hook in the preload runs once, after every test file: bun test never emits process "exit".
afterAll(removeRunTempDirs);

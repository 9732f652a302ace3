const t = performance.now();
await import("./src/commands.ts");
console.log("import ms", (performance.now() - t).toFixed(1));

/**
 * Draws the oO mark (a small ring beside a large one, white on black) into the PNG icons and
 * favicon under views/public. Run after changing the mark: `bun scripts/make-icons.ts`.
 */
import { deflateSync } from "node:zlib";

const publicDir = new URL("../views/public/", import.meta.url);

/** Coverage (0..1) of the mark at a point in a unit square, with maskable-safe padding. */
function ink(x: number, y: number): number {
  const rings = [
    { cx: 0.27, cy: 0.58, r: 0.1, w: 0.045 },
    { cx: 0.64, cy: 0.5, r: 0.18, w: 0.06 },
  ];
  return rings.some(({ cx, cy, r, w }) => Math.abs(Math.hypot(x - cx, y - cy) - r) <= w / 2) ? 1 : 0;
}

function png(size: number): Uint8Array {
  const samples = 4;
  const rows: number[] = [];
  for (let py = 0; py < size; py++) {
    rows.push(0);
    for (let px = 0; px < size; px++) {
      let covered = 0;
      for (let sy = 0; sy < samples; sy++)
        for (let sx = 0; sx < samples; sx++) covered += ink((px + (sx + 0.5) / samples) / size, (py + (sy + 0.5) / samples) / size);
      const level = Math.round((255 * covered) / (samples * samples));
      rows.push(level, level, level);
    }
  }
  const chunk = (type: string, data: Uint8Array) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(Bun.hash.crc32(body) >>> 0, 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolour RGB
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.from(rows), { level: 9 })),
    chunk("IEND", new Uint8Array()),
  ]);
}

/** An .ico holding one PNG image, which every current browser reads. */
function ico(image: Uint8Array, size: number): Uint8Array {
  const header = Buffer.alloc(22);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(1, 4);
  header[6] = size;
  header[7] = size;
  header.writeUInt16LE(1, 10);
  header.writeUInt16LE(32, 12);
  header.writeUInt32LE(image.length, 14);
  header.writeUInt32LE(22, 18);
  return Buffer.concat([header, image]);
}

for (const size of [192, 512]) await Bun.write(new URL(`icon-${size}.png`, publicDir), png(size));
await Bun.write(new URL("apple-touch-icon.png", publicDir), png(180));
await Bun.write(new URL("favicon.ico", publicDir), ico(png(32), 32));
console.log("icons written to views/public");

/**
 * Draws the oO mark (a small ring beside a large one, white on black) into the PNG icons and
 * favicon under views/public. Run after changing the mark: `bun scripts/make-icons.ts`.
 *
 * Two layouts of the same mark on a full-bleed black square:
 *  - "any" (icon-192/512.png, favicon.ico): the mark fills the icon, a small margin around it,
 *    for places that show the icon as it is (install dialog, desktop shortcut, tab);
 *  - "maskable" (icon-maskable-192/512.png, apple-touch-icon.png): every inked point inside the
 *    central circle of 80 % diameter (the maskable safe zone), so a launcher may crop the icon to
 *    any shape it likes and keep the whole mark.
 */
import { encodePng } from "./png.ts";

const publicDir = new URL("../views/public/", import.meta.url);

/** The mark in its own units: two rings (centre, radius, stroke width). */
const RINGS = [
  { cx: 0.27, cy: 0.58, r: 0.1, w: 0.045 },
  { cx: 0.64, cy: 0.5, r: 0.18, w: 0.06 },
];
const outer = (ring: (typeof RINGS)[number]) => ring.r + ring.w / 2;
const left = Math.min(...RINGS.map((ring) => ring.cx - outer(ring)));
const right = Math.max(...RINGS.map((ring) => ring.cx + outer(ring)));
const top = Math.min(...RINGS.map((ring) => ring.cy - outer(ring)));
const bottom = Math.max(...RINGS.map((ring) => ring.cy + outer(ring)));
/** The mark's bounding box centre: placed at the icon's centre. */
const centre = { x: (left + right) / 2, y: (top + bottom) / 2 };

type Layout = "any" | "maskable";

/** Scale from mark units to the unit icon square. */
function scaleFor(layout: Layout): number {
  if (layout === "any") {
    // The mark's wider side spans 88 % of the icon: a 6 % margin on each side.
    return 0.88 / Math.max(right - left, bottom - top);
  }
  // The inked point farthest from the centre sits at 38 % of the icon's size from it, inside the
  // safe zone's 40 % radius with room for antialiasing and rounding.
  const farthest = Math.max(...RINGS.map((ring) => Math.hypot(ring.cx - centre.x, ring.cy - centre.y) + outer(ring)));
  return 0.38 / farthest;
}

/** Coverage (0 or 1) of the mark at a point of the unit icon square. */
function ink(layout: Layout, x: number, y: number): number {
  const scale = scaleFor(layout);
  const mx = centre.x + (x - 0.5) / scale;
  const my = centre.y + (y - 0.5) / scale;
  return RINGS.some(({ cx, cy, r, w }) => Math.abs(Math.hypot(mx - cx, my - cy) - r) <= w / 2) ? 1 : 0;
}

function png(size: number, layout: Layout): Uint8Array {
  const samples = 4;
  const pixels: number[] = [];
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let covered = 0;
      for (let sy = 0; sy < samples; sy++)
        for (let sx = 0; sx < samples; sx++) covered += ink(layout, (px + (sx + 0.5) / samples) / size, (py + (sy + 0.5) / samples) / size);
      const level = Math.round((255 * covered) / (samples * samples));
      pixels.push(level, level, level);
    }
  }
  return encodePng(size, size, 2, Buffer.from(pixels));
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

const files: [string, Uint8Array][] = [
  ["icon-192.png", png(192, "any")],
  ["icon-512.png", png(512, "any")],
  ["icon-maskable-192.png", png(192, "maskable")],
  ["icon-maskable-512.png", png(512, "maskable")],
  // iOS rounds the corners of a full-bleed image itself; the safe-zone layout keeps the mark clear of them.
  ["apple-touch-icon.png", png(180, "maskable")],
  ["favicon.ico", ico(png(32, "any"), 32)],
];
for (const [name, bytes] of files) {
  await Bun.write(new URL(name, publicDir), bytes);
  console.log(`views/public/${name} ${bytes.length} bytes`);
}

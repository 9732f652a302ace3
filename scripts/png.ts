/** Just enough PNG for the asset scripts (make-icons.ts, make-screenshots.ts): 8-bit, not interlaced. */
import { deflateSync, inflateSync } from "node:zlib";

const SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
/** Colour types: grey, RGB, palette, RGBA. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 6: 4 };

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(Bun.hash.crc32(body) >>> 0, 8 + data.length);
  return out;
}

/**
 * A PNG of `pixels` (rows top to bottom, `CHANNELS[colorType]` bytes a pixel), each row unfiltered
 * (filter 0, which suits flat images best) and deflated at level 9.
 */
export function encodePng(width: number, height: number, colorType: 0 | 2 | 3, pixels: Uint8Array, palette?: Uint8Array): Buffer {
  const stride = width * CHANNELS[colorType]!;
  const rows = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) rows.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = colorType;
  return Buffer.concat([
    SIGNATURE,
    chunk("IHDR", header),
    ...(palette ? [chunk("PLTE", palette)] : []),
    chunk("IDAT", deflateSync(rows, { level: 9 })),
    chunk("IEND", new Uint8Array()),
  ]);
}

/** The pixels of an 8-bit, non-interlaced grey, RGB or RGBA PNG (what Chromium's screenshots are). */
export function decodePng(png: Uint8Array): { width: number; height: number; channels: number; pixels: Buffer } {
  const buffer = Buffer.from(png);
  if (!buffer.subarray(0, 8).equals(SIGNATURE)) throw new Error("not a PNG");
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  for (let offset = 8; offset < buffer.length; ) {
    const length = buffer.readUInt32BE(offset);
    const type = buffer.toString("ascii", offset + 4, offset + 8);
    const body = buffer.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const colorType = body[9]!;
      if (body[8] !== 8 || body[12] !== 0 || colorType === 3 || !(colorType in CHANNELS)) throw new Error("unsupported PNG layout");
      channels = CHANNELS[colorType]!;
    } else if (type === "IDAT") data.push(body);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const source = y * (stride + 1) + 1;
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[row + x - channels]! : 0;
      const b = y ? pixels[row - stride + x]! : 0;
      const c = x >= channels && y ? pixels[row - stride + x - channels]! : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      pixels[row + x] = (raw[source + x]! + predictor) & 255;
    }
  }
  return { width, height, channels, pixels };
}

/**
 * The same image in fewer bytes where it can be: 8-bit grey when every pixel is grey and opaque,
 * else a palette when it has at most 256 opaque colours, else the input as it was.
 */
export function recompressPng(png: Uint8Array): Uint8Array {
  const { width, height, channels, pixels } = decodePng(png);
  const count = width * height;
  const colour = (i: number) => (channels >= 3 ? [pixels[i * channels]!, pixels[i * channels + 1]!, pixels[i * channels + 2]!] : [pixels[i * channels]!, pixels[i * channels]!, pixels[i * channels]!]);
  if (channels === 4) for (let i = 0; i < count; i++) if (pixels[i * 4 + 3] !== 255) return png;
  const indexOf = new Map<number, number>();
  const indices = Buffer.alloc(count);
  let grey = true;
  for (let i = 0; i < count; i++) {
    const [r, g, b] = colour(i);
    if (r !== g || g !== b) grey = false;
    const key = (r! << 16) | (g! << 8) | b!;
    let index = indexOf.get(key);
    if (index === undefined) {
      if (indexOf.size === 256) return png;
      index = indexOf.size;
      indexOf.set(key, index);
    }
    indices[i] = index;
  }
  let smaller: Uint8Array;
  if (grey) {
    const levels = Buffer.alloc(count);
    for (let i = 0; i < count; i++) levels[i] = colour(i)[0]!;
    smaller = encodePng(width, height, 0, levels);
  } else {
    const palette = Buffer.alloc(indexOf.size * 3);
    for (const [key, index] of indexOf) palette.set([key >> 16, (key >> 8) & 255, key & 255], index * 3);
    smaller = encodePng(width, height, 3, indices, palette);
  }
  return smaller.length < png.length ? smaller : png;
}

// Minimal PNG reading and writing for the Node examples (no dependencies): 8-bit greyscale out; 8-bit greyscale,
// grey + alpha, RGB or RGBA in (converted to greyscale as Pillow's convert("L") does). An image with transparent
// pixels is refused, as ganzoo's Python side refuses it: what lies behind them is a guess.
import zlib from "node:zlib";

const MAX_PIXELS = 2 ** 26;  // Pillow warns of a decompression bomb above 89,478,485 pixels; no model takes such
const SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
const crcTable = Array.from({ length: 256 }, (_, i) => {
  let c = i;
  for (let j = 0; j < 8; j++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const c = Buffer.alloc(4);
  c.writeUInt32BE(crc(td));
  return Buffer.concat([len, td, c]);
}

// an 8-bit greyscale PNG of `pixels` (width * height bytes, row by row)
export function encodeGrey(width, height, pixels) {
  const raw = Buffer.alloc(height * (1 + width));  // scanlines, each with filter byte 0
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * width, (y + 1) * width), y * (1 + width) + 1);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;  // bit depth; colour type 0 (greyscale), no interlace
  return Buffer.concat([SIGNATURE, chunk("IHDR", ihdr), chunk("IDAT", zlib.deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

// {width, height, grey}: a PNG file's pixels as 8-bit greyscale; an Error saying why for what it cannot read
export function decodeGrey(buf, name = "the file") {
  if (buf.length < 8 || !buf.subarray(0, 8).equals(SIGNATURE)) throw new Error(`${name} is not a PNG file`);
  let pos = 8, ihdr = null, trns = null;
  const idat = [];
  while (pos + 8 <= buf.length) {
    const len = buf.readUInt32BE(pos), type = buf.toString("latin1", pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === "IHDR") ihdr = data;
    else if (type === "IDAT") idat.push(data);
    else if (type === "tRNS") trns = data;  // greyscale / RGB: the one colour that is transparent (2 bytes a sample)
    else if (type === "IEND") break;
    pos += 12 + len;
  }
  if (!ihdr || ihdr.length < 13 || !idat.length) throw new Error(`${name} is a damaged PNG (no IHDR or IDAT chunk)`);
  const width = ihdr.readUInt32BE(0), height = ihdr.readUInt32BE(4), depth = ihdr[8], type = ihdr[9];
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[type];
  if (depth !== 8 || !channels || ihdr[12] !== 0) {
    throw new Error(`${name}: only 8-bit, non-interlaced greyscale or RGB(A) PNGs are read here (bit depth ${depth}, ` +
      `colour type ${type}${ihdr[12] ? ", interlaced" : ""}); save it as an 8-bit greyscale PNG`);
  }
  if (trns && (channels === 1 || channels === 3) && trns.length < 2 * channels) {
    throw new Error(`${name} is a damaged PNG (tRNS of ${trns.length} bytes)`);  // as Pillow refuses it
  }
  if (!width || !height || width * height > MAX_PIXELS) {
    throw new Error(`${name} is a damaged PNG or too large (${width}x${height} pixels; at most ${MAX_PIXELS} here)`);
  }
  const stride = width * channels;
  let raw;
  try {  // no more than the image needs: a small file that inflates to gigabytes (a zip bomb) stops here
    raw = zlib.inflateSync(Buffer.concat(idat), { maxOutputLength: height * (stride + 1) });
  } catch (e) {
    throw new Error(`${name} is a damaged PNG (${e.code === "ERR_BUFFER_TOO_LARGE" ? "more image data than " +
      `${width}x${height} pixels` : `its image data does not decompress: ${e.message}`})`);
  }
  if (raw.length < height * (stride + 1)) throw new Error(`${name} is a damaged PNG (too little image data)`);
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {  // undo the scanline filters (PNG spec, section 9)
    const f = raw[y * (stride + 1)], line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? px[y * stride + x - channels] : 0, b = y ? px[(y - 1) * stride + x] : 0;
      const c = x >= channels && y ? px[(y - 1) * stride + x - channels] : 0;
      let pred = 0;
      if (f === 1) pred = a;
      else if (f === 2) pred = b;
      else if (f === 3) pred = (a + b) >> 1;
      else if (f === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (f !== 0) throw new Error(`${name} is a damaged PNG (filter type ${f})`);
      px[y * stride + x] = (line[x] + pred) & 255;
    }
  }
  let clear = 0;  // pixels with alpha below 255, or of the colour tRNS names
  for (let i = 0; i < width * height; i++) {
    const p = i * channels;
    if (channels === 2 || channels === 4) clear += px[p + channels - 1] < 255;
    else if (trns) {
      let same = true;
      for (let k = 0; k < channels; k++) same &&= trns.readUInt16BE(2 * k) === px[p + k];
      clear += same;
    }
  }
  if (clear) {
    throw new Error(`${name} has transparent pixels (${clear} of ${width * height} with alpha below 255), and what ` +
      "lies behind them is a guess: flatten it first (MNIST and Fashion-MNIST draw white on black; dark strokes " +
      "on transparency: keep the alpha channel as the image; light strokes: paste them onto black)");
  }
  const grey = new Uint8Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const p = i * channels;
    // Pillow's ITU-R 601-2 luma in fixed point: L = R * 299/1000 + G * 587/1000 + B * 114/1000
    grey[i] = channels >= 3 ? (px[p] * 19595 + px[p + 1] * 38470 + px[p + 2] * 7471 + 0x8000) >> 16 : px[p];
  }
  return { width, height, grey };
}

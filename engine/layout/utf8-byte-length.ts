// Size checks on string keys and content types need the UTF-8 length without encoding the string
// (Buffer.byteLength is Node-only, and the codec also runs in browsers).

/** The number of bytes TextEncoder would produce for `text` (a lone surrogate becomes U+FFFD). */
export function utf8ByteLength(text: string): number {
  let byteLength = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit < 0x80) {
      byteLength += 1;
    } else if (unit < 0x800) {
      byteLength += 2;
    } else if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) {
      const low = text.charCodeAt(index + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        byteLength += 4;
        index += 1;
      } else {
        byteLength += 3;
      }
    } else {
      // BMP characters from U+0800, and lone surrogates (encoded as U+FFFD, also 3 bytes).
      byteLength += 3;
    }
  }
  return byteLength;
}

// The media-type syntax of RFC 9110 §8.3.1, the one check a content type passes before it is stored
// (validate-op.ts, on every write path) and again before it is written into a Content-Type header
// (wire/server/http-content.ts). A stored content type is sent back verbatim in an HTTP header, so
// anything that is not a media type (a CR or LF above all) would let one writer inject headers, or a
// whole response, into every later reader's GET.
//
//   media-type     = type "/" subtype parameters
//   parameters     = *( OWS ";" OWS [ parameter ] )
//   parameter      = parameter-name "=" parameter-value
//   parameter-value = token / quoted-string
//   token          = 1*tchar
//   quoted-string  = DQUOTE *( qdtext / quoted-pair ) DQUOTE
//   qdtext         = HTAB / SP / %x21 / %x23-5B / %x5D-7E      (obs-text refused, see below)
//   quoted-pair    = "\" ( HTAB / SP / VCHAR )
//   OWS            = *( SP / HTAB )
//
// obs-text (bytes 0x80-0xFF) is allowed by the grammar but obsolete; a JavaScript string has no
// bytes, and its non-ASCII characters would reach the header as UTF-8, so every non-ASCII character
// is refused: the accepted language is pure printable ASCII plus SP and HTAB. One pass over the
// string, a table lookup per character, no allocation.

const tcharTable = new Uint8Array(128);
for (const character of "!#$%&'*+-.^_`|~") tcharTable[character.charCodeAt(0)] = 1;
for (let code = 0x30; code <= 0x39; code++) tcharTable[code] = 1;
for (let code = 0x41; code <= 0x5a; code++) tcharTable[code] = 1;
for (let code = 0x61; code <= 0x7a; code++) tcharTable[code] = 1;

const slash = 0x2f;
const semicolon = 0x3b;
const equals = 0x3d;
const quote = 0x22;
const backslash = 0x5c;
const space = 0x20;
const tab = 0x09;

function isTchar(code: number): boolean {
  return code < 128 && tcharTable[code] === 1;
}

/** qdtext without obs-text: HTAB, SP, and visible ASCII except DQUOTE and backslash. */
function isQdtext(code: number): boolean {
  return code === tab || code === space || code === 0x21 || (code >= 0x23 && code <= 0x5b) || (code >= 0x5d && code <= 0x7e);
}

/** What may follow a backslash in a quoted-pair: HTAB, SP, VCHAR. */
function isQuotable(code: number): boolean {
  return code === tab || (code >= space && code <= 0x7e);
}

/** The index just past a run of tchars starting at `from` (== from when there is none). */
function skipToken(text: string, from: number): number {
  let index = from;
  while (index < text.length && isTchar(text.charCodeAt(index))) index++;
  return index;
}

function skipWhitespace(text: string, from: number): number {
  let index = from;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code !== space && code !== tab) break;
    index++;
  }
  return index;
}

/** The index just past a quoted-string that opens at `from`, or -1 when it is not one. */
function skipQuotedString(text: string, from: number): number {
  let index = from + 1;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code === quote) return index + 1;
    if (code === backslash) {
      if (index + 1 >= text.length || !isQuotable(text.charCodeAt(index + 1))) return -1;
      index += 2;
    } else if (isQdtext(code)) {
      index++;
    } else {
      return -1;
    }
  }
  return -1;
}

/** The index just past one parameter (name "=" value) starting at `from`, or -1. */
function skipParameter(text: string, from: number): number {
  const nameEnd = skipToken(text, from);
  if (nameEnd === from || text.charCodeAt(nameEnd) !== equals) return -1;
  const valueStart = nameEnd + 1;
  if (valueStart < text.length && text.charCodeAt(valueStart) === quote) return skipQuotedString(text, valueStart);
  const valueEnd = skipToken(text, valueStart);
  return valueEnd === valueStart ? -1 : valueEnd;
}

/** True when `text` is a media type by RFC 9110's grammar (printable ASCII only). */
export function isMediaType(text: string): boolean {
  const typeEnd = skipToken(text, 0);
  if (typeEnd === 0 || text.charCodeAt(typeEnd) !== slash) return false;
  const subtypeEnd = skipToken(text, typeEnd + 1);
  if (subtypeEnd === typeEnd + 1) return false;
  let index = subtypeEnd;
  // Each pass consumes at least the ";" or returns, so the loop ends within text.length passes.
  while (index < text.length) {
    index = skipWhitespace(text, index);
    if (index >= text.length || text.charCodeAt(index) !== semicolon) return false;
    index = skipWhitespace(text, index + 1);
    if (index >= text.length) return true;
    if (text.charCodeAt(index) === semicolon) continue;
    index = skipParameter(text, index);
    if (index === -1) return false;
  }
  return true;
}

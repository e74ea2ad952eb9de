/**
 * Only canonical request targets pass the edge.
 *
 * The gateway hands a client's path to Dapr, and every hop on the way reads it its own way:
 * undici parses it as a WHATWG URL (`%2e%2e` and `\` are dot-segments and slashes there),
 * daprd percent-decodes it and runs `path.Clean`, the callee's sidecar decodes once more when it
 * rebuilds the URL for its app, and Koa matches routes case-insensitively. A path that one of
 * them reads differently from the gateway could name another route, another app's Dapr
 * callbacks or the sidecar's own API. So the gateway accepts only a path that means the same to
 * all of them: the raw target and its decoded form have the same segments, and every segment is
 * spelled in one way only. Everything else is refused with 400 before any policy runs.
 *
 * One pass over the raw target's characters, no regular expressions, no allocation but the
 * result's substrings.
 */

/** The longest path accepted (bytes; the raw target is ASCII once accepted). */
export const MAX_PATH_BYTES = 2048;
/** The longest whole target, query included. */
export const MAX_TARGET_BYTES = 8192;

export interface CanonicalTarget {
  ok: true;
  /** The raw path, unchanged: canonical, so raw and decoded name the same segments. */
  path: string;
  /** The raw query string without its `?` ('' when none), passed on unchanged. */
  query: string;
}

export interface RefusedTarget {
  ok: false;
  status: 400 | 414;
  /** Why, in words that never repeat the client's path. */
  reason: string;
}

/** Characters a path may carry unencoded: RFC 3986 pchar without `;` (path parameters) and `%` (escapes, read apart). */
const RAW_PATH = new Uint8Array(128);
/** Characters that must never be percent-encoded in a canonical path: RFC 3986 unreserved (§6.2.2.2). */
const UNRESERVED = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~') {
  RAW_PATH[c.charCodeAt(0)] = 1;
  UNRESERVED[c.charCodeAt(0)] = 1;
}
for (const c of "!$&'()*+,=:@") RAW_PATH[c.charCodeAt(0)] = 1;

/**
 * Decoded characters refused inside a segment, besides controls: `/` and `\` split segments
 * (daprd's path.Clean, WHATWG URLs); `;` starts path parameters (servlet-style `..;`); `%` would
 * be decoded a second time by the callee's sidecar; `?` and `#` would end the path there.
 */
const REFUSED_DECODED = new Uint8Array(128);
for (const c of '/\\;%?#') REFUSED_DECODED[c.charCodeAt(0)] = 1;

const SLASH = 0x2f;
const PERCENT = 0x25;
const DOT = 0x2e;
const QUESTION = 0x3f;
const HASH = 0x23;

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

function refuse(reason: string, status: 400 | 414 = 400): RefusedTarget {
  return { ok: false, status, reason };
}

/**
 * Checks a raw request target (`req.url` as Node received it, before any decoding) and returns
 * its path and query, or why it is refused:
 *
 * - origin-form only: starts with `/` (no `http://host/…`, no `*`), at most MAX_PATH_BYTES of path;
 * - raw characters: RFC 3986 pchar only (letters, digits, `-._~!$&'()*+,=:@`), so no raw `\`,
 *   `;`, `#`, space, control or non-ASCII byte;
 * - no empty segment (`//`, a trailing `/`), no segment made only of dots (`.`, `..`, `...`,
 *   also with encoded spaces: `..%20`);
 * - escapes: `%` and two hex digits; never an unreserved character (`%2e`, `%41`: those have
 *   one spelling, unencoded), never `/ \ ; % ? #`, NUL, a control character (C0, DEL, C1);
 *   escaped bytes ≥ 0x80 must be well-formed UTF-8 (no overlong form like `%c0%ae`, no
 *   surrogate, nothing past U+10FFFF), each character whole inside one segment;
 * - the query is passed on raw; it may not hold `#`, a space, a control or a non-ASCII byte.
 */
export function canonicalTarget(raw: string): CanonicalTarget | RefusedTarget {
  const length = raw.length;
  if (length > MAX_TARGET_BYTES) return refuse('The request target is too long.', 414);
  if (length === 0 || raw.charCodeAt(0) !== SLASH) return refuse('The request target must be a path starting with "/" (no absolute or asterisk form).');

  let segmentLength = 0; // raw characters in the current segment
  let dots = false; // the current segment holds a dot
  let onlyDots = true; // ... and nothing but dots and (encoded) spaces: `..`, `.. ` are dot-segments to some
  let utf8Needed = 0; // continuation bytes still expected
  let utf8Lower = 0x80; // range of the next continuation byte (excludes overlong forms and surrogates)
  let utf8Upper = 0xbf;
  let c1Lead = false; // lead byte 0xC2: U+0080..U+009F (C1 controls) follow when the next byte is < 0xA0
  let i = 1;
  for (; i < length; i += 1) {
    const code = raw.charCodeAt(i);
    if (code === QUESTION) break;
    if (code === SLASH) {
      if (utf8Needed > 0) return refuse('The path holds an incomplete UTF-8 sequence.');
      if (segmentLength === 0) return refuse('The path holds an empty segment ("//").');
      if (dots && onlyDots) return refuse('The path holds a dot-segment.');
      segmentLength = 0;
      dots = false;
      onlyDots = true;
      continue;
    }
    segmentLength += 1;
    if (code === PERCENT) {
      const high = i + 2 < length ? hexValue(raw.charCodeAt(i + 1)) : -1;
      const low = high >= 0 ? hexValue(raw.charCodeAt(i + 2)) : -1;
      if (low < 0) return refuse('The path holds a malformed percent-escape.');
      const byte = high * 16 + low;
      i += 2;
      if (byte !== 0x20) onlyDots = false;
      if (utf8Needed > 0) {
        if (byte < utf8Lower || byte > utf8Upper) return refuse('The path holds invalid UTF-8.');
        if (c1Lead && byte < 0xa0) return refuse('The path holds a control character.');
        utf8Needed -= 1;
        utf8Lower = 0x80;
        utf8Upper = 0xbf;
        c1Lead = false;
        continue;
      }
      if (byte < 0x80) {
        if (byte < 0x20 || byte === 0x7f) return refuse('The path holds a control character.');
        if (byte === DOT) return refuse('The path holds a dot-segment or an encoded dot.');
        if (UNRESERVED[byte]) return refuse('The path holds a percent-encoded unreserved character (write it unencoded).');
        if (REFUSED_DECODED[byte]) return refuse('The path holds an encoded "/", "\\", ";", "%", "?" or "#".');
        continue;
      }
      // A UTF-8 lead byte (RFC 3629 table: well-formed sequences only).
      if (byte >= 0xc2 && byte <= 0xdf) {
        utf8Needed = 1;
        c1Lead = byte === 0xc2;
      } else if (byte >= 0xe0 && byte <= 0xef) {
        utf8Needed = 2;
        if (byte === 0xe0) utf8Lower = 0xa0; // overlong below U+0800
        if (byte === 0xed) utf8Upper = 0x9f; // surrogates
      } else if (byte >= 0xf0 && byte <= 0xf4) {
        utf8Needed = 3;
        if (byte === 0xf0) utf8Lower = 0x90; // overlong below U+10000
        if (byte === 0xf4) utf8Upper = 0x8f; // past U+10FFFF
      } else {
        return refuse('The path holds invalid UTF-8 (an overlong form, a stray continuation or an impossible byte).');
      }
      continue;
    }
    if (utf8Needed > 0) return refuse('The path holds an incomplete UTF-8 sequence.');
    if (code >= 0x80 || RAW_PATH[code] !== 1) {
      if (code === 0x5c) return refuse('The path holds a backslash.');
      if (code === 0x3b) return refuse('The path holds a ";" (path parameters are not accepted).');
      if (code === HASH) return refuse('The request target holds a fragment.');
      if (code < 0x20 || code === 0x7f) return refuse('The path holds a control character.');
      return refuse('The path holds a character that must be percent-encoded.');
    }
    if (code === DOT) dots = true;
    else onlyDots = false;
  }
  const pathEnd = i;
  if (utf8Needed > 0) return refuse('The path holds an incomplete UTF-8 sequence.');
  if (pathEnd > MAX_PATH_BYTES) return refuse('The request path is too long.', 414);
  // The last segment: "/" alone is the root; otherwise it must be a real segment.
  if (pathEnd > 1) {
    if (segmentLength === 0) return refuse('The path ends with "/" (an empty segment).');
    if (dots && onlyDots) return refuse('The path holds a dot-segment.');
  }
  for (let q = pathEnd + 1; q < length; q += 1) {
    const code = raw.charCodeAt(q);
    if (code <= 0x20 || code >= 0x7f) return refuse('The query holds a space, a control or a non-ASCII character.');
    if (code === HASH) return refuse('The request target holds a fragment.');
  }
  return { ok: true, path: pathEnd === length ? raw : raw.slice(0, pathEnd), query: pathEnd < length ? raw.slice(pathEnd + 1) : '' };
}

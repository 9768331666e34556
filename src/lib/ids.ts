// Sortable ids: a 10-character Crockford base32 millisecond timestamp, then 16 random
// characters. Within one millisecond the random part is incremented, so ids made by one
// isolate sort in creation order (ULID's monotonic rule), which keyset pagination relies on.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

let lastTime = -1;
let lastRandom: number[] = [];

function randomDigits(count: number): number[] {
  const bytes = crypto.getRandomValues(new Uint8Array(count));
  return Array.from(bytes, (b) => b & 31);
}

function incremented(digits: number[]): number[] {
  const next = [...digits];
  for (let i = next.length - 1; i >= 0; i--) {
    const digit = next[i] ?? 0;
    if (digit < 31) {
      next[i] = digit + 1;
      return next;
    }
    next[i] = 0;
  }
  return randomDigits(digits.length);
}

function encodeTime(ms: number): string {
  let out = "";
  let rest = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

export function sortableId(): string {
  const now = Date.now();
  lastRandom = now === lastTime ? incremented(lastRandom) : randomDigits(16);
  lastTime = now;
  return encodeTime(now) + lastRandom.map((d) => ALPHABET[d]).join("");
}

export type IdPrefix =
  | "ws"
  | "acc"
  | "usr"
  | "key"
  | "lce"
  | "cb"
  | "req"
  | "obj"
  | "att"
  | "th"
  | "msg"
  | "exe"
  | "str"
  | "agt"
  | "run";

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${sortableId()}`;
}

export const WORKSPACE_ID_PATTERN = /^ws_[0-9a-z]{26}$/;
/** A workspace slug: how `{ws}` may name a workspace besides its id. */
export const SLUG_PATTERN = /^[a-z0-9-]{1,63}$/;

// Reads a ZIP archive's central directory (names and declared sizes) without inflating
// anything: enough to tell a DOCX from other bytes and to refuse a document whose XML would
// inflate past what a Worker can hold, before a converter unpacks it.

export interface ZipMember {
  name: string;
  compressedSize: number;
  uncompressedSize: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const EOCD_MIN = 22;
const decoder = new TextDecoder();

/** The archive's members, or null when the bytes are not a readable ZIP. */
export function zipMembers(bytes: Uint8Array): ZipMember[] | null {
  if (bytes.byteLength < EOCD_MIN) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end record sits in the last 22 bytes plus at most a 64 KiB comment.
  let eocd = -1;
  const lowest = Math.max(0, bytes.byteLength - EOCD_MIN - 0xffff);
  for (let at = bytes.byteLength - EOCD_MIN; at >= lowest; at--) {
    if (view.getUint32(at, true) === EOCD_SIGNATURE) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) return null;
  const count = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  const members: ZipMember[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.byteLength || view.getUint32(at, true) !== CENTRAL_SIGNATURE) return null;
    const compressedSize = view.getUint32(at + 20, true);
    const uncompressedSize = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    if (at + 46 + nameLength > bytes.byteLength) return null;
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    members.push({ name, compressedSize, uncompressedSize });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return members;
}

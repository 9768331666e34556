import { ApiError } from "../../http/errors";
import { notModified, quoteEtag } from "../../http/etag";
import { contentDisposition } from "./content-disposition";
import { extensionOf } from "./content-types";
import { docxToPdf } from "./docx-to-pdf";
import type { FileEntry } from "./file-index";
import { baseName } from "./paths";

// `GET …/files/{path}?format=pdf`: what the file is decides what happens, read from its first
// bytes (a name can lie, a magic number rarely does). A PDF is served as it is, by the ordinary
// download (ranges, conditions and all); a DOCX is converted; legacy Word 97-2003 (.doc, an OLE
// compound file) is refused with 415: mammoth reads only the Open XML format and nothing else
// installed parses the binary one. Anything else is a 415 too.

/** A DOCX is converted in memory: larger ones are refused before a byte is read. */
export const DOCX_MAX_BYTES = 20 * 1024 * 1024;
/** Part of the converted file's ETag: a new converter makes new bytes, so new tags. */
const CONVERTER_VERSION = "pdf1";

const SNIFF_BYTES = 1024;
const DOCX_EXTENSIONS = new Set(["docx", "docm", "dotx", "dotm"]);
const LEGACY_WORD_EXTENSIONS = new Set(["doc", "dot"]);

type Sniffed = "pdf" | "zip" | "ole" | "other";

const startsWith = (bytes: Uint8Array, magic: readonly number[]) =>
  magic.every((byte, i) => bytes[i] === byte);
const PDF_MAGIC = [0x25, 0x50, 0x44, 0x46, 0x2d]; // "%PDF-"
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04]; // "PK\3\4"
const OLE_MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/** PDF readers accept the header anywhere in the first 1 KiB; ZIP and OLE start at byte 0. */
export function sniff(head: Uint8Array): Sniffed {
  for (let at = 0; at + PDF_MAGIC.length <= head.byteLength; at++) {
    if (startsWith(head.subarray(at), PDF_MAGIC)) return "pdf";
  }
  if (startsWith(head, ZIP_MAGIC)) return "zip";
  if (startsWith(head, OLE_MAGIC)) return "ole";
  return "other";
}

type StoredFile = FileEntry & { objectKey: string };

/**
 * The PDF answer for a file: null when the file is a PDF already (the caller serves it as
 * usual, as application/pdf), else the converted document (or a 304 for its ETag).
 */
export async function pdfResponse(
  bucket: R2Bucket,
  file: StoredFile,
  ifNoneMatch: string | null,
): Promise<Response | null> {
  const head = await readHead(bucket, file);
  const kind = sniff(head);
  if (kind === "pdf") return null;
  const extension = extensionOf(file.path);
  if (kind === "ole" || LEGACY_WORD_EXTENSIONS.has(extension)) {
    throw new ApiError(
      "unsupported_media_type",
      "legacy Word 97-2003 documents (.doc) cannot be converted; only DOCX is converted to PDF (save the document as .docx)",
    );
  }
  if (extension === "pdf") {
    throw new ApiError("unprocessable", "the file is named .pdf but its content is not a PDF");
  }
  if (!DOCX_EXTENSIONS.has(extension)) {
    throw new ApiError(
      "unsupported_media_type",
      "only PDF files (served as they are) and DOCX documents (converted) can be downloaded as PDF",
    );
  }
  if (kind !== "zip") {
    throw new ApiError(
      "unprocessable",
      "the file is not a readable DOCX document: it is not a ZIP archive",
    );
  }

  const etag = `${file.etag ?? ""}.${CONVERTER_VERSION}`;
  const headers = {
    etag: quoteEtag(etag),
    "content-type": "application/pdf",
    "last-modified": new Date(file.updated_at).toUTCString(),
    "content-disposition": contentDisposition("inline", pdfName(file.path)),
    // The converted bytes exist only for this response: no ranges into them.
    "accept-ranges": "none",
  };
  if (notModified(ifNoneMatch, etag)) return new Response(null, { status: 304, headers });
  if (file.size > DOCX_MAX_BYTES) {
    throw new ApiError(
      "too_large",
      `a DOCX of ${file.size} bytes is too large to convert; at most ${DOCX_MAX_BYTES} bytes`,
    );
  }
  const object = await bucket.get(file.objectKey);
  if (!object) throw new ApiError("internal", "the file's bytes are missing from storage");
  const bytes = new Uint8Array(await object.arrayBuffer());
  const pdf = await docxToPdf(bytes, {
    title: baseName(file.path),
    date: new Date(file.updated_at),
  });
  return new Response(pdf, {
    status: 200,
    headers: { ...headers, "content-length": String(pdf.byteLength) },
  });
}

async function readHead(bucket: R2Bucket, file: StoredFile): Promise<Uint8Array> {
  if (file.size === 0) return new Uint8Array(0);
  const object = await bucket.get(file.objectKey, {
    range: { offset: 0, length: Math.min(SNIFF_BYTES, file.size) },
  });
  if (!object) throw new ApiError("internal", "the file's bytes are missing from storage");
  return new Uint8Array(await object.arrayBuffer());
}

/** `report.docx` → `report.pdf`. */
const pdfName = (path: string) => `${baseName(path).replace(/\.[^.]*$/, "") || "document"}.pdf`;

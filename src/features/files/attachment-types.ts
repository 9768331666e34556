import { ApiError } from "../../http/errors";
import { looksLikeText, sniffMagic } from "./content-sniff";
import { extensionOf } from "./content-types";

// The types an attachment may have, and which one a body is. The content decides: a binary
// format must prove itself by its magic number, text by being UTF-8 without control bytes. The
// client's name and Content-Type are claims; a claim the content contradicts is refused (415)
// rather than corrected, so nothing is ever stored under a type its uploader did not expect.

export interface AttachmentType {
  /** The media type the content proves, as stored and served. */
  contentType: string;
  label: string;
  /** The extensions that claim it; the first is the one a name without one is given. */
  extensions: readonly string[];
  /** Content-Type values that claim it (parameters ignored). */
  mediaTypes: readonly string[];
  text: boolean;
}

const binary = (
  contentType: string,
  label: string,
  extensions: string[],
  aliases: string[] = [],
): AttachmentType => ({
  contentType,
  label,
  extensions,
  mediaTypes: [contentType, ...aliases],
  text: false,
});

const text = (
  mediaType: string,
  label: string,
  extensions: string[],
  aliases: string[] = [],
): AttachmentType => ({
  contentType: `${mediaType}; charset=utf-8`,
  label,
  extensions,
  mediaTypes: [mediaType, ...aliases],
  text: true,
});

export const ATTACHMENT_TYPES: readonly AttachmentType[] = [
  binary("image/png", "PNG", ["png"]),
  binary("image/jpeg", "JPEG", ["jpg", "jpeg"], ["image/jpg", "image/pjpeg"]),
  binary("image/gif", "GIF", ["gif"]),
  binary("image/webp", "WebP", ["webp"]),
  binary("application/pdf", "PDF", ["pdf"]),
  text("text/plain", "TXT", ["txt", "text"]),
  text("text/markdown", "Markdown", ["md", "markdown"], ["text/x-markdown"]),
  text("text/csv", "CSV", ["csv"]),
];

export const ALLOWED_TYPES_TEXT =
  "attachments may be PNG, JPEG, GIF, WebP, PDF, TXT, Markdown or CSV, judged by their content";

/** Content-Types that claim nothing (what generic clients send for any bytes). */
const NO_CLAIM = new Set([
  "",
  "application/octet-stream",
  "binary/octet-stream",
  "application/x-www-form-urlencoded",
]);

export const unsupported = (reason: string) =>
  new ApiError("unsupported_media_type", `${reason}; ${ALLOWED_TYPES_TEXT}`, {
    details: { allowed: ATTACHMENT_TYPES.map((type) => type.contentType) },
  });

/** The type a name's extension claims: undefined for none, an error for one we refuse. */
function claimOfName(name: string): AttachmentType | undefined {
  const extension = extensionOf(name);
  if (!extension) return undefined;
  const type = ATTACHMENT_TYPES.find((candidate) => candidate.extensions.includes(extension));
  if (!type) throw unsupported(`'.${extension}' files are not accepted`);
  return type;
}

/** The type a Content-Type header claims: undefined for none, an error for one we refuse. */
function claimOfHeader(header: string | undefined): AttachmentType | undefined {
  const mediaType = (header ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (NO_CLAIM.has(mediaType)) return undefined;
  if (mediaType === "multipart/form-data") {
    throw unsupported("send the file's bytes as the request body, not a multipart form");
  }
  const type = ATTACHMENT_TYPES.find((candidate) => candidate.mediaTypes.includes(mediaType));
  if (!type) throw unsupported(`Content-Type '${mediaType}' is not accepted`);
  return type;
}

/**
 * Which allowed type the body is, from its first bytes (`complete` when they are all of it),
 * checked against what the name and Content-Type claim. Throws 415 for anything else.
 */
export function attachmentTypeOf(input: {
  name: string;
  contentType: string | undefined;
  head: Uint8Array;
  complete: boolean;
}): AttachmentType {
  const byName = claimOfName(input.name);
  const byHeader = claimOfHeader(input.contentType);
  const magic = sniffMagic(input.head);
  if (magic) {
    const proven = ATTACHMENT_TYPES.find((type) => type.contentType === magic) as AttachmentType;
    if (byName && byName !== proven) {
      throw unsupported(`the content is ${proven.label} but the name says ${byName.label}`);
    }
    if (byHeader && byHeader !== proven) {
      throw unsupported(`the content is ${proven.label} but Content-Type says ${byHeader.label}`);
    }
    return proven;
  }
  if (!looksLikeText(input.head, input.complete)) {
    throw unsupported(
      byName || byHeader
        ? `the content is not ${(byName ?? byHeader)?.label}`
        : "the content is not of an accepted type",
    );
  }
  // Text has no magic number: which text type it is, is the one thing the claim decides.
  for (const claim of [byName, byHeader]) {
    if (claim && !claim.text) throw unsupported(`the content is text, not ${claim.label}`);
  }
  const claimed = byName ?? byHeader;
  if (!claimed) {
    throw unsupported(
      "text needs a .txt, .md or .csv name (or Content-Type text/plain, text/markdown or text/csv)",
    );
  }
  return claimed;
}

import mammoth from "mammoth";
import { ApiError } from "../../http/errors";
import { blocksFromHtml } from "./docx-blocks";
import { layoutPdf } from "./pdf-layout";
import { zipMembers } from "./zip-directory";

// DOCX → PDF inside the Worker: mammoth reads the document's structure (headings, paragraphs,
// lists, tables, bold/italic, page breaks) as HTML, and pdf-lib lays it out (pdf-layout.ts).
// Styling beyond that (fonts, colours, columns, headers/footers) is not carried over, and images
// become a "[image]" placeholder: a faithful rendering would need a layout engine.

/** The XML of a document may inflate to at most this much: its text is held in memory. */
export const DOCX_MAX_XML_BYTES = 64 * 1024 * 1024;

const STYLE_MAP = [
  // Word's page break (mammoth drops it by default): a new PDF page.
  "br[type='page'] => hr",
];

const unreadable = (why: string) =>
  new ApiError("unprocessable", `the file is not a readable DOCX document: ${why}`);

export async function docxToPdf(
  bytes: Uint8Array,
  document: { title: string; date: Date },
): Promise<Uint8Array> {
  const members = zipMembers(bytes);
  if (!members) throw unreadable("it is not a ZIP archive");
  if (!members.some((member) => member.name === "word/document.xml")) {
    throw unreadable("it has no word/document.xml");
  }
  const xmlBytes = members
    .filter((member) => /\.(xml|rels)$/i.test(member.name))
    .reduce((sum, member) => sum + member.uncompressedSize, 0);
  if (xmlBytes > DOCX_MAX_XML_BYTES) {
    throw new ApiError(
      "too_large",
      `the document's XML inflates to ${xmlBytes} bytes; at most ${DOCX_MAX_XML_BYTES} are converted`,
    );
  }
  // The bytes' own buffer when they fill it (they do, read from R2): no second copy in memory.
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  const arrayBuffer = (
    whole ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
  ) as ArrayBuffer;
  let html: string;
  try {
    // The Node build (tests) reads `buffer`, the browser build (the bundle) `arrayBuffer`.
    const input = { buffer: bytes, arrayBuffer } as unknown as { arrayBuffer: ArrayBuffer };
    const result = await mammoth.convertToHtml(input, {
      styleMap: STYLE_MAP,
      // Images are never read: their bytes would only be inflated to be dropped.
      convertImage: mammoth.images.imgElement(async () => ({ src: "" })),
    });
    html = result.value;
  } catch (error) {
    throw unreadable(error instanceof Error ? error.message : "mammoth could not read it");
  }
  return layoutPdf(blocksFromHtml(html), document);
}

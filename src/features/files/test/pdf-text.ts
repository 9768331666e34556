import { unzlibSync } from "fflate";
import { PDFArray, PDFDict, type PDFDocument, PDFName, PDFRawStream, type PDFRef } from "pdf-lib";

// Reads the text back out of a PDF the converter wrote, for the tests. pdf-lib cannot extract
// text, so this decompresses each page's content streams (Flate, as the server sends them: the
// test reads exactly what a client gets) and collects the text-showing operators: pdf-lib
// writes `/Font size Tf` then `<hex> Tj` with the standard fonts' WinAnsi codes.

export interface TextRun {
  text: string;
  /** The font's BaseFont, e.g. "Helvetica-Bold". */
  font: string;
  size: number;
}

// WinAnsi differs from Latin-1 only in 0x80–0x9f; the few the tests use.
const WIN_ANSI: Record<number, string> = {
  128: "\u20ac",
  145: "\u2018",
  146: "\u2019",
  147: "\u201c",
  148: "\u201d",
  149: "\u2022",
  150: "\u2013",
  151: "\u2014",
};

const decodeHex = (hex: string) =>
  (hex.match(/../g) ?? [])
    .map((pair) => {
      const code = parseInt(pair, 16);
      return WIN_ANSI[code] ?? String.fromCharCode(code);
    })
    .join("");

function streamBytes(stream: PDFRawStream): Uint8Array {
  const filter = stream.dict.get(PDFName.of("Filter"));
  return filter === PDFName.of("FlateDecode") ? unzlibSync(stream.contents) : stream.contents;
}

/** Bytes as one character each (content streams are ASCII operators around binary strings). */
function latin1(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return out;
}

/** The text runs of each page, in drawing order. */
export function pageRuns(pdf: PDFDocument): TextRun[][] {
  return pdf.getPages().map((page) => {
    const fonts = new Map<string, string>();
    const fontDict = page.node.Resources()?.lookup(PDFName.of("Font"));
    if (fontDict instanceof PDFDict) {
      for (const [name, ref] of fontDict.entries()) {
        const font = pdf.context.lookup(ref as PDFRef);
        const base = font instanceof PDFDict ? font.get(PDFName.of("BaseFont")) : undefined;
        fonts.set(name.decodeText(), base instanceof PDFName ? base.decodeText() : "?");
      }
    }
    const contents = page.node.Contents();
    const streams =
      contents instanceof PDFArray
        ? contents.asArray().map((ref) => pdf.context.lookup(ref))
        : [contents];
    const runs: TextRun[] = [];
    for (const stream of streams) {
      if (!(stream instanceof PDFRawStream)) continue;
      const text = latin1(streamBytes(stream));
      let font = "?";
      let size = 0;
      for (const match of text.matchAll(/\/(\S+) ([\d.]+) Tf|<([0-9A-Fa-f]*)> Tj/g)) {
        if (match[1] !== undefined) {
          font = fonts.get(match[1]) ?? match[1];
          size = Number(match[2]);
        } else {
          runs.push({ text: decodeHex(match[3] ?? ""), font, size });
        }
      }
    }
    return runs;
  });
}

/** A page's text as one string, runs joined by spaces, whitespace collapsed. */
export const pageText = (runs: TextRun[]) =>
  runs
    .map((run) => run.text)
    .join(" ")
    .replace(/\s+/g, " ");

import { PDFDocument, type PDFFont, type PDFPage, rgb, StandardFonts } from "pdf-lib";
import type { Block, Run } from "./docx-blocks";

// Lays blocks out on A4 pages with pdf-lib's standard Helvetica fonts: headings larger and bold
// by level, paragraphs and list items wrapped word by word (a word wider than the line is cut),
// table rows as equal columns, a new page when one fills or the document asks for it, and page
// numbers in the footer. The standard fonts encode WinAnsi only: a character outside it is
// replaced (by its unaccented form when there is one, else '?') rather than failing the file.
// No clock goes into the file, so the same document always gives the same bytes (and ETag).

const PAGE = { width: 595.28, height: 841.89, margin: 56 } as const;
const BODY_SIZE = 11;
const LINE_HEIGHT = 1.35;
const HEADING_SIZES = [22, 18, 15, 13, 12, 11] as const;
const LIST_INDENT = 18;
const CELL_GAP = 8;

interface Fonts {
  regular: PDFFont;
  bold: PDFFont;
  italic: PDFFont;
  boldItalic: PDFFont;
}

interface Piece {
  text: string;
  font: PDFFont;
  width: number;
  space: boolean;
}

type Line = Piece[];

export interface LayoutOptions {
  title: string;
  /** Written as the creation date, so the output depends on the document only. */
  date: Date;
}

export async function layoutPdf(blocks: Block[], options: LayoutOptions): Promise<Uint8Array> {
  const pdf = await PDFDocument.create({ updateMetadata: false });
  pdf.setTitle(options.title);
  pdf.setProducer("workspaces-api");
  pdf.setCreationDate(options.date);
  pdf.setModificationDate(options.date);
  const fonts: Fonts = {
    regular: await pdf.embedFont(StandardFonts.Helvetica),
    bold: await pdf.embedFont(StandardFonts.HelveticaBold),
    italic: await pdf.embedFont(StandardFonts.HelveticaOblique),
    boldItalic: await pdf.embedFont(StandardFonts.HelveticaBoldOblique),
  };
  const encodable = new Set(fonts.regular.getCharacterSet());
  const writer = new PageWriter(pdf);
  const width = PAGE.width - 2 * PAGE.margin;

  for (const block of blocks) {
    switch (block.kind) {
      case "page-break":
        writer.breakPage();
        break;
      case "heading": {
        const size = HEADING_SIZES[block.level - 1] ?? BODY_SIZE;
        const lines = wrap(block.runs, fonts, size, width, encodable, true);
        // Space above, and never a heading alone at the foot of a page.
        writer.gap(size * 0.8);
        writer.ensure(lines.length * size * LINE_HEIGHT + BODY_SIZE * LINE_HEIGHT);
        for (const line of lines) writer.line(line, PAGE.margin, size);
        writer.gap(size * 0.3);
        break;
      }
      case "paragraph": {
        for (const line of wrap(block.runs, fonts, BODY_SIZE, width, encodable)) {
          writer.line(line, PAGE.margin, BODY_SIZE);
        }
        writer.gap(BODY_SIZE * 0.6);
        break;
      }
      case "item": {
        const indent = PAGE.margin + LIST_INDENT * (block.depth + 1);
        const lines = wrap(block.runs, fonts, BODY_SIZE, PAGE.margin + width - indent, encodable);
        lines.forEach((line, index) => {
          const marker =
            index === 0 && block.marker
              ? piece(block.marker, fonts.regular, BODY_SIZE, encodable)
              : null;
          writer.line(line, indent, BODY_SIZE, marker);
        });
        writer.gap(BODY_SIZE * 0.25);
        break;
      }
      case "row": {
        const columns = Math.max(1, block.cells.length);
        const columnWidth = (width - CELL_GAP * (columns - 1)) / columns;
        const cells = block.cells.map((cell) =>
          wrap(cell, fonts, BODY_SIZE, columnWidth, encodable),
        );
        const height = Math.max(1, ...cells.map((lines) => lines.length));
        for (let i = 0; i < height; i++) {
          writer.columns(
            cells.map((lines) => lines[i] ?? []),
            columnWidth + CELL_GAP,
            BODY_SIZE,
          );
        }
        writer.gap(BODY_SIZE * 0.4);
        break;
      }
    }
  }
  // An empty document is still a document: one blank page.
  if (pdf.getPageCount() === 0) writer.ensure(0);
  writer.footers(fonts.regular);
  return pdf.save();
}

/** The current page and the baseline of the next line; opens pages as they fill. */
class PageWriter {
  private page: PDFPage | null = null;
  private y = 0;

  constructor(private readonly pdf: PDFDocument) {}

  breakPage(): void {
    // A break at the top of a fresh page would leave a blank page.
    if (this.page && this.y < PAGE.height - PAGE.margin) this.page = null;
  }

  gap(points: number): void {
    if (this.page && this.y < PAGE.height - PAGE.margin) this.y -= points;
  }

  /** Starts a new page unless `height` more points fit on this one. */
  ensure(height: number): void {
    if (!this.page || this.y - height < PAGE.margin) {
      this.page = this.pdf.addPage([PAGE.width, PAGE.height]);
      this.y = PAGE.height - PAGE.margin;
    }
  }

  line(pieces: Line, x: number, size: number, marker: Piece | null = null): void {
    this.ensure(size * LINE_HEIGHT);
    this.y -= size * LINE_HEIGHT;
    if (marker) this.draw([marker], x - marker.width - 6, size);
    this.draw(pieces, x, size);
  }

  columns(lines: Line[], step: number, size: number): void {
    this.ensure(size * LINE_HEIGHT);
    this.y -= size * LINE_HEIGHT;
    lines.forEach((pieces, index) => {
      this.draw(pieces, PAGE.margin + index * step, size);
    });
  }

  footers(font: PDFFont): void {
    const pages = this.pdf.getPages();
    pages.forEach((page, index) => {
      const label = `${index + 1} / ${pages.length}`;
      const size = 9;
      page.drawText(label, {
        x: (PAGE.width - font.widthOfTextAtSize(label, size)) / 2,
        y: PAGE.margin / 2,
        size,
        font,
        color: rgb(0.4, 0.4, 0.4),
      });
    });
  }

  /** Draws a line's pieces left to right, one text operator per run of the same font. */
  private draw(pieces: Line, x: number, size: number): void {
    const page = this.page;
    if (!page) return;
    let cursor = x;
    let i = 0;
    while (i < pieces.length) {
      const first = pieces[i] as Piece;
      let text = "";
      let width = 0;
      for (; i < pieces.length && (pieces[i] as Piece).font === first.font; i++) {
        text += (pieces[i] as Piece).text;
        width += (pieces[i] as Piece).width;
      }
      if (text.trim() !== "") page.drawText(text, { x: cursor, y: this.y, size, font: first.font });
      cursor += width;
    }
  }
}

const fontFor = (run: Run, fonts: Fonts, forceBold: boolean): PDFFont => {
  const bold = run.bold || forceBold;
  if (bold && run.italic) return fonts.boldItalic;
  if (bold) return fonts.bold;
  return run.italic ? fonts.italic : fonts.regular;
};

/** The text with every character the font cannot encode replaced. */
export function encodableText(text: string, encodable: Set<number>): string {
  let out = "";
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (encodable.has(code)) {
      out += char;
      continue;
    }
    if (char === "\t" || char === "\u00a0" || /\s/.test(char)) {
      out += " ";
      continue;
    }
    // "ő" → "o", "ﬁ" → "fi": the compatibility decomposition without its combining marks.
    const plain = char.normalize("NFKD").replace(/\p{M}/gu, "");
    const fits =
      plain !== "" && Array.from(plain).every((c) => encodable.has(c.codePointAt(0) ?? 0));
    out += fits ? plain : "?";
  }
  return out;
}

function piece(text: string, font: PDFFont, size: number, encodable: Set<number>): Piece {
  const safe = encodableText(text, encodable);
  return { text: safe, font, width: font.widthOfTextAtSize(safe, size), space: false };
}

/** Breaks runs into lines no wider than `width`; "\n" in a run forces a line break. */
export function wrap(
  runs: Run[],
  fonts: Fonts,
  size: number,
  width: number,
  encodable: Set<number>,
  forceBold = false,
): Line[] {
  const lines: Line[] = [];
  let line: Line = [];
  let used = 0;
  const finish = () => {
    while (line.at(-1)?.space) line.pop();
    lines.push(line);
    line = [];
    used = 0;
  };
  for (const run of runs) {
    const font = fontFor(run, fonts, forceBold);
    for (const token of run.text.split(/(\n|[ \t]+)/)) {
      if (token === "") continue;
      if (token === "\n") {
        finish();
        continue;
      }
      if (/^[ \t]+$/.test(token)) {
        if (line.length === 0) continue; // no space at the start of a line
        const space = { ...piece(" ", font, size, encodable), space: true };
        line.push(space);
        used += space.width;
        continue;
      }
      let word = piece(token, font, size, encodable);
      if (used + word.width > width && line.length > 0) finish();
      // A word wider than a whole line: cut it where it fills the line.
      while (word.width > width) {
        const chars = Array.from(word.text);
        let cut = 1;
        while (
          cut < chars.length &&
          font.widthOfTextAtSize(chars.slice(0, cut + 1).join(""), size) <= width
        ) {
          cut++;
        }
        line.push(piece(chars.slice(0, cut).join(""), font, size, encodable));
        finish();
        word = piece(chars.slice(cut).join(""), font, size, encodable);
      }
      line.push(word);
      used += word.width;
    }
  }
  if (line.length > 0 || lines.length === 0) finish();
  // Blank lines from trailing breaks carry nothing.
  while (lines.length > 1 && (lines.at(-1) as Line).length === 0) lines.pop();
  return lines;
}

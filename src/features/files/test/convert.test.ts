import {
  Document,
  HeadingLevel,
  LevelFormat,
  Packer,
  PageBreak,
  Paragraph,
  Table,
  TableCell,
  TableRow,
  TextRun,
} from "docx";
import { zipSync } from "fflate";
import { PDFDocument, StandardFonts } from "pdf-lib";
import { beforeAll, describe, expect, it } from "vitest";
import {
  createAccount,
  createWorkspace,
  dispatch,
  expectEnvelope,
  type TestAccount,
} from "../../../../test/helpers";
import { fileUrl, getRaw, putFile, randomBytes, segmentsPath, sha256Hex } from "./file-helpers";
import { pageRuns, pageText } from "./pdf-text";

// `GET …/files/{path}?format=pdf` through the Worker: a DOCX built here with the `docx` package
// is converted and read back (pages, fonts, text); a PDF comes back byte for byte; everything
// else is refused with a 4xx that says why.

let account: TestAccount;
beforeAll(async () => {
  account = await createAccount("convert");
});

const newWorkspace = async () => (await createWorkspace(account)).id;
/** GET (or HEAD) a file with a query: `path` is "a/b.docx?format=pdf". */
function asPdf(
  ws: string,
  pathAndQuery: string,
  headers: Record<string, string> = {},
  method = "GET",
) {
  const [path = "", query = ""] = pathAndQuery.split("?");
  return dispatch(
    new Request(`${fileUrl(ws, segmentsPath(path))}?${query}`, {
      method,
      headers: { authorization: `Bearer ${account.key}`, ...headers },
    }),
  );
}
const pdfUrlPath = (path: string) => `${path}?format=pdf`;

const LOREM =
  "Workspaces keep files in object storage and their names in an index, so a move is one update and a download streams the bytes as they are read.";

/** A document with every structure the converter lays out, long enough for several pages. */
async function sampleDocx(): Promise<Uint8Array> {
  const document = new Document({
    numbering: {
      config: [
        {
          reference: "steps",
          levels: [{ level: 0, format: LevelFormat.DECIMAL, text: "%1.", alignment: "left" }],
        },
      ],
    },
    sections: [
      {
        children: [
          new Paragraph({ text: "Quarterly Report", heading: HeadingLevel.HEADING_1 }),
          new Paragraph({
            children: [
              new TextRun("Opening paragraph with "),
              new TextRun({ text: "boldword", bold: true }),
              new TextRun(" and "),
              new TextRun({ text: "slantword", italics: true }),
              new TextRun(" in Zürich for 12 € “quoted”, Győr and 中文 too."),
            ],
          }),
          new Paragraph({ text: "Shopping list", heading: HeadingLevel.HEADING_2 }),
          new Paragraph({ text: "apples for the bulleted list", bullet: { level: 0 } }),
          new Paragraph({ text: "pears nested deeper", bullet: { level: 1 } }),
          new Paragraph({
            text: "first numbered step",
            numbering: { reference: "steps", level: 0 },
          }),
          new Paragraph({
            text: "second numbered step",
            numbering: { reference: "steps", level: 0 },
          }),
          new Table({
            rows: [
              new TableRow({
                children: [
                  new TableCell({ children: [new Paragraph("cellalpha")] }),
                  new TableCell({ children: [new Paragraph("cellbeta")] }),
                ],
              }),
            ],
          }),
          new Paragraph({ text: "Long section", heading: HeadingLevel.HEADING_3 }),
          ...Array.from(
            { length: 40 },
            (_, i) => new Paragraph(`Paragraph ${i + 1}. ${LOREM} ${LOREM}`),
          ),
          new Paragraph({ text: "Closing words", heading: HeadingLevel.HEADING_2 }),
          new Paragraph("finalsentence of the document."),
        ],
      },
    ],
  });
  return new Uint8Array(await Packer.toArrayBuffer(document));
}

async function loadPdf(response: Response) {
  const bytes = new Uint8Array(await response.arrayBuffer());
  expect(new TextDecoder().decode(bytes.subarray(0, 5))).toBe("%PDF-");
  return { bytes, pdf: await PDFDocument.load(bytes) };
}

describe("DOCX to PDF", () => {
  it("converts headings, paragraphs, lists and tables into a multi-page PDF", async () => {
    const ws = await newWorkspace();
    const docx = await sampleDocx();
    const entry = await putFile(account, ws, "reports/q3 report.docx", docx);
    const response = await asPdf(ws, pdfUrlPath("reports/q3 report.docx"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/pdf");
    expect(response.headers.get("etag")).toBe(`"${entry.etag}.pdf1"`);
    expect(response.headers.get("content-disposition")).toContain('filename="q3 report.pdf"');
    const { bytes, pdf } = await loadPdf(response);
    expect(response.headers.get("content-length")).toBe(String(bytes.byteLength));
    expect(pdf.getPageCount()).toBeGreaterThanOrEqual(2);

    const pages = pageRuns(pdf);
    const all = pages.flat();
    const text = pageText(all);
    // Headings: bold, larger than body text, larger by level.
    const sizeOf = (needle: string) => all.find((run) => run.text.includes(needle));
    const h1 = sizeOf("Quarterly Report");
    const h2 = sizeOf("Shopping list");
    const h3 = sizeOf("Long section");
    const body = sizeOf("Opening paragraph");
    expect(h1?.font).toBe(StandardFonts.HelveticaBold);
    expect(body?.font).toBe(StandardFonts.Helvetica);
    expect(h1?.size).toBeGreaterThan(h2?.size ?? 0);
    expect(h2?.size).toBeGreaterThan(h3?.size ?? 0);
    expect(h3?.size).toBeGreaterThan(body?.size ?? 0);
    expect(sizeOf("boldword")?.font).toBe(StandardFonts.HelveticaBold);
    expect(sizeOf("slantword")?.font).toBe(StandardFonts.HelveticaOblique);
    // WinAnsi characters survive; others are replaced, never fatal.
    expect(text).toContain("in Zürich for 12 € “quoted”, Gyor and ?? too.");
    // Lists: a bullet before each bulleted item, numbers before the numbered ones.
    expect(text).toMatch(/• apples for the bulleted list/);
    expect(text).toMatch(/– pears nested deeper/);
    expect(text).toMatch(/1\. first numbered step 2\. second numbered step/);
    expect(text).toMatch(/cellalpha cellbeta/);
    // Every paragraph made it, in order, and the text flows onto later pages.
    let last = -1;
    for (let i = 1; i <= 40; i++) {
      const at = text.indexOf(`Paragraph ${i}. Workspaces keep files`);
      expect(at, `paragraph ${i}`).toBeGreaterThan(last);
      last = at;
    }
    expect(pageText(pages.at(-1) ?? [])).toContain("finalsentence of the document.");
    expect(pageText(pages[0] ?? [])).not.toContain("finalsentence");
    // Page numbers in the footer.
    expect(pageText(pages[0] ?? [])).toContain(`1 / ${pages.length}`);
  });

  it("starts a new page at an explicit page break", async () => {
    const ws = await newWorkspace();
    const document = new Document({
      sections: [
        {
          children: [
            new Paragraph("beforebreak"),
            new Paragraph({ children: [new PageBreak()] }),
            new Paragraph("afterbreak"),
          ],
        },
      ],
    });
    await putFile(account, ws, "short.docx", new Uint8Array(await Packer.toArrayBuffer(document)));
    const { pdf } = await loadPdf(await asPdf(ws, pdfUrlPath("short.docx")));
    expect(pdf.getPageCount()).toBe(2);
    const pages = pageRuns(pdf).map(pageText);
    expect(pages[0]).toContain("beforebreak");
    expect(pages[0]).not.toContain("afterbreak");
    expect(pages[1]).toContain("afterbreak");
  });

  it("gives the same bytes every time, a stable ETag, 304 on If-None-Match and HEAD headers", async () => {
    const ws = await newWorkspace();
    await putFile(account, ws, "same.docx", await sampleDocx());
    const first = await loadPdf(await asPdf(ws, pdfUrlPath("same.docx")));
    const again = await asPdf(ws, pdfUrlPath("same.docx"));
    const second = await loadPdf(again);
    expect(await sha256Hex(second.bytes)).toBe(await sha256Hex(first.bytes));
    const etag = again.headers.get("etag") ?? "";
    const cached = await asPdf(ws, pdfUrlPath("same.docx"), { "if-none-match": etag });
    expect(cached.status).toBe(304);
    expect(cached.headers.get("etag")).toBe(etag);
    // The source's own etag is not the converted file's.
    const plain = await getRaw(account, ws, "same.docx");
    expect(plain.headers.get("etag")).not.toBe(etag);
    const stale = await asPdf(ws, pdfUrlPath("same.docx"), {
      "if-none-match": plain.headers.get("etag") ?? "",
    });
    expect(stale.status).toBe(200);
    const head = await asPdf(ws, pdfUrlPath("same.docx"), {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toBe("application/pdf");
    expect(head.headers.get("content-length")).toBe(String(first.bytes.byteLength));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it("converts an empty document to one blank page", async () => {
    const ws = await newWorkspace();
    const document = new Document({ sections: [{ children: [] }] });
    await putFile(account, ws, "empty.docx", new Uint8Array(await Packer.toArrayBuffer(document)));
    const { pdf } = await loadPdf(await asPdf(ws, pdfUrlPath("empty.docx")));
    expect(pdf.getPageCount()).toBe(1);
  });
});

describe("PDF as it is", () => {
  async function samplePdf() {
    const pdf = await PDFDocument.create();
    pdf.addPage().drawText("an original pdf");
    return pdf.save();
  }

  it("returns a PDF byte for byte, by its content whatever its name, with ranges", async () => {
    const ws = await newWorkspace();
    const original = await samplePdf();
    const sha = await sha256Hex(original);
    for (const path of ["papers/original.pdf", "papers/no-extension", "papers/odd.bin"]) {
      await putFile(account, ws, path, original);
      const response = await asPdf(ws, pdfUrlPath(path));
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-type"), path).toBe("application/pdf");
      expect(response.headers.get("etag"), path).toBe(`"${sha}"`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      expect(await sha256Hex(bytes), path).toBe(sha);
      expect(response.headers.get("content-length")).toBe(String(original.byteLength));
    }
    const range = await asPdf(ws, pdfUrlPath("papers/original.pdf"), { range: "bytes=0-4" });
    expect(range.status).toBe(206);
    expect(new TextDecoder().decode(await range.arrayBuffer())).toBe("%PDF-");
    const cached = await asPdf(ws, pdfUrlPath("papers/original.pdf"), {
      "if-none-match": `"${sha}"`,
    });
    expect(cached.status).toBe(304);
  });
});

describe("refusals", () => {
  async function expectError(response: Response, status: number, code: string, message?: RegExp) {
    expect(response.status).toBe(status);
    const error = expectEnvelope(await response.json());
    expect(error.code).toBe(code);
    if (message) expect(error.message).toMatch(message);
  }

  it("answers 415 for text and other types", async () => {
    const ws = await newWorkspace();
    await putFile(account, ws, "notes.txt", "just text");
    await putFile(account, ws, "image.png", randomBytes(64));
    await putFile(account, ws, "sheet.xlsx", zipSync({ "xl/workbook.xml": new Uint8Array(4) }));
    for (const path of ["notes.txt", "image.png", "sheet.xlsx"]) {
      await expectError(await asPdf(ws, pdfUrlPath(path)), 415, "unsupported_media_type", /DOCX/);
    }
  });

  it("answers 415 for a legacy .doc, saying only DOCX is converted", async () => {
    const ws = await newWorkspace();
    const ole = new Uint8Array(2048);
    ole.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
    await putFile(account, ws, "old.doc", ole);
    await putFile(account, ws, "renamed.docx", ole);
    await putFile(account, ws, "empty.doc", new Uint8Array(0));
    for (const path of ["old.doc", "renamed.docx", "empty.doc"]) {
      await expectError(
        await asPdf(ws, pdfUrlPath(path)),
        415,
        "unsupported_media_type",
        /only DOCX is converted/,
      );
    }
  });

  it("answers 422, never 500, for a corrupt DOCX or a .pdf that is not one", async () => {
    const ws = await newWorkspace();
    const docx = await sampleDocx();
    const corrupt: [string, Uint8Array][] = [
      ["random.docx", randomBytes(5000, 7)],
      ["empty.docx", new Uint8Array(0)],
      ["truncated.docx", docx.subarray(0, Math.floor(docx.byteLength / 2))],
      ["not-word.docx", zipSync({ "hello.txt": new TextEncoder().encode("hi") })],
      [
        "bad-xml.docx",
        zipSync({
          "[Content_Types].xml": new TextEncoder().encode("<Types"),
          "word/document.xml": new TextEncoder().encode("<w:document><unclosed"),
        }),
      ],
      ["fake.pdf", new TextEncoder().encode("not really a pdf")],
    ];
    for (const [path, bytes] of corrupt) {
      await putFile(account, ws, path, bytes);
      const response = await asPdf(ws, pdfUrlPath(path));
      expect(response.status, path).toBe(422);
      expect(expectEnvelope(await response.json()).code, path).toBe("unprocessable");
    }
  });

  it("refuses a DOCX over 20 MiB (413) and one whose XML would inflate past the cap", async () => {
    const ws = await newWorkspace();
    const big = new Uint8Array(20 * 1024 * 1024 + 1);
    big.set([0x50, 0x4b, 0x03, 0x04]);
    await putFile(account, ws, "huge.docx", big);
    await expectError(await asPdf(ws, pdfUrlPath("huge.docx")), 413, "too_large", /20971520/);
    // 65 MiB of XML compresses to a few KiB: refused from the ZIP's directory, never inflated.
    const bomb = zipSync(
      { "word/document.xml": new Uint8Array(65 * 1024 * 1024).fill(0x20) },
      { level: 9 },
    );
    expect(bomb.byteLength).toBeLessThan(1024 * 1024);
    await putFile(account, ws, "bomb.docx", bomb);
    await expectError(await asPdf(ws, pdfUrlPath("bomb.docx")), 413, "too_large", /inflates/);
  });

  it("answers 400 for another format, 409 for a directory, 404 for a missing file", async () => {
    const ws = await newWorkspace();
    await putFile(account, ws, "dir/a.docx", await sampleDocx());
    await expectError(await asPdf(ws, "dir/a.docx?format=html"), 400, "invalid_request");
    await expectError(await asPdf(ws, pdfUrlPath("dir")), 409, "conflict");
    await expectError(await asPdf(ws, pdfUrlPath("dir/missing.docx")), 404, "not_found");
  });
});

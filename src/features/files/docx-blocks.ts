// mammoth's HTML, read back into the few things the PDF layout draws: headings, paragraphs,
// list items (bulleted or numbered, nested), table rows and page breaks, each a sequence of
// styled text runs. mammoth writes a small, regular subset of HTML (its own writer: lowercase
// tags, quoted attributes, `&amp; &lt; &gt; &quot;` escaped), so a tokenizer is enough; anything
// it does not know (links, spans, underline…) keeps its text and loses its tag.

export interface Run {
  text: string;
  bold: boolean;
  italic: boolean;
}

export type Block =
  | { kind: "heading"; level: number; runs: Run[] }
  | { kind: "paragraph"; runs: Run[] }
  | { kind: "item"; depth: number; marker: string; runs: Run[] }
  | { kind: "row"; cells: Run[][] }
  | { kind: "page-break" };

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === "#") {
      const code =
        name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : Number(name.slice(1));
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

const TOKEN = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>|([^<]+)/g;

interface ListContext {
  ordered: boolean;
  count: number;
}

export function blocksFromHtml(html: string): Block[] {
  const blocks: Block[] = [];
  const lists: ListContext[] = [];
  let bold = 0;
  let italic = 0;
  // The runs being collected, and what they will become when the element closes.
  let runs: Run[] = [];
  let pending: ((runs: Run[]) => Block) | null = null;
  let row: Run[][] | null = null;
  let cell: Run[] | null = null;

  const flush = () => {
    if (pending && runs.some((run) => run.text.trim() !== "")) blocks.push(pending(runs));
    runs = [];
  };
  const start = (make: (runs: Run[]) => Block) => {
    flush();
    pending = make;
  };
  const text = (value: string) => {
    const target = cell ?? runs;
    target.push({ text: value, bold: bold > 0, italic: italic > 0 });
  };

  for (const match of html.matchAll(TOKEN)) {
    const [, closing, rawTag, attributes, content] = match;
    if (content !== undefined) {
      text(decodeEntities(content));
      continue;
    }
    const tag = (rawTag ?? "").toLowerCase();
    const open = closing !== "/";
    const heading = /^h([1-6])$/.exec(tag);
    if (heading) {
      if (open) {
        const level = Number(heading[1]);
        start((collected) => ({ kind: "heading", level, runs: collected }));
      } else {
        flush();
        pending = null;
      }
      continue;
    }
    switch (tag) {
      case "p":
        // A paragraph inside a cell is a line of the cell; inside a list item, its text.
        if (cell) {
          if (!open) text("\n");
        } else if (lists.length === 0 || !pending) {
          if (open) start((collected) => ({ kind: "paragraph", runs: collected }));
          else flush();
        }
        break;
      case "ul":
      case "ol":
        if (open) {
          flush();
          lists.push({ ordered: tag === "ol", count: 0 });
          pending = null;
        } else {
          flush();
          lists.pop();
          // Text after a nested list still belongs to the outer item: a line without a marker.
          const depth = lists.length - 1;
          pending =
            depth < 0
              ? null
              : (collected) => ({ kind: "item", depth, marker: "", runs: collected });
        }
        break;
      case "li": {
        if (!open) {
          flush();
          pending = null;
          break;
        }
        const list = lists.at(-1) ?? { ordered: false, count: 0 };
        list.count++;
        const depth = Math.max(0, lists.length - 1);
        const marker = list.ordered ? `${list.count}.` : depth % 2 === 0 ? "\u2022" : "\u2013";
        start((collected) => ({ kind: "item", depth, marker, runs: collected }));
        break;
      }
      case "tr":
        if (open) {
          flush();
          pending = null;
          row = [];
        } else if (row) {
          if (row.some((cells) => cells.some((run) => run.text.trim() !== ""))) {
            blocks.push({ kind: "row", cells: row });
          }
          row = null;
        }
        break;
      case "td":
      case "th":
        if (open) {
          cell = [];
          if (tag === "th") bold++;
        } else {
          if (cell && row) row.push(cell);
          cell = null;
          if (tag === "th") bold = Math.max(0, bold - 1);
        }
        break;
      case "strong":
      case "b":
        bold = Math.max(0, bold + (open ? 1 : -1));
        break;
      case "em":
      case "i":
        italic = Math.max(0, italic + (open ? 1 : -1));
        break;
      case "br":
        text("\n");
        break;
      case "hr":
        // The style map turns a Word page break into <hr />.
        flush();
        blocks.push({ kind: "page-break" });
        if (!cell && lists.length === 0) pending = null;
        break;
      case "img": {
        const alt = /\balt="([^"]*)"/.exec(attributes ?? "")?.[1];
        text(alt ? `[image: ${decodeEntities(alt)}]` : "[image]");
        break;
      }
      default:
        // Links, spans, sup/sub, footnote lists…: the text stays, the tag goes. A paragraph
        // outside any known block (footnotes, text boxes) still gets one.
        if (open && !pending && !cell && tag !== "a" && tag !== "span") {
          start((collected) => ({ kind: "paragraph", runs: collected }));
        }
    }
  }
  flush();
  return blocks;
}

import fc from "fast-check";
import picomatch from "picomatch";
import { describe, expect, it } from "vitest";
import type { FileEntry } from "./file-index";
import { searchPaths } from "./path-search";

// Glob search over the index in path order: picomatch's semantics (stated here by example, so a
// change of library or options shows), the depth limit, and pages that resume after a path.

const entry = (path: string): FileEntry => ({
  path,
  name: path.slice(path.lastIndexOf("/") + 1),
  kind: "file",
  size: 0,
  etag: null,
  content_type: null,
  created_at: "2026-01-01T00:00:00.000Z",
  updated_at: "2026-01-01T00:00:00.000Z",
  author: null,
});

/** picomatch's matcher, called with the path alone (its second argument is an option). */
const matcher = (glob: string) => {
  const matches = picomatch(glob);
  return (path: string) => matches(path);
};

const TREE = [
  ".env",
  ".github/workflows/ci.yml",
  "README.md",
  "docs/a.md",
  "docs/deep/b.md",
  "docs/deep/deeper/c.md",
  "docs/.hidden.md",
  "src/index.ts",
  "src/lib/x.test.ts",
  "src/lib/x.ts",
  "src/lib/y.js",
].sort();

const search = (
  glob: string,
  options: { after?: string; maxDepth?: number; limit?: number } = {},
) =>
  searchPaths(TREE.map(entry), {
    glob,
    after: options.after ?? null,
    maxDepth: options.maxDepth ?? null,
    limit: options.limit ?? 100,
  });
const paths = (glob: string, options?: Parameters<typeof search>[1]) =>
  search(glob, options).items.map((item) => item.path);

describe("searchPaths: glob semantics", () => {
  it.each([
    ["*.md", ["README.md"]],
    ["*", ["README.md"]],
    ["docs/*", ["docs/a.md"]],
    ["docs/*.md", ["docs/a.md"]],
    ["docs/**/*.md", ["docs/a.md", "docs/deep/b.md", "docs/deep/deeper/c.md"]],
    ["**/*.md", ["README.md", "docs/a.md", "docs/deep/b.md", "docs/deep/deeper/c.md"]],
    ["src/**", ["src/index.ts", "src/lib/x.test.ts", "src/lib/x.ts", "src/lib/y.js"]],
    ["src/lib/?.ts", ["src/lib/x.ts"]],
    ["src/**/*.{js,ts}", ["src/index.ts", "src/lib/x.test.ts", "src/lib/x.ts", "src/lib/y.js"]],
    ["**/*.test.ts", ["src/lib/x.test.ts"]],
    ["src/lib/!(*.test).ts", ["src/lib/x.ts"]],
    ["src/lib/[xy].*", ["src/lib/x.test.ts", "src/lib/x.ts", "src/lib/y.js"]],
    ["README.md", ["README.md"]],
    ["readme.md", []],
  ])("Should match %j to %j", (glob, expected) => {
    expect(paths(glob)).toEqual(expected);
  });

  it("Should not let * or ** match a leading dot; a dot written out matches", () => {
    expect(paths("*")).not.toContain(".env");
    expect(paths("**")).not.toContain(".env");
    expect(paths("**/*.md")).not.toContain("docs/.hidden.md");
    expect(paths("**/*.yml")).toEqual([]);
    expect(paths(".*")).toEqual([".env"]);
    expect(paths("docs/.*")).toEqual(["docs/.hidden.md"]);
    expect(paths(".github/**/*.yml")).toEqual([".github/workflows/ci.yml"]);
  });

  it("Should agree with picomatch on any glob over any paths", () => {
    const part = fc.constantFrom("a", "b", ".c", "d.md", "e.ts", "x");
    const path = fc.array(part, { minLength: 1, maxLength: 4 }).map((parts) => parts.join("/"));
    const glob = fc
      .array(fc.constantFrom("*", "**", "a", "?", "*.md", "{a,b}", ".c", "x"), {
        minLength: 1,
        maxLength: 3,
      })
      .map((parts) => parts.join("/"));
    fc.assert(
      fc.property(fc.uniqueArray(path, { maxLength: 20 }), glob, (all, pattern) => {
        const sorted = [...all].sort();
        const found = searchPaths(sorted.map(entry), {
          glob: pattern,
          after: null,
          maxDepth: null,
          limit: 1000,
        });
        expect(found.items.map((item) => item.path)).toEqual(sorted.filter(matcher(pattern)));
        expect(found.more).toBe(false);
      }),
    );
  });
});

describe("searchPaths: depth, pages", () => {
  it("Should keep only paths of at most max_depth segments", () => {
    expect(paths("**/*.md", { maxDepth: 1 })).toEqual(["README.md"]);
    expect(paths("**/*.md", { maxDepth: 2 })).toEqual(["README.md", "docs/a.md"]);
    expect(paths("**/*.md", { maxDepth: 3 })).toEqual(["README.md", "docs/a.md", "docs/deep/b.md"]);
  });

  it("Should stop at the limit and say more follow only when another match exists", () => {
    expect(search("**/*.md", { limit: 2 })).toMatchObject({ more: true });
    expect(paths("**/*.md", { limit: 2 })).toEqual(["README.md", "docs/a.md"]);
    // Four matches, limit 4: nothing beyond.
    expect(search("**/*.md", { limit: 4 }).more).toBe(false);
    // One match, limit 1: the paths after it match nothing, so no more.
    expect(search("src/**/*.js", { limit: 1 })).toMatchObject({ more: false });
  });

  it("Should resume strictly after the cursor's path", () => {
    expect(paths("**/*.md", { after: "docs/a.md" })).toEqual([
      "docs/deep/b.md",
      "docs/deep/deeper/c.md",
    ]);
    expect(paths("**/*.md", { after: "zzz" })).toEqual([]);
  });

  it("Should visit every match once when paged through after each page's last path", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), (limit) => {
        const seen: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = search("**", { after, limit });
          seen.push(...page.items.map((item) => item.path));
          // Pages that do not move on would loop for ever: fail instead.
          expect(seen.length).toBeLessThanOrEqual(TREE.length);
          if (!page.more) break;
          after = page.items.at(-1)?.path;
        }
        expect(seen).toEqual(TREE.filter(matcher("**")));
      }),
    );
  });
});

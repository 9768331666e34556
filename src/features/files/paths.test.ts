import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../http/errors";
import {
  ancestorsOf,
  baseName,
  isWithin,
  normalizeDirectory,
  normalizePath,
  PATH_LIMITS,
  parentOf,
  pathProblem,
  toolPath,
} from "./paths";

// The path rules on their own: what is refused and why (named in the 400), what is accepted and
// its canonical spelling, and the helpers that walk a path.

const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { status: error.status, message: error.message, details: error.details };
  }
  throw new Error("was not refused");
};

/** Path segments that pass every rule: 1–20 chars of letters, digits, `-`, `_`, `é`, `.`-free. */
const segment = fc
  .array(fc.constantFrom("a", "b", "Z", "0", "9", "-", "_", "é", "日", " "), {
    minLength: 1,
    maxLength: 20,
  })
  .map((chars) => chars.join(""));
const goodPath = fc.array(segment, { minLength: 1, maxLength: 8 }).map((parts) => parts.join("/"));

describe("pathProblem", () => {
  it.each([
    ["", "the path is empty"],
    ["a\u0000b", "the path contains a control character"],
    ["tab\there", "the path contains a control character"],
    ["new\nline", "the path contains a control character"],
    ["del\u007f", "the path contains a control character"],
    ["c1\u0085next", "the path contains a control character"],
    ["c1\u009f", "the path contains a control character"],
    ["a\\b", "the path contains a backslash; use '/'"],
    ["C:\\Windows", "the path contains a backslash; use '/'"],
    ["a//b", "the path has an empty segment ('//' or a trailing '/')"],
    ["/a", "the path has an empty segment ('//' or a trailing '/')"],
    ["a/", "the path has an empty segment ('//' or a trailing '/')"],
    ["..", "the path has a '..' segment"],
    ["a/../b", "the path has a '..' segment"],
    ["x/..", "the path has a '..' segment"],
    [".", "the path has a '.' segment"],
    ["a/./b", "the path has a '.' segment"],
    ["s".repeat(256), "a path segment is longer than 255 bytes"],
    [`dir/${"é".repeat(128)}`, "a path segment is longer than 255 bytes"],
    ["€".repeat(86), "a path segment is longer than 255 bytes"],
    [
      Array.from({ length: 6 }, () => "y".repeat(170)).join("/"),
      "the path is longer than 1024 bytes",
    ],
  ])("Should refuse %j: %s", (path, problem) => {
    expect(pathProblem(path)).toBe(problem);
  });

  it.each([
    "a",
    "...",
    "..a",
    "a..",
    ".hidden",
    "dir/.env",
    "a b/c d",
    "日本/語.txt",
    "s".repeat(255),
    "é".repeat(127),
    "€".repeat(85),
    // 1,024 bytes exactly: five 204-byte segments and their four slashes.
    Array.from({ length: 5 }, () => "x".repeat(204)).join("/"),
  ])("Should accept %j", (path) => {
    expect(pathProblem(path)).toBeNull();
  });

  it("Should count bytes, not characters, at both limits", () => {
    expect(new TextEncoder().encode("é".repeat(128)).byteLength).toBe(256);
    expect(PATH_LIMITS).toEqual({ segmentBytes: 255, pathBytes: 1024 });
    const path1025 = `${Array.from({ length: 5 }, () => "x".repeat(204)).join("/")}z`;
    expect(path1025.length).toBe(1025);
    expect(pathProblem(path1025)).toBe("the path is longer than 1024 bytes");
  });

  it("Should refuse every C0 and C1 control character and DEL, and nothing next to them", () => {
    for (let code = 0; code <= 0xa0; code++) {
      const problem = pathProblem(`a${String.fromCodePoint(code)}b`);
      const control = code < 0x20 || (code >= 0x7f && code <= 0x9f);
      if (control)
        expect(problem, `U+${code.toString(16)}`).toBe("the path contains a control character");
      else if (code === 0x2f)
        expect(problem).toBeNull(); // "a/b"
      else if (code === 0x5c) expect(problem).toBe("the path contains a backslash; use '/'");
      else expect(problem, `U+${code.toString(16)}`).toBeNull();
    }
  });
});

describe("normalizePath", () => {
  it.each([
    ["a/b", "a/b"],
    ["/a/b", "a/b"],
    ["a/b/", "a/b"],
    ["/dir/", "dir"],
    ["e\u0301.txt", "\u00e9.txt"],
    ["/cafe\u0301/x", "caf\u00e9/x"],
    ["\u212b", "\u00c5"],
  ])("Should read %j as %j", (raw, expected) => {
    expect(normalizePath(raw)).toBe(expected);
  });

  it("Should give NFD and NFC spellings of one name one path", () => {
    expect(normalizePath("re\u0301sume\u0301.md")).toBe(normalizePath("r\u00e9sum\u00e9.md"));
  });

  it("Should drop only one leading and one trailing '/'", () => {
    expect(refusal(() => normalizePath("//a")).message).toBe(
      "path: the path has an empty segment ('//' or a trailing '/')",
    );
    expect(refusal(() => normalizePath("a//")).message).toBe(
      "path: the path has an empty segment ('//' or a trailing '/')",
    );
    expect(refusal(() => normalizePath("/")).message).toBe("path: the path is empty");
  });

  it("Should be a 400 naming the field and the problem", () => {
    expect(refusal(() => normalizePath("a/../b", "destination"))).toEqual({
      status: 400,
      message: "destination: the path has a '..' segment",
      details: [{ field: "destination", message: "the path has a '..' segment" }],
    });
    expect(refusal(() => normalizePath("a\\b")).details).toEqual([
      { field: "path", message: "the path contains a backslash; use '/'" },
    ]);
  });

  it("Should check the length after NFC (an NFD name that fits once composed is accepted)", () => {
    // 128 × "e" + U+0301 is 384 bytes in NFD, 256 in NFC: still too long; 127 fit (254 bytes).
    expect(normalizePath("e\u0301".repeat(127))).toBe("é".repeat(127));
    expect(refusal(() => normalizePath("e\u0301".repeat(128))).message).toBe(
      "path: a path segment is longer than 255 bytes",
    );
  });

  it("Should be idempotent: normalizing twice is normalizing once", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), (raw) => {
        let once: string;
        try {
          once = normalizePath(raw);
        } catch {
          return; // refused: nothing to normalize again
        }
        expect(normalizePath(once)).toBe(once);
        expect(pathProblem(once)).toBeNull();
      }),
    );
  });

  it("Should accept every path built of good segments, with or without the slashes around it", () => {
    fc.assert(
      fc.property(goodPath, fc.boolean(), fc.boolean(), (path, lead, trail) => {
        const raw = `${lead ? "/" : ""}${path}${trail ? "/" : ""}`;
        expect(normalizePath(raw)).toBe(path.normalize("NFC"));
      }),
    );
  });

  it("Should refuse any path with a '.' or '..' segment wherever it stands", () => {
    fc.assert(
      fc.property(
        fc.array(segment, { maxLength: 4 }),
        fc.array(segment, { maxLength: 4 }),
        fc.constantFrom(".", ".."),
        (before, after, dots) => {
          const path = [...before, dots, ...after].join("/");
          expect(refusal(() => normalizePath(path)).message).toBe(
            `path: the path has a '${dots}' segment`,
          );
        },
      ),
    );
  });
});

describe("normalizeDirectory", () => {
  it.each([undefined, "", "/"])("Should read %j as the root", (raw) => {
    expect(normalizeDirectory(raw)).toBe("");
  });

  it("Should normalize anything else as a path", () => {
    expect(normalizeDirectory("/docs/")).toBe("docs");
    expect(refusal(() => normalizeDirectory("..", "dir")).message).toBe(
      "dir: the path has a '..' segment",
    );
  });
});

describe("toolPath", () => {
  it.each([
    [".", ""],
    ["./", ""],
    ["./a", "a"],
    ["././a/b", "a/b"],
    ["/workspace", ""],
    ["/workspace/", "/"],
    ["/workspace/src/x.ts", "/src/x.ts"],
    ["  src/x.ts  ", "src/x.ts"],
    ["/workspaces/x", "/workspaces/x"],
    ["../x", "../x"],
  ])("Should read %j as %j", (raw, expected) => {
    expect(toolPath(raw)).toBe(expected);
  });

  it("Should leave what it keeps for the API's own rules", () => {
    expect(normalizePath(toolPath("/workspace/src/x.ts"))).toBe("src/x.ts");
    expect(() => normalizePath(toolPath("../x"))).toThrow(ApiError);
  });
});

describe("walking a path", () => {
  it("Should name a parent, a base name and the ancestors", () => {
    expect(parentOf("a/b/c.txt")).toBe("a/b");
    expect(parentOf("c.txt")).toBe("");
    expect(baseName("a/b/c.txt")).toBe("c.txt");
    expect(baseName("c.txt")).toBe("c.txt");
    expect(ancestorsOf("a/b/c")).toEqual(["a", "a/b"]);
    expect(ancestorsOf("a")).toEqual([]);
  });

  it("Should put a path within its directory, itself and the root only", () => {
    expect(isWithin("a/b", "a")).toBe(true);
    expect(isWithin("a", "a")).toBe(true);
    expect(isWithin("a/b", "")).toBe(true);
    expect(isWithin("ab", "a")).toBe(false);
    expect(isWithin("a", "a/b")).toBe(false);
  });

  it("Should rebuild every path from its parent and base name, under each ancestor", () => {
    fc.assert(
      fc.property(goodPath, (path) => {
        const parent = parentOf(path);
        expect(parent === "" ? baseName(path) : `${parent}/${baseName(path)}`).toBe(path);
        const ancestors = ancestorsOf(path);
        expect(ancestors.length).toBe(path.split("/").length - 1);
        for (const ancestor of ancestors) expect(isWithin(path, ancestor)).toBe(true);
        expect(ancestors.at(-1) ?? "").toBe(parent);
      }),
    );
  });
});

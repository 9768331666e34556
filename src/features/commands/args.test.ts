// biome-ignore-all lint/suspicious/noTemplateCurlyInString: command templates use ${args.x} and ${{ args.x }}
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../http/errors";
import {
  argsEnvironment,
  checkDeclarations,
  namedArgs,
  renderTemplate,
  resolveArgs,
  shellScript,
} from "./args";
import { type ArgDeclaration, COMMAND_LIMITS, CreateCommandSchema } from "./command.schemas";

// A command's arguments on their own: the two ways to declare them, the checks on a declaration,
// positional and named values, typed reading of text, defaults, and templates.

const declare = (raw: unknown): ArgDeclaration[] =>
  CreateCommandSchema.shape.args.parse(raw) as ArgDeclaration[];

const arg = (name: string, extra: Partial<ArgDeclaration> = {}): ArgDeclaration => ({
  name,
  type: "string",
  required: false,
  ...extra,
});

/** The 400 a call throws: its field and message. */
const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    expect(error.status).toBe(400);
    const [detail] = error.details as { field: string; message: string }[];
    expect(error.message).toBe(`${detail?.field}: ${detail?.message}`);
    return detail;
  }
  throw new Error("was not refused");
};

describe("declaring arguments", () => {
  it("Should take the list form, with type string and not required by default", () => {
    expect(declare([{ name: "topic" }, { name: "n", type: "number", required: true }])).toEqual([
      { name: "topic", type: "string", required: false },
      { name: "n", type: "number", required: true },
    ]);
    expect(declare(undefined)).toEqual([]);
  });

  it("Should take the map form as the same list, in its order", () => {
    expect(
      declare({ topic: { required: true }, n: { type: "number", default: 3 }, flag: "boolean" }),
    ).toEqual([
      { name: "topic", type: "string", required: true },
      { name: "n", type: "number", required: false, default: 3 },
      { name: "flag", type: "boolean", required: false },
    ]);
    expect(declare({})).toEqual([]);
  });

  it("Should name a problem by its position in either form", () => {
    const listForm = CreateCommandSchema.shape.args.safeParse([
      { name: "a" },
      { name: "b", type: "date" },
    ]);
    const mapForm = CreateCommandSchema.shape.args.safeParse({ a: {}, b: { type: "date" } });
    for (const result of [listForm, mapForm]) {
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual([1, "type"]);
    }
    const badName = CreateCommandSchema.shape.args.safeParse({ Topic: {} });
    expect(badName.error?.issues[0]?.path).toEqual([0, "name"]);
    const unknownKey = CreateCommandSchema.shape.args.safeParse([{ name: "a", kind: "x" }]);
    expect(unknownKey.success).toBe(false);
  });

  it(`Should refuse more than ${COMMAND_LIMITS.args} arguments`, () => {
    const many = Array.from({ length: COMMAND_LIMITS.args + 1 }, (_, i) => ({ name: `a${i}` }));
    expect(CreateCommandSchema.shape.args.safeParse(many).success).toBe(false);
    expect(declare(many.slice(1))).toHaveLength(COMMAND_LIMITS.args);
  });
});

describe("checkDeclarations", () => {
  it("Should accept declarations its body uses or not", () => {
    expect(() =>
      checkDeclarations([arg("a"), arg("b")], "shell", "echo ${{ args.a }}"),
    ).not.toThrow();
    expect(() => checkDeclarations([arg("a")], "prompt", "Say ${args.a}")).not.toThrow();
    expect(() =>
      checkDeclarations([arg("id")], "http", {
        method: "GET",
        url: "https://x/${{ args.id }}",
        headers: {},
      }),
    ).not.toThrow();
  });

  it.each([
    ["a name declared twice", [arg("a"), arg("a")], "args[1].name", "'a' is declared twice"],
    [
      "a default of another type",
      [arg("n", { type: "number", default: "3" })],
      "args[0].default",
      "must be a number",
    ],
    [
      "a default of a required argument",
      [arg("a", { required: true, default: "x" })],
      "args[0].default",
      "a required argument has no default",
    ],
  ])("Should refuse %s", (_name, declared, field, message) => {
    expect(refusal(() => checkDeclarations(declared, "shell", "true"))).toEqual({ field, message });
  });

  it("Should refuse a body of the wrong shape for its type", () => {
    const template = { method: "GET", url: "https://x", headers: {} };
    expect(refusal(() => checkDeclarations([], "shell", template as never))?.message).toBe(
      "a shell body is a script",
    );
    expect(refusal(() => checkDeclarations([], "prompt", template as never))?.message).toBe(
      "a prompt body is text",
    );
    expect(refusal(() => checkDeclarations([], "http", "GET https://x"))?.message).toBe(
      "an http body is a request template {method, url, headers, body}",
    );
  });

  it("Should refuse a template naming no declared argument, in the syntax of the type", () => {
    expect(refusal(() => checkDeclarations([arg("a")], "shell", "echo ${{ args.b }}"))).toEqual({
      field: "body",
      message: "'${{ args.b }}' names no declared argument ('b')",
    });
    expect(refusal(() => checkDeclarations([], "prompt", "Hi ${args.who}"))?.message).toBe(
      "'${args.who}' names no declared argument ('who')",
    );
    // In a shell script `${args.b}` is the shell's own syntax, not a reference.
    expect(() => checkDeclarations([], "shell", "echo ${args.b}")).not.toThrow();
  });
});

describe("namedArgs", () => {
  const declared = [arg("topic"), arg("n", { type: "number" }), arg("flag", { type: "boolean" })];

  it("Should name positional values by the declarations' order", () => {
    expect(namedArgs(declared, ["x", 3, true])).toEqual({ topic: "x", n: 3, flag: true });
    expect(namedArgs(declared, ["x"])).toEqual({ topic: "x" });
    expect(namedArgs(declared, [])).toEqual({});
  });

  it("Should leave values given by name as they are", () => {
    const given = { n: "3", other: 1 };
    expect(namedArgs(declared, given)).toBe(given);
  });

  it.each([
    ["3", 3],
    ["-2.5", -2.5],
    ["1e3", 1000],
    [" 7 ", 7],
    ["", ""],
    ["  ", "  "],
    ["three", "three"],
    ["Infinity", "Infinity"],
    ["NaN", "NaN"],
  ])("Should read %j for a number argument as %j", (text, value) => {
    expect(namedArgs(declared, ["t", text]).n).toBe(value);
  });

  it.each([
    ["true", true],
    ["false", false],
    ["TRUE", "TRUE"],
    ["1", "1"],
    ["yes", "yes"],
  ])("Should read %j for a boolean argument as %j", (text, value) => {
    expect(namedArgs(declared, ["t", "1", text]).flag).toBe(value);
  });

  it("Should keep text for a string argument, even when it looks like a number", () => {
    expect(namedArgs(declared, ["42"]).topic).toBe("42");
  });

  it("Should refuse more values than declared arguments, naming the first extra", () => {
    expect(refusal(() => namedArgs(declared, ["a", "1", "true", "extra"]))).toEqual({
      field: "args[3]",
      message: "the command declares 3 arguments",
    });
  });

  it("Should read any finite number written as text back as that number", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        const read = namedArgs([arg("n", { type: "number" })], [String(value)]).n;
        expect(read).toBe(Number(String(value)));
      }),
    );
  });
});

describe("resolveArgs", () => {
  const declared = [
    arg("topic", { required: true }),
    arg("n", { type: "number", default: 5 }),
    arg("flag", { type: "boolean" }),
  ];

  it("Should fill in defaults and leave out what has none", () => {
    expect(resolveArgs(declared, { topic: "x" })).toEqual({ topic: "x", n: 5 });
    expect(resolveArgs(declared, { topic: "x", n: 0, flag: false })).toEqual({
      topic: "x",
      n: 0,
      flag: false,
    });
  });

  it.each([
    [
      "an unknown argument",
      { topic: "x", color: "red" },
      "args.color",
      "the command declares no such argument",
    ],
    ["a missing required one", { n: 1 }, "args.topic", "required"],
    ["a string for a number", { topic: "x", n: "5" }, "args.n", "must be a number"],
    ["a number for a string", { topic: 1 }, "args.topic", "must be a string"],
    ["a string for a boolean", { topic: "x", flag: "true" }, "args.flag", "must be a boolean"],
    [
      "an infinite number",
      { topic: "x", n: Number.POSITIVE_INFINITY },
      "args.n",
      "must be a finite number",
    ],
    ["a NaN", { topic: "x", n: Number.NaN }, "args.n", "must be a finite number"],
  ])("Should refuse %s, naming it", (_name, given, field, message) => {
    expect(refusal(() => resolveArgs(declared, given))).toEqual({ field, message });
  });

  it("Should refuse a string over the size limit, counted in bytes", () => {
    const limit = COMMAND_LIMITS.argStringBytes;
    expect(resolveArgs(declared, { topic: "x".repeat(limit) }).topic).toHaveLength(limit);
    expect(refusal(() => resolveArgs(declared, { topic: "é".repeat(limit / 2 + 1) }))).toEqual({
      field: "args.topic",
      message: `at most ${limit} bytes`,
    });
  });

  it("Should take positional text once read by namedArgs", () => {
    expect(resolveArgs(declared, namedArgs(declared, ["x", "7", "true"]))).toEqual({
      topic: "x",
      n: 7,
      flag: true,
    });
    expect(refusal(() => resolveArgs(declared, namedArgs(declared, ["x", "seven"])))?.field).toBe(
      "args.n",
    );
  });
});

describe("templates and the shell", () => {
  it("Should render both reference syntaxes, an argument not given as empty text", () => {
    expect(renderTemplate("a=${args.a} b=${{ args.b }} c=${{args.c}}", { a: 1, b: true })).toBe(
      "a=1 b=true c=",
    );
  });

  it("Should encode each value, never the text around it", () => {
    expect(
      renderTemplate(
        "https://x/?q=${args.q}&n=${args.n}",
        { q: "a b&c", n: 2 },
        encodeURIComponent,
      ),
    ).toBe("https://x/?q=a%20b%26c&n=2");
  });

  it("Should make a shell reference a variable, never the value", () => {
    expect(shellScript('echo "${{ args.topic }}" ${{args.n}}')).toBe('echo "${topic}" ${n}');
  });

  it("Should give every declared argument a variable, empty when not given", () => {
    expect(
      argsEnvironment([arg("a"), arg("n", { type: "number" }), arg("f", { type: "boolean" })], {
        n: 3,
        f: false,
      }),
    ).toEqual({ a: "", n: "3", f: "false" });
  });
});

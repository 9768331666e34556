import { beforeAll, describe, expect, it } from "vitest";
import { api } from "./helpers";

// What a client generated from the served document needs of it: a method name and a group for
// every operation, a server to send to, patterns that mean what the service checks, nulls where
// the service sends null, and raw bodies it can send as bytes.

type Schema = Record<string, unknown>;
interface Operation {
  operationId?: string;
  tags?: string[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
}
interface Document {
  servers?: { url: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

let document: Document;
beforeAll(async () => {
  document = (await api<Document>("GET", "/v1/openapi.json")).body;
});

const operations = () =>
  Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ where: `${method} ${path}`, operation })),
  );

/** Every schema object in the document, with its JSON pointer. */
function schemasIn(value: unknown, pointer = "#"): { pointer: string; schema: Schema }[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => schemasIn(item, `${pointer}/${i}`));
  if (typeof value !== "object" || value === null) return [];
  const here = value as Schema;
  return [
    { pointer, schema: here },
    ...Object.entries(here).flatMap(([key, child]) => schemasIn(child, `${pointer}/${key}`)),
  ];
}

const types = (schema: Schema) => [schema.type].flat().filter((type) => type !== undefined);

describe("the served OpenAPI document", () => {
  it("Should name every operation with a unique camelCase operationId, and tag it", () => {
    const all = operations();
    expect(all.length).toBeGreaterThan(100);
    const ids = all.map(({ operation }) => operation.operationId);
    for (const { where, operation } of all) {
      expect(operation.operationId, where).toMatch(/^[a-z][A-Za-z0-9]*$/);
      expect(operation.tags?.length, where).toBeGreaterThan(0);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(document.paths["/v1/workspaces"]?.get?.operationId).toBe("listWorkspaces");
    expect(document.paths["/v1/workspaces/{ws}/threads/stream"]?.post?.operationId).toBe(
      "createThreadStream",
    );
  });

  it("Should list the serving host and the local development server", () => {
    expect(document.servers?.map((server) => server.url)).toEqual(["/", "http://127.0.0.1:8787"]);
    for (const server of document.servers ?? []) expect(server.description).toBeTruthy();
  });

  it("Should publish every pattern as a JSON Schema pattern: no JS flags, examples matching", () => {
    const patterned = schemasIn(document).filter(
      ({ schema }) => typeof schema.pattern === "string",
    );
    expect(patterned.length).toBeGreaterThan(20);
    for (const { pointer, schema } of patterned) {
      const pattern = schema.pattern as string;
      // A regex literal's flags after its closing slash (`…$/i`) are, in a string, characters to match.
      expect(pattern, pointer).not.toMatch(/(?<!\\)\/[dgimsuvy]*$/);
      const regex = new RegExp(pattern, "u");
      if (typeof schema.example === "string") expect(schema.example, pointer).toMatch(regex);
    }
    const mimeType = document.components.schemas.CreateEmptyFile?.properties as Schema;
    const published = new RegExp((mimeType.mime_type as Schema).pattern as string, "u");
    expect("text/csv").toMatch(published);
    expect('Text/CSV; charset="UTF-8"').toMatch(published);
    expect("text/csv\r\nx: y").not.toMatch(published);
  });

  it("Should publish a nullable named schema as anyOf [$ref, null], never as an allOf", () => {
    for (const { pointer, schema } of schemasIn(document)) {
      for (const part of (schema.allOf as Schema[] | undefined) ?? []) {
        expect(types(part), `${pointer}: an allOf part allowing null`).not.toContain("null");
      }
    }
    for (const [name, schema] of Object.entries(document.components.schemas)) {
      // A named schema made nullable where it was first met would be nullable everywhere.
      expect(types(schema), `#/components/schemas/${name}`).not.toContain("null");
    }
    const properties = (name: string) => document.components.schemas[name]?.properties as Schema;
    const orNull = (ref: string) => [{ $ref: `#/components/schemas/${ref}` }, { type: "null" }];
    expect((properties("MessagePair").query as Schema).anyOf).toEqual(orNull("Message"));
    expect((properties("MessagePair").response as Schema).anyOf).toEqual(orNull("Message"));
    expect((properties("Role").template as Schema).anyOf).toEqual(orNull("RoleTemplate"));
  });

  it("Should publish every raw request body as binary without a string type", () => {
    const raw = operations().flatMap(({ where, operation }) =>
      Object.entries(operation.requestBody?.content ?? {})
        .filter(([mediaType]) => mediaType !== "application/json")
        .map(([mediaType, { schema }]) => ({ where: `${where} ${mediaType}`, schema })),
    );
    expect(raw.length).toBeGreaterThanOrEqual(5);
    for (const { where, schema } of raw) {
      // A string schema is a `string` to a generated client, so a Blob or Uint8Array would not
      // compile; without a type it is `unknown`, and format/contentMediaType say it is bytes.
      expect(schema?.type, where).toBeUndefined();
      expect(schema?.format, where).toBe("binary");
      expect(schema?.contentMediaType, where).toBe("application/octet-stream");
    }
  });
});

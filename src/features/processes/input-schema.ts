import { z } from "@hono/zod-openapi";
import { ApiError } from "../../http/errors";

// A run's inputs are declared with a small subset of JSON Schema: an object of named
// properties, each of one type, some required. Enough to say what a process takes and to
// refuse a run missing one (400 naming it) before anything starts.

const INPUT_TYPES = ["string", "number", "boolean", "object", "array"] as const;

const PropertySchema = z
  .object({
    type: z.enum(INPUT_TYPES),
    description: z.string().max(1000).optional(),
    default: z.unknown().optional(),
  })
  .strict();

export const InputSchemaSchema = z
  .object({
    type: z.literal("object").default("object"),
    properties: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), PropertySchema)
      .default({}),
    required: z.array(z.string()).default([]),
  })
  .strict()
  .superRefine((schema, ctx) => {
    for (const name of schema.required) {
      if (!(name in schema.properties)) {
        ctx.addIssue({
          code: "custom",
          path: ["required"],
          message: `required input '${name}' is not among the properties`,
        });
      }
    }
  })
  .openapi("ProcessInputSchema");
export type InputSchema = z.infer<typeof InputSchemaSchema>;

export const EMPTY_INPUT_SCHEMA: InputSchema = { type: "object", properties: {}, required: [] };

/**
 * The schema of a run given its own spec and no schema: every input it was given, declared
 * with the type it has (and required), so its templates may name exactly those inputs. A null
 * has no type to declare: it stays undeclared, and is refused as an unknown input.
 */
export function inferredInputSchema(inputs: Record<string, unknown>): InputSchema {
  const properties: InputSchema["properties"] = {};
  for (const [name, value] of Object.entries(inputs)) {
    const type = INPUT_TYPES.find((candidate) => candidate === typeOf(value));
    if (type) properties[name] = { type };
  }
  return { type: "object", properties, required: Object.keys(properties) };
}

export const isDeclaredInput = (schema: InputSchema, name: string) => name in schema.properties;

const typeOf = (value: unknown) =>
  Array.isArray(value) ? "array" : value === null ? "null" : typeof value;

/** The inputs with defaults applied; 400 naming the first unknown, missing or mistyped one. */
export function validateInputs(
  schema: InputSchema,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  const problems: { field: string; message: string }[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(inputs)) {
    const property = schema.properties[name];
    if (!property) {
      problems.push({ field: `inputs.${name}`, message: `unknown input '${name}'` });
    } else if (typeOf(value) !== property.type) {
      problems.push({
        field: `inputs.${name}`,
        message: `input '${name}' must be a ${property.type}, not ${typeOf(value)}`,
      });
    } else out[name] = value;
  }
  for (const [name, property] of Object.entries(schema.properties)) {
    if (name in inputs) continue;
    if (property.default !== undefined) out[name] = property.default;
    else if (schema.required.includes(name)) {
      problems.push({ field: `inputs.${name}`, message: `input '${name}' is required` });
    }
  }
  if (problems.length > 0) {
    throw new ApiError("invalid_request", problems[0]?.message as string, { details: problems });
  }
  return out;
}

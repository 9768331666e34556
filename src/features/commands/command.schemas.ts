import { z } from "@hono/zod-openapi";
import { isPlainObject } from "../../lib/merge";
import { THREAD_ID_PATTERN } from "../threads/thread.schemas";

// The command registry's shapes: what a command is, what an execution is, and the limits of
// both, stated once. The tables are in workspace/do-schema.ts (issue 6's step).

export const COMMAND_LIMITS = {
  commands: 1000,
  bodyBytes: 64 * 1024,
  descriptionMax: 1000,
  categoryMax: 64,
  args: 32,
  argStringBytes: 64 * 1024,
} as const;

/** Sub-paths of `…/commands/` that are routes of their own, so never a trigger. */
export const RESERVED_TRIGGERS = ["suggestions", "search", "categories", "recent", "popular"];

export const TRIGGER_PATTERN = /^[a-z0-9][a-z0-9:_-]{0,63}$/;

export const TriggerSchema = z
  .string()
  .regex(TRIGGER_PATTERN, "1-64 of a-z, 0-9, ':', '_' or '-', starting with a letter or digit")
  .refine((value) => !RESERVED_TRIGGERS.includes(value), {
    message: `${RESERVED_TRIGGERS.join(", ")} are reserved`,
  })
  .openapi({ example: "test:unit" });

/** Lowercase only: an argument becomes a shell variable, and no lowercase name is special. */
export const ARG_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,63}$/;

export const ArgTypeSchema = z.enum(["string", "number", "boolean"]);
export type ArgType = z.infer<typeof ArgTypeSchema>;
const ArgValueSchema = z.union([z.string(), z.number(), z.boolean()]);
export type ArgValue = z.infer<typeof ArgValueSchema>;

export const ArgDeclarationSchema = z
  .object({
    name: z.string().regex(ARG_NAME_PATTERN, "lowercase letters, digits and '_'"),
    type: ArgTypeSchema.default("string"),
    required: z.boolean().default(false),
    default: ArgValueSchema.optional(),
    description: z.string().max(500).optional(),
  })
  .strict()
  .openapi("CommandArg");
export type ArgDeclaration = z.infer<typeof ArgDeclarationSchema>;

/**
 * A command's declared arguments: a list of `{name, type, required, default}`, or the same as a
 * map by name (`{"topic": {"type": "string", "required": true}}`), taken as the list in its
 * order.
 */
const ArgDeclarationsSchema = z
  .preprocess(
    // The map form becomes the list before it is checked, so a problem names its argument
    // (`args.1.type`) whichever form was sent.
    (value) =>
      isPlainObject(value)
        ? Object.entries(value).map(([name, declaration]) =>
            isPlainObject(declaration) ? { name, ...declaration } : { name, type: declaration },
          )
        : value,
    z.array(ArgDeclarationSchema).max(COMMAND_LIMITS.args),
  )
  .openapi({
    description:
      'A list of `{name, type, required, default, description}`, or the same as a map by name (`{"topic": {"required": true}}`, taken in its order)',
  });

export const CommandTypeSchema = z.enum(["shell", "prompt", "http"]);
export type CommandType = z.infer<typeof CommandTypeSchema>;

const HeaderValueSchema = z.string().max(8192);
/** An http command's body: a request template (see http-runner.ts for `${args.x}`). */
export const HttpTemplateSchema = z
  .object({
    method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]).default("POST"),
    url: z.string().min(1).max(2048),
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/), HeaderValueSchema).default({}),
    body: z.unknown().optional().openapi({
      description: "A string (sent as is) or any JSON value (sent as JSON); templates in strings",
    }),
  })
  .strict()
  .openapi("HttpCommandTemplate");
export type HttpTemplate = z.infer<typeof HttpTemplateSchema>;

const BodySchema = z.union([z.string().min(1), HttpTemplateSchema]).openapi({
  description:
    "shell: the script; prompt: the prompt text; http: a request template `{method, url, headers, body}`. " +
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the template syntax, documented
    "`${args.name}` or `${{ args.name }}` in a prompt or an http template is replaced by the argument's value; in a shell script an argument is the variable `$name`, and `${{ args.name }}` is written as `${name}`",
});

const TimeoutSchema = z.number().int().min(100).openapi({
  description: "This command's time limit in ms; at most, and by default, COMMAND_TIMEOUT_MS",
});

export const CreateCommandSchema = z
  .object({
    trigger: TriggerSchema,
    description: z.string().max(COMMAND_LIMITS.descriptionMax).default(""),
    category: z.string().min(1).max(COMMAND_LIMITS.categoryMax).default("general"),
    type: CommandTypeSchema,
    body: BodySchema,
    args: ArgDeclarationsSchema.default([]),
    timeout_ms: TimeoutSchema.optional(),
  })
  .strict()
  .openapi("CreateCommand");
export type CreateCommandInput = z.infer<typeof CreateCommandSchema>;

export const PatchCommandSchema = z
  .object({
    description: z.string().max(COMMAND_LIMITS.descriptionMax).optional(),
    category: z.string().min(1).max(COMMAND_LIMITS.categoryMax).optional(),
    type: CommandTypeSchema.optional(),
    body: BodySchema.optional(),
    args: ArgDeclarationsSchema.optional(),
    timeout_ms: TimeoutSchema.nullable().optional(),
  })
  .strict()
  .openapi("PatchCommand");
export type PatchCommandInput = z.infer<typeof PatchCommandSchema>;

export const CommandSchema = z
  .object({
    trigger: z.string(),
    description: z.string(),
    category: z.string(),
    type: CommandTypeSchema,
    body: z.union([z.string(), HttpTemplateSchema]),
    args: z.array(ArgDeclarationSchema),
    timeout_ms: z.number().int().nullable(),
    etag: z.string(),
    created_by: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Command");
export type Command = z.infer<typeof CommandSchema>;

export const ExecutionStatusSchema = z.enum([
  "queued",
  "running",
  "succeeded",
  "failed",
  "canceled",
  "timed_out",
]);
export type ExecutionStatus = z.infer<typeof ExecutionStatusSchema>;
export const FINISHED_STATUSES: readonly ExecutionStatus[] = [
  "succeeded",
  "failed",
  "canceled",
  "timed_out",
];

export const ExecutionSchema = z
  .object({
    id: z.string().openapi({ example: "exe_01j9z3k4m5n6p7q8r9s0t1v2w3" }),
    trigger: z.string(),
    type: CommandTypeSchema,
    status: ExecutionStatusSchema,
    args: z.record(z.string(), ArgValueSchema),
    thread_id: z.string().nullable().openapi({
      description: "prompt: the thread the answer streams in (given, or made for it)",
    }),
    message_id: z
      .string()
      .nullable()
      .openapi({ description: "prompt: the assistant message of the answer" }),
    tool_call_id: z.string().nullable(),
    rendered: z.string().nullable().openapi({
      description: "prompt: the rendered prompt; http: the request sent (method and URL)",
    }),
    exit_code: z.number().int().nullable(),
    http_status: z.number().int().nullable(),
    reason: z.string().nullable().openapi({
      description:
        "Why it failed, timed out or stopped; a shell script stopped by a limit names it (`command limit of N commands reached`, `loop limit of N iterations reached (a while loop)`, `CPU budget of N ms used up`, `time limit of N ms reached`)",
    }),
    output_bytes: z.number().int(),
    output_truncated: z.boolean(),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    duration_ms: z.number().int().nullable(),
  })
  .openapi("CommandExecution");
export type Execution = z.infer<typeof ExecutionSchema>;

export const ExecuteCommandSchema = z
  .object({
    args: z
      .union([z.record(z.string(), ArgValueSchema), z.array(ArgValueSchema)])
      .default({})
      .openapi({
        description:
          "The values by argument name, or positionally in the declared order (a string for a number or boolean argument is read as one)",
      }),
    thread_id: z
      .string()
      .regex(THREAD_ID_PATTERN, "a thread id: `th_` and 1–64 of A-Z a-z 0-9 _ -")
      .nullable()
      .optional()
      .openapi({
        description:
          "prompt: the thread to answer in, created if there is none by that id (as `POST …/threads/stream` does); a new one when left out",
      }),
    tool_call_id: z.string().max(256).nullable().optional(),
  })
  .strict()
  .openapi("ExecuteCommand");
export type ExecuteCommandInput = z.infer<typeof ExecuteCommandSchema>;

export const OutputChunkSchema = z
  .object({
    seq: z.number().int(),
    stream: z.enum(["stdout", "stderr"]),
    data: z.string(),
  })
  .openapi("CommandOutputChunk");
export type OutputChunk = z.infer<typeof OutputChunkSchema>;

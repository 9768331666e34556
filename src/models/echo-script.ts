// The echo model's script, read from the last user message. Lines that start with a directive
// steer it; every other line is the text it echoes back. Directives (one per line):
//
//   /tool NAME {json}   call tool NAME with that input; each /tool line is one step, in order,
//                       and the reply text comes in the step after the last one
//   /delay MS           wait MS milliseconds before each word (overrides ECHO_DELAY_MS)
//   /words N            reply with N words ("w1 w2 … wN") instead of echoing
//   /error TEXT         fail the model call with TEXT once the words are out (an `error` part)
//
// A /tool line whose JSON does not parse is still called with the raw text, so the SDK's input
// validation (and its tool error part) can be exercised too.

export interface EchoToolCall {
  toolName: string;
  /** JSON text, as a model would send it. */
  input: string;
}

export interface EchoScript {
  words: string[];
  toolCalls: EchoToolCall[];
  delayMs: number | null;
  error: string | null;
}

const MAX_SCRIPTED_WORDS = 1_000_000;

/** Splits text into words that keep their following whitespace, so the deltas join back exactly. */
export function wordsOf(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

export function parseEchoScript(text: string): EchoScript {
  const script: EchoScript = { words: [], toolCalls: [], delayMs: null, error: null };
  const lines: string[] = [];
  let counted: number | null = null;
  for (const line of text.split(/\r?\n/)) {
    const directive = /^\/(tool|delay|words|error)(?:\s+(.*))?$/.exec(line.trim());
    if (!directive) {
      lines.push(line);
      continue;
    }
    const argument = (directive[2] ?? "").trim();
    switch (directive[1]) {
      case "tool": {
        const space = argument.search(/\s/);
        const toolName = space === -1 ? argument : argument.slice(0, space);
        const input = space === -1 ? "{}" : argument.slice(space + 1).trim();
        if (toolName) script.toolCalls.push({ toolName, input });
        break;
      }
      case "delay":
        if (/^\d{1,6}$/.test(argument)) script.delayMs = Number(argument);
        break;
      case "words":
        if (/^\d{1,7}$/.test(argument)) counted = Math.min(Number(argument), MAX_SCRIPTED_WORDS);
        break;
      case "error":
        script.error = argument || "scripted error";
        break;
    }
  }
  if (counted !== null) {
    script.words = Array.from({ length: counted }, (_, i) =>
      i === counted - 1 ? `w${i + 1}` : `w${i + 1} `,
    );
  } else {
    const body = lines.join("\n").trim();
    script.words = wordsOf(body || "ok");
  }
  return script;
}

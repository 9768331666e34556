// A value a script refers to (a command's argument, a process template) must reach bash as a
// variable reference, never as script text. A reference expands bare and inside double quotes,
// but not inside single quotes (or $'…'): there the quote is closed around it, '…'"${x}"'…', so
// the value still arrives — as one word, whatever it holds. Comments and here-documents are
// stepped over, so an apostrophe in `# don't` does not turn the rest of the script around.

type Quoting = "none" | "single" | "ansi" | "double";

/** The quoting in force at each position of `script`. */
function quotingAt(script: string): Quoting[] {
  const at: Quoting[] = new Array(script.length);
  let state: Quoting = "none";
  let wordStart = true;
  for (let i = 0; i < script.length; i++) {
    const char = script[i] as string;
    at[i] = state;
    if (state === "single") {
      if (char === "'") state = "none";
      continue;
    }
    if (state === "ansi") {
      if (char === "\\") at[++i] = state;
      else if (char === "'") state = "none";
      continue;
    }
    if (state === "double") {
      if (char === "\\") at[++i] = state;
      else if (char === '"') state = "none";
      continue;
    }
    if (char === "\\") {
      at[++i] = state;
      wordStart = false;
      continue;
    }
    if (char === "#" && wordStart) {
      while (i + 1 < script.length && script[i + 1] !== "\n") at[++i] = "none";
      continue;
    }
    const heredoc =
      char === "<" ? /^<<-?[ \t]*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1/.exec(script.slice(i)) : null;
    if (heredoc) {
      // Its body runs from the next line to the line holding only the delimiter.
      const bodyStart = script.indexOf("\n", i);
      if (bodyStart < 0) break;
      for (let j = i; j <= bodyStart; j++) at[j] = "none";
      const end = new RegExp(`^\\t*${heredoc[2]}$`, "m");
      const rest = script.slice(bodyStart + 1);
      const close = end.exec(rest);
      const stop = close ? bodyStart + 1 + close.index + close[0].length : script.length;
      for (let j = bodyStart + 1; j < stop; j++) at[j] = "none";
      i = stop - 1;
      continue;
    }
    if (char === "'") state = script[i - 1] === "$" ? "ansi" : "single";
    else if (char === '"') state = "double";
    wordStart = /[\s;&|()]/.test(char);
  }
  return at;
}

/**
 * Replaces each match of `pattern` (global) with a reference to the variable `variableFor`
 * names for it, written to expand where it stands.
 */
export function referVariables(
  script: string,
  pattern: RegExp,
  variableFor: (match: string, groups: (string | undefined)[]) => string,
): string {
  const quoting = quotingAt(script);
  return script.replace(pattern, (match: string, ...rest: unknown[]) => {
    const offset = rest.find((value) => typeof value === "number") as number;
    const groups = rest.slice(0, rest.indexOf(offset)) as (string | undefined)[];
    const reference = `\${${variableFor(match, groups)}}`;
    const inside = quoting[offset];
    if (inside === "single") return `'"${reference}"'`;
    if (inside === "ansi") return `'"${reference}"$'`;
    return reference;
  });
}

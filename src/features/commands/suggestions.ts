import type { Command } from "./command.schemas";

// Suggestions while a user types a trigger: prefix matches first (the trigger, then a word of
// the trigger or description), then fuzzy ones (the query's characters in order within the
// trigger, or a trigger that starts within one or two edits of it, for a typo). Computed in memory: a workspace
// holds at most a thousand commands.

export type MatchKind = "prefix" | "word_prefix" | "fuzzy";

export interface Suggestion {
  command: Command;
  match: MatchKind;
  score: number;
}

const words = (text: string) =>
  text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);

function isSubsequence(query: string, text: string): boolean {
  let at = 0;
  for (const char of text) if (char === query[at]) at++;
  return at === query.length;
}

/** Edit distance counting a swap of two neighbours as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

function rate(command: Command, query: string): Omit<Suggestion, "command"> | null {
  const trigger = command.trigger;
  if (trigger.startsWith(query)) return { match: "prefix", score: 300 - trigger.length };
  if ([...words(trigger), ...words(command.description)].some((word) => word.startsWith(query))) {
    return { match: "word_prefix", score: 200 - trigger.length };
  }
  if (query.length >= 2 && isSubsequence(query, trigger)) {
    return { match: "fuzzy", score: 100 - (trigger.length - query.length) };
  }
  // A typo: one edit in a short query, two in a longer one, against the trigger's start.
  const distance = editDistance(query, trigger.slice(0, query.length));
  if (query.length >= 3 && distance <= (query.length < 6 ? 1 : 2)) {
    return { match: "fuzzy", score: 50 - distance * 10 };
  }
  return null;
}

export function suggest(commands: readonly Command[], raw: string, limit: number): Suggestion[] {
  const query = raw.trim().toLowerCase();
  const rated: Suggestion[] = [];
  for (const command of commands) {
    const rating = query === "" ? { match: "prefix" as const, score: 0 } : rate(command, query);
    if (rating) rated.push({ command, ...rating });
  }
  rated.sort((a, b) => b.score - a.score || a.command.trigger.localeCompare(b.command.trigger));
  return rated.slice(0, limit);
}

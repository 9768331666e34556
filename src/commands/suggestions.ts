import type { Command } from "./command.schemas";

// Suggestions while a user types a trigger: prefix matches first (the trigger, then a word of
// the trigger or description), then fuzzy ones (the query's characters in order within the
// trigger, or a trigger within edit distance 2 for a typo). Computed in memory: a workspace
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

/** Levenshtein distance, giving up (Infinity) beyond `max`. */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return Number.POSITIVE_INFINITY;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
    }
    previous = current;
  }
  return previous[b.length] ?? Number.POSITIVE_INFINITY;
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
  const distance = editDistance(query, trigger.slice(0, query.length), 2);
  if (query.length >= 3 && distance <= 2) return { match: "fuzzy", score: 50 - distance * 10 };
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

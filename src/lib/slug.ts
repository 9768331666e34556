/**
 * Text as a slug: accents dropped, lowercase, every run of anything but a-z and 0-9 one '-',
 * no '-' at either end, at most `maxLength` characters. "" when nothing is left.
 */
export function slugOf(text: string, maxLength: number): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, maxLength)
    .replace(/-+$/, "");
}

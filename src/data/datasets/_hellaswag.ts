/**
 * lm-evaluation-harness's HellaSwag preprocessing (lm_eval/tasks/hellaswag/utils.py @0a9cc282):
 *
 *     def preprocess(text):
 *         text = text.strip()
 *         text = text.replace(" [title]", ". ")
 *         text = re.sub("\\[.*?\\]", "", text)
 *         text = text.replace("  ", " ")
 *
 * Python's `.` matches anything but "\n" (JavaScript's also stops at "\r", U+2028, U+2029), hence `[^\n]`.
 * `str.replace` replaces every non-overlapping occurrence once, left to right, like `replaceAll`.
 */
export function hellaswagPreprocess(text: string): string {
  return pythonStrip(text)
    .replaceAll(" [title]", ". ")
    .replace(/\[[^\n]*?\]/g, "")
    .replaceAll("  ", " ");
}

/** `process_docs`: query = preprocess(activity_label + ": " + ctx_a + " " + ctx_b.capitalize()). */
export function hellaswagQuery(doc: { activity_label: string; ctx_a: string; ctx_b: string }): string {
  return hellaswagPreprocess(`${doc.activity_label}: ${doc.ctx_a} ${pythonCapitalize(doc.ctx_b)}`);
}

/** Python's `str.capitalize()`: first character upper-cased, the rest lower-cased. */
export function pythonCapitalize(text: string): string {
  const [first, ...rest] = [...text];
  return first === undefined ? "" : first.toUpperCase() + rest.join("").toLowerCase();
}

/** Python's `str.strip()` with no argument: strips Unicode whitespace (as `trim`) plus \x1c-\x1f and \x85. */
export function pythonStrip(text: string): string {
  // deno-lint-ignore no-control-regex -- Python counts the separators \x1c-\x1f as whitespace.
  return text.replace(/^[\s\x1c-\x1f\x85]+|[\s\x1c-\x1f\x85]+$/g, "");
}

/** Escapes text for one cell of a markdown table (pipes, backslashes, line breaks). */
export function cell(text: string): string {
    return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}

/**
 * RFC 4180, strictly: fields split on commas, a quoted field (the quote
 * opens it) may hold commas, doubled quotes and line breaks, and every row
 * ends with CRLF. Throws on text that does not end its last row, or on a
 * quote inside an unquoted field, so a writer that gets either wrong fails
 * the test that reads its output.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') {
      if (field !== '') throw new Error(`a quote inside an unquoted field, row ${rows.length + 1}: ${JSON.stringify(field)}`);
      quoted = true;
    } else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  if (field !== '' || row.length > 0 || quoted)
    throw new Error(`the CSV text does not end its last row with CRLF: ${JSON.stringify(text.slice(-80))}`);
  return rows;
}

/** The rows after the header, each as an object keyed by the header's names. */
export function csvRecords(text: string): Record<string, string>[] {
  const [head, ...body] = parseCsv(text);
  return body.map((cells) => Object.fromEntries((head ?? []).map((name, i) => [name, cells[i] ?? ''])));
}

/** An RFC 4180 reader for the tests: records of fields, quoted fields may hold commas, quotes and line breaks. */
export function readCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') record.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      (record = []), (field = ''), i++;
    } else field += c;
  }
  if (field !== '' || record.length) records.push([...record, field]);
  return records;
}

/** The sections of a report CSV: a name line, a header line, rows, a blank line before the next. */
export function csvSections(records: string[][]): Map<string, { header: string[]; rows: string[][] }> {
  const out = new Map<string, { header: string[]; rows: string[][] }>();
  for (let i = 1; i < records.length; ) {
    if (records[i].length === 1 && records[i][0] === '') {
      const name = records[i + 1][0];
      const header = records[i + 2];
      const rows: string[][] = [];
      let j = i + 3;
      for (; j < records.length && !(records[j].length === 1 && records[j][0] === ''); j++) rows.push(records[j]);
      out.set(name, { header, rows });
      i = j;
    } else i++;
  }
  return out;
}

// Offsets <-> zero-based line and column (UTF-16 code units, as JavaScript
// strings and the Language Server Protocol both count). Lines end at \n,
// \r\n or a lone \r, as the protocol says, so editor and server agree on
// line numbers whatever a file's line endings.
export interface Position {
  line: number;
  character: number;
}

export class LineIndex {
  private readonly lineStarts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === 10 || (code === 13 && text.charCodeAt(i + 1) !== 10)) this.lineStarts.push(i + 1);
    }
  }

  positionAt(offset: number): Position {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.lineStarts[middle] <= clamped) low = middle;
      else high = middle - 1;
    }
    // An offset between \r and \n is the end of its line.
    return { line: low, character: Math.min(clamped, this.lineEnd(low)) - this.lineStarts[low] };
  }

  offsetAt(position: Position): number {
    if (position.line >= this.lineStarts.length) return this.text.length;
    const line = Math.max(0, position.line);
    return Math.min(this.lineStarts[line] + Math.max(0, position.character), this.lineEnd(line));
  }

  /** The offset where a line's text ends, before its line break. */
  private lineEnd(line: number): number {
    if (line + 1 >= this.lineStarts.length) return this.text.length;
    const breakEnd = this.lineStarts[line + 1];
    return this.text.charCodeAt(breakEnd - 1) === 10 && this.text.charCodeAt(breakEnd - 2) === 13 ? breakEnd - 2 : breakEnd - 1;
  }
}

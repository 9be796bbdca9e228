/** Lays out rows as aligned columns; `paint` styles a cell after padding (colours do not count). */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  paint: (cell: string, column: number, row: number) => string = (cell) => cell,
  head: (cell: string) => string = (cell) => cell,
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[], style: (cell: string, column: number) => string) =>
    cells
      .map((cell, i) => {
        const padded = i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)
        return style(padded, i)
      })
      .join('  ')
      .trimEnd()
  return [
    line(header, head),
    ...rows.map((r, ri) => line(r, (cell, ci) => paint(cell, ci, ri))),
  ].join('\n')
}

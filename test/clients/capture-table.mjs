// Preloaded into the examples (`node --import`) by examples.test.ts: every console.table call also
// writes its data as one JSON line to $CAPTURE_TABLE_FILE, so the test reads the data, not the drawing.
import { appendFileSync } from "node:fs";

const file = process.env.CAPTURE_TABLE_FILE;
const table = console.table.bind(console);
console.table = (data, columns) => {
  if (file) appendFileSync(file, `${JSON.stringify(data)}\n`);
  table(data, columns);
};

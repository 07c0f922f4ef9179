// Parse DBML from standard input with dbdiagram.io's own parser (@dbml/core); exit 1 with its messages
// (line and column) when it refuses. `node parse_dbml.js [dbmlv2|dbml]`: dbmlv2 (default) is the parser
// dbdiagram.io uses today, dbml the older one. Used by tests/test_dbml_dbdiagram.py.
const { Parser } = require("@dbml/core");

const format = process.argv[2] || "dbmlv2";

let text = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { text += chunk; });
process.stdin.on("end", () => {
  try {
    const database = new Parser().parse(text, format);
    const tables = database.schemas.flatMap((s) => s.tables.map((t) => t.name));
    const groups = database.schemas.flatMap((s) => s.tableGroups.map((g) => g.name));
    process.stdout.write(JSON.stringify({ tables, groups }) + "\n");
  } catch (error) {
    const diags = error.diags || [error];
    for (const d of diags) {
      const where = d.location && d.location.start ? `line ${d.location.start.line}, column ${d.location.start.column}: ` : "";
      process.stderr.write(where + (d.message || String(d)) + "\n");
    }
    process.exit(1);
  }
});

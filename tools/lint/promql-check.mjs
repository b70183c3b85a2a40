// Parse PromQL expressions with Prometheus' own grammar (@prometheus-io/lezer-promql,
// the parser of the Prometheus web UI) and report syntax errors.
// Input: a JSON array of {"name": str, "expr": str} on stdin.
// Output: one line per broken expression; exit 1 if any, 0 otherwise.
import { parser } from "@prometheus-io/lezer-promql";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const items = JSON.parse(Buffer.concat(chunks).toString("utf8"));

let broken = 0;
for (const { name, expr } of items) {
  const tree = parser.parse(expr);
  const errors = [];
  tree.iterate({
    enter(node) {
      // lezer marks what it could not parse with error nodes (type id 0).
      if (node.type.isError) errors.push(node.from);
    },
  });
  if (errors.length > 0) {
    broken += 1;
    const at = errors[0];
    console.log(`${name}: syntax error at offset ${at}: ${expr.slice(Math.max(0, at - 20), at)}<<HERE>>${expr.slice(at, at + 20)}`);
  }
}
console.log(`promql-check: ${items.length} expression(s), ${broken} with syntax errors`);
process.exit(broken > 0 ? 1 : 0);

// Coerces variables with graphql-js, for graphqlhttp/conformance_test.go's comparison with
// graph.CoerceVariables. Reads one JSON object from stdin, {"schema": SDL, "cases":
// [{"query", "variables" (JSON text)}]}, and prints, for each case in order, either
// {"coerced": values} or {"errors": [messages]}, as graphql-js's execute would
// (getVariableValues with maxErrors 50).
import { buildSchema, parse, getVariableValues } from 'graphql';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const schema = buildSchema(input.schema);
const out = input.cases.map((c) => {
  const op = parse(c.query).definitions.find((d) => d.kind === 'OperationDefinition');
  const res = getVariableValues(schema, op.variableDefinitions ?? [], JSON.parse(c.variables), { maxErrors: 50 });
  return res.errors ? { errors: res.errors.map((e) => e.message) } : { coerced: res.coerced };
});
process.stdout.write(JSON.stringify(out));

// Runs the graphql-http audit suite (GraphQL over HTTP conformance) against a server
// and prints one JSON array of results: {id, name, status, reason}. The status is "ok",
// or "error" for a failed MUST, "warn" for a failed SHOULD, "notice" for a failed MAY.
//
//   node audit.mjs http://127.0.0.1:8080/graphql
//
// graphqlhttp/conformance_test.go runs it against a gateway it starts.
import { auditServer } from 'graphql-http';

const url = process.argv[2] || process.env.SPACEGRAPH_GRAPHQL_URL;
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}

const results = await auditServer({ url });
const out = [];
for (const r of results) {
  out.push({ id: r.id, name: r.name, status: r.status, reason: r.status === 'ok' ? undefined : r.reason });
}
process.stdout.write(JSON.stringify(out, null, 1) + '\n');
// Unread response bodies would keep sockets, and so the process, alive a while.
process.exit(0);

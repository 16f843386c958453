// A job's callback receiver for the tests, verifying every delivery with the `standardwebhooks` package (the Standard
// Webhooks project's own implementation, not code of this repository). Run by Pipeline.IntegrationTests (CallbackTests):
//   node tests/Callbacks/receiver.mjs --secret whsec_… [--previous whsec_…] [--down 3] [--redirect http://…] [--port 9090]
// Answers 401 to a delivery that does not verify, 503 to the first --down deliveries that do ("down"), a 302 to
// --redirect when given, and 204 otherwise. Prints one JSON line per delivery, and first {"listening": port}.
import http from "node:http";
import { Webhook } from "standardwebhooks";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []));
const current = new Webhook(args.secret);
const previous = args.previous ? new Webhook(args.previous) : null;
let down = Number(args.down ?? 0);

function verify(webhook, body, headers) {
  try {
    return { event: webhook.verify(body, headers), error: null };
  } catch (error) {
    return { event: null, error: error.message };
  }
}

const server = http.createServer((request, response) => {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    const byCurrent = verify(current, body, request.headers);
    const byPrevious = previous ? verify(previous, body, request.headers) : null;
    const event = byCurrent.event;
    let status = 204;
    if (!event) status = 401;
    else if (down > 0) {
      down--;
      status = 503;
    } else if (args.redirect) status = 302;
    console.log(JSON.stringify({
      id: request.headers["webhook-id"], path: request.url, status, verified: !!event, error: byCurrent.error,
      verified_by_previous: byPrevious ? !!byPrevious.event : null, content_type: request.headers["content-type"],
      specversion: event?.specversion, type: event?.type, event_id: event?.id, job: event?.data?.id,
    }));
    response.writeHead(status, status === 302 ? { location: args.redirect } : {});
    response.end();
  });
});

server.listen(Number(args.port ?? 0), "127.0.0.1", () => console.log(JSON.stringify({ listening: server.address().port })));

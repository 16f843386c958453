// A client of the video pipeline generated from its OpenAPI document, run against a live host by
// Pipeline.IntegrationTests (GeneratedClientTests): openapi-typescript turns /api/openapi.json into api.d.ts beside this
// file, tsc type-checks this program against it (a field or route the contract lacks fails the compile), and the
// program runs a job end to end through openapi-fetch. Prints one JSON line; exits non-zero on any failure.
import createClient from "openapi-fetch";
import type { paths } from "./api.js";

const baseUrl = process.argv[2];
const client = createClient<paths>({ baseUrl });

async function waitForJob(id: string): Promise<paths["/api/videos/{id}"]["get"]["responses"][200]["content"]["application/json"]> {
  for (let i = 0; i < 600; i++) {
    const { data, error } = await client.GET("/api/videos/{id}", { params: { path: { id } } });
    if (error || !data) throw new Error(`GET /api/videos/${id}: ${JSON.stringify(error)}`);
    if (data.status === "succeeded" || data.status === "failed" || data.status === "cancelled") return data;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`job ${id} did not finish`);
}

const submitted = await client.POST("/api/videos/text-to-video", {
  body: { prompt: "A generated client's lighthouse", resolution: "480p", duration: "4", variants: 2, correlation: { order: "gen-1" } },
});
if (submitted.error || !submitted.data) throw new Error(`POST: ${JSON.stringify(submitted.error)}`);
const jobs = submitted.data.jobs ?? [];
if (jobs.length !== 2 || !submitted.data.batch_id) throw new Error(`expected two variants: ${JSON.stringify(submitted.data)}`);

const finished = [];
for (const job of jobs) finished.push(await waitForJob(job.id));
const batch = await client.GET("/api/batches/{id}", { params: { path: { id: submitted.data.batch_id } } });
if (batch.error || !batch.data) throw new Error(`GET batch: ${JSON.stringify(batch.error)}`);
const refused = await client.POST("/api/videos/image-to-video", { body: { prompt: "no image", image_url: "not a url" } });

console.log(JSON.stringify({
  statuses: finished.map((job) => job.status),
  videos: finished.map((job) => job.video?.blob ?? null),
  seeds: jobs.map((job) => job.seed),
  order: finished[0].correlation?.order ?? null,
  batch: { total: batch.data.total, succeeded: batch.data.succeeded },
  refused: refused.response.status,
}));

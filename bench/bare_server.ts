/**
 * The ceiling of the single-sheet POST benchmark: a bare `Deno.serve` that reads and parses the
 * same request and answers the same 201 shape, with no validation and no storage.
 * @module
 */
let id = 0;
const server = Deno.serve({
  port: 0,
  hostname: "127.0.0.1",
  onListen: ({ port }) => console.log(`listening ${port}`),
}, async (request) => {
  JSON.parse(await request.text());
  return Response.json(
    {
      success: true,
      message: "Stat sheet received successfully",
      id: ++id,
      timestamp: new Date().toISOString(),
    },
    { status: 201 },
  );
});
Deno.addSignalListener("SIGTERM", () => server.shutdown());

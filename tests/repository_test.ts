import { equal, match, ok } from "node:assert/strict";

const read = (path: string) => Deno.readTextFile(new URL(`../${path}`, import.meta.url));

Deno.test("the repository carries the original's MIT license and says so in the README", async () => {
  match(await read("LICENSE"), /^MIT License\n[\s\S]*Permission is hereby granted, free of charge/);
  match(await read("README.md"), /## License\n\nMIT[^\n]*\[LICENSE\]\(LICENSE\)/);
});

Deno.test("the README starts with the two commands a new user runs: the demo and the tests", async () => {
  const readme = await read("README.md");
  const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
  const commands = firstBlock.split("\n").filter(Boolean).map((line) =>
    line.split(/\s+#/)[0]!.trim()
  );
  equal(commands[0], "deno task demo");
  equal(commands[1], "deno test -P");
  const config = JSON.parse(await read("deno.json"));
  ok(config.test?.permissions, "deno test -P needs test.permissions in deno.json");
  for (const [task, command] of Object.entries(config.tasks as Record<string, string>)) {
    equal(/--allow-all|\s-A\b/.test(command), false, `task ${task} runs without --allow-all`);
  }
});

/**
 * Whether Jupyter and Deno's kernel are here. They are optional on a laptop and required in CI
 * (`CI=true`, where .ci/run installs them): tests skip with a note, or fail when required.
 * @module
 */

/** What is missing to run a notebook (no nbconvert, no deno kernelspec), or undefined. */
export async function findMissingJupyter(): Promise<string | undefined> {
  try {
    const kernels = await new Deno.Command("jupyter", {
      args: ["kernelspec", "list", "--json"],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!kernels.success) return "jupyter does not run";
    if (!("deno" in JSON.parse(new TextDecoder().decode(kernels.stdout)).kernelspecs)) {
      return "no deno kernelspec (deno jupyter --install)";
    }
    return undefined;
  } catch {
    return "jupyter is not installed";
  }
}

/** True when CI requires every optional tool (a missing one then fails the test instead). */
export const TOOLS_REQUIRED = Deno.env.get("CI") === "true";

/** What one pass of `notebook_runner.py` over the notebook saw. */
export interface NotebookPass {
  /** Cell errors, empty when every cell ran clean. */
  errors: string[];
  /** Chart bundles displayed. */
  charts: number;
  /** Text and Markdown the cells displayed. */
  texts: string[];
}

/**
 * Runs `notebook_runner.py` in a live kernel (its extra `args`: pass count, scenario) against the
 * server at `serverUrl`, writing into `outputDir`; fails the test when the runner itself fails.
 */
export async function runNotebookPasses(
  serverUrl: string,
  outputDir: string,
  args: string[] = [],
): Promise<NotebookPass[]> {
  const { code, stdout, stderr } = await new Deno.Command("/usr/bin/python3", {
    args: [
      new URL("./notebook_runner.py", import.meta.url).pathname,
      new URL("../notebooks/simulator.ipynb", import.meta.url).pathname,
      new URL("../notebooks/", import.meta.url).pathname,
      ...args,
    ],
    env: {
      LOOT_SERVER: serverUrl,
      LOOT_OUTPUT_DIR: outputDir,
      PYDEVD_DISABLE_FILE_VALIDATION: "1",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(`notebook_runner.py failed: ${new TextDecoder().decode(stderr)}`);
  return JSON.parse(new TextDecoder().decode(stdout));
}

/**
 * Runs `deno task notebook --fresh --out outputDir` with no server at LOOT_SERVER (so it starts one
 * in-process); returns its exit code and output.
 */
export async function runNotebookTask(
  outputDir: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../cli/notebook.ts", import.meta.url).pathname,
      "--fresh",
      "--out",
      outputDir,
    ],
    env: { LOOT_SERVER: "http://127.0.0.1:9" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

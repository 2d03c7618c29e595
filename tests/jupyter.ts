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

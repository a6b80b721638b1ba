// Imports each module given on the command line, one after another, in this one process, and
// writes how each went to the results file (argv[2]). Used to run the TSDoc examples cheaply:
// they are small, and each finishes its own Eio.run before the next starts. The modules are the
// examples with their types stripped (see code-blocks.ts), so no TypeScript loader is needed.
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [resultsFile, ...files] = process.argv.slice(2);
const results = [];
let current = null;

// An example's stray rejection or exception is charged to the example that is running.
const blame = (error) => {
  if (current !== null) current.errors.push(error);
};
process.on("unhandledRejection", blame);
process.on("uncaughtException", blame);

const describe = (e) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

for (const file of files) {
  current = { errors: [] };
  let timer;
  try {
    await Promise.race([
      import(pathToFileURL(file).href),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("did not finish within 10 s")), 10_000);
      }),
    ]);
    // Let a late rejection from this example surface before moving on.
    await new Promise((resolve) => setImmediate(resolve));
  } catch (error) {
    current.errors.push(error);
  } finally {
    clearTimeout(timer);
  }
  const errors = current.errors;
  results.push(errors.length === 0 ? { file, ok: true } : { file, ok: false, error: errors.map(describe).join("; ") });
}
current = null;
writeFileSync(resultsFile, JSON.stringify(results, null, 2));
process.exit(0);

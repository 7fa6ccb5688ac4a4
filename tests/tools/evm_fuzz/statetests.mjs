// Runs `parevm statetest` (with extra options) on a folder of generated
// cases (ejs.mjs, ejs_mutate.mjs, precompiles.mjs): prints the first 40 FAIL
// lines and returns statetest's "N passed, N failed" line.
import { execFileSync } from "node:child_process";

export function runStatetests(parevm, dir, extra = []) {
  let out;
  try { out = execFileSync(parevm, ["statetest", ...extra, dir], { maxBuffer: 1 << 28 }).toString(); }
  catch (e) { out = String(e.stdout || "") + String(e.stderr || ""); }
  const failures = out.split("\n").filter((l) => /FAIL|fail/.test(l) && !/^\d+ passed/.test(l));
  for (const l of failures.slice(0, 40)) console.log("  " + l);
  const lines = out.trim().split("\n");
  return lines.filter((l) => /^\d+ passed, \d+ failed$/.test(l)).pop() || lines.pop();
}

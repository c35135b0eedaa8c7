/** The esbuild bundle is self-contained: only `vscode` (provided by the host) stays external. */

import assert from "node:assert/strict";
import Module from "node:module";
import { join } from "node:path";
import { it } from "node:test";

it("loads with nothing but the vscode module provided, and exports activate/deactivate", () => {
  const bundle = join(__dirname, "..", "..", "dist", "extension.js");
  const requested: string[] = [];
  const mod = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
  const original = mod._load;
  mod._load = function (request, parent, isMain) {
    if (request === "vscode") {
      requested.push(request);
      // The client library subclasses vscode's classes at load time: any name is a class here.
      return new Proxy({}, { get: () => class {} });
    }
    if (!request.startsWith("node:") && !Module.builtinModules.includes(request) && request !== bundle) {
      throw new Error(`the bundle requires ${request} at run time; it must be bundled`);
    }
    return original.call(this, request, parent, isMain);
  };
  try {
    const extension = require(bundle) as { activate?: unknown; deactivate?: unknown };
    assert.equal(typeof extension.activate, "function");
    assert.equal(typeof extension.deactivate, "function");
    assert.deepEqual([...new Set(requested)], ["vscode"]);
  } finally {
    mod._load = original;
  }
});

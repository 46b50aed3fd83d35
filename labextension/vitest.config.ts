import { readFileSync } from "node:fs";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

// The bundle imports style.css as text (esbuild's text loader); do the same under vitest,
// through a virtual module id (so Vite's own CSS handling leaves it alone).
function cssAsText(): Plugin {
  const PREFIX = "\0css-text:";
  return {
    name: "css-as-text",
    enforce: "pre",
    async resolveId(source, importer) {
      if (!source.endsWith(".css") || !importer) return null;
      const r = await this.resolve(source, importer, { skipSelf: true });
      return r ? `${PREFIX}${r.id}.js` : null; // must not end in .css
    },
    load(id) {
      if (!id.startsWith(PREFIX)) return null;
      return `export default ${JSON.stringify(readFileSync(id.slice(PREFIX.length, -3), "utf8"))};`;
    },
  };
}

export default defineConfig({
  plugins: [cssAsText()],
  test: {
    environment: "jsdom",
    include: ["tests/**/*.test.ts"],
    testTimeout: 20000,
  },
});

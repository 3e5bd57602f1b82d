import { defineConfig } from "vite";

// The window loads the built files from the app itself (tauri://localhost): no dev server, no
// remote URL. JSX compiles to Preact's runtime; no plugin needed for that.
export default defineConfig({
  clearScreen: false,
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: { outDir: "dist", emptyOutDir: true, target: "safari15" },
  test: { environment: "happy-dom" },
});

import { defineConfig } from "vite";

// The window loads the built files from the app itself (tauri://localhost): no dev server, no
// remote URL.
export default defineConfig({
  clearScreen: false,
  build: { outDir: "dist", emptyOutDir: true, target: "safari15" },
  test: { environment: "happy-dom" },
});

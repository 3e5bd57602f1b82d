// Paths as the person reads them: inside the project folder, relative to it ("src/main.rs");
// anything else (what ClawBox refused) in full, so it is clear where it points.
export function shortPath(path: string, project: string): string {
  const folder = project.replace(/[\\/]+$/, "");
  if (!folder || !path.startsWith(folder)) return path;
  const rest = path.slice(folder.length);
  if (rest === "") return path;
  // "/home/ada/notes-old/x" is not inside "/home/ada/notes".
  if (rest[0] !== "/" && rest[0] !== "\\") return path;
  return rest.slice(1) || path;
}

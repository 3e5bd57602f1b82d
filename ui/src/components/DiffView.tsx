// A unified diff (of a configuration file, or of a file an agent changes), added and removed lines
// marked (by class, not colour alone: the leading + and - stay in the text).
export function DiffView({ id, diff }: { id?: string; diff: string }) {
  const lines = diff.replace(/\n$/, "").split("\n");
  return (
    <pre id={id} class="diff">
      {lines.map((line, i) => (
        <span key={i} class={lineClass(line)}>
          {line}
          {"\n"}
        </span>
      ))}
    </pre>
  );
}

function lineClass(line: string): string | undefined {
  if (line.startsWith("+++") || line.startsWith("---")) return "diff-file";
  if (line.startsWith("+")) return "diff-add";
  if (line.startsWith("-")) return "diff-del";
  if (line.startsWith("@@")) return "diff-hunk";
  return undefined;
}

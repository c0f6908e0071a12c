/** Captures what a `byodkim` command writes, for in-process CLI tests (`run(argv, capture().io)`). */
export function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

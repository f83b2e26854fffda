/** Median, min and max of a benchmark's samples: the form every bench table reports. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Missing samples (null: the event was not observed) are left out; none at all gives null. */
export function summarize(samples: readonly (number | null)[]): Summary | null {
  const values = samples.filter((x): x is number => x !== null).sort((a, b) => a - b);
  if (values.length === 0) return null;
  return { median: median(values), min: values[0] as number, max: values.at(-1) as number, n: values.length };
}

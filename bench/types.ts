/** What every benchmark reports: its figure against a target and a baseline measured in the same run. */
export interface BenchResult {
  name: string;
  figure: number;
  unit: string;
  target: string;
  baseline: { name: string; figure: number; unit: string };
  ratio: number;
  pass: boolean;
  notes?: string;
}

import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { UserError } from '../errors.js';

// Prices live in one data file (data/prices.yaml) so updating them is a data
// change, not a code change.
const priceSchema = z.object({
  input: z.number().nonnegative().describe('USD per 1M input tokens'),
  output: z.number().nonnegative().describe('USD per 1M output tokens'),
});
export const priceTableSchema = z.object({ models: z.record(z.string(), priceSchema) });
export type PriceTable = z.infer<typeof priceTableSchema>;
export type Price = z.infer<typeof priceSchema>;

/** The shipped table, data/prices.yaml. */
export async function loadShippedPriceTable(): Promise<PriceTable> {
  // Imported lazily: code bundled outside the package (benchmarks) that
  // passes its own table must not need the package root.
  const { assetPath } = await import('../paths.js');
  return loadPriceTable(assetPath('data', 'prices.yaml'));
}

export function loadPriceTable(path: string): PriceTable {
  const parsed = priceTableSchema.safeParse(parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    throw new UserError(`price table: ${parsed.error.issues[0]!.message}`, {
      where: path,
      fix: 'Each entry is `model: { input: USD_per_1M, output: USD_per_1M }` under `models:`.',
    });
  }
  return parsed.data;
}

/** Cost in USD, or undefined when the model has no price. */
export function costOf(table: PriceTable, model: string, input: number, output: number): number | undefined {
  const p = table.models[model];
  if (!p) return undefined;
  return (input * p.input + output * p.output) / 1_000_000;
}

// Maps a zod issue path back to file:line:column in the YAML source, so a
// policy error points at the key or value a person has to change.
import type { LineCounter } from 'yaml';
import { isMap, isSeq, type Document, type Node, type Pair } from 'yaml';

export function positionOf(
  doc: Document,
  counter: LineCounter,
  path: ReadonlyArray<PropertyKey>,
  unknownKey?: string,
): { line: number; col: number } | undefined {
  let node: unknown = doc.contents;
  let best: [number, number, number] | undefined = (node as Node | null)?.range ?? undefined;
  const steps: PropertyKey[] = unknownKey === undefined ? [...path] : [...path, unknownKey];
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    if (isMap(node)) {
      const pair = (node.items as Pair[]).find((p) => (p.key as { value?: unknown } | null)?.value === step);
      if (!pair) break;
      const isLastKey = unknownKey !== undefined && i === steps.length - 1;
      const keyRange = (pair.key as Node | null)?.range;
      const valueRange = (pair.value as Node | null)?.range;
      best = (isLastKey ? keyRange : (valueRange ?? keyRange)) ?? best;
      node = pair.value;
    } else if (isSeq(node) && typeof step === 'number') {
      const item = node.items[step] as Node | undefined;
      if (!item) break;
      best = item.range ?? best;
      node = item;
    } else break;
  }
  if (!best) return undefined;
  const p = counter.linePos(best[0]);
  return { line: p.line, col: p.col };
}

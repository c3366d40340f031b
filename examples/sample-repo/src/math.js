// A tiny library with one bug: add subtracts.
export function add(a, b) {
  return a - b;
}

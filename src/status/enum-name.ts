/**
 * Builds a lookup from the numeric values of an `as const` enum object back to member names.
 *
 * @param members - An `as const` object mapping names to numbers.
 * @returns A function that returns the member name for a value, or `undefined` when no member has it.
 * @internal
 */
export function nameLookup<T extends Record<string, number>>(members: T): (value: number) => (keyof T & string) | undefined {
  const names = new Map<number, keyof T & string>();
  for (const key of Object.keys(members) as Array<keyof T & string>) {
    const value = members[key];
    if (value !== undefined && !names.has(value)) names.set(value, key);
  }
  return (value: number) => names.get(value);
}

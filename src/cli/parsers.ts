import { InvalidArgumentError } from 'commander';

function parseNumber(kind: string, test: (n: number) => boolean, integer: boolean) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || !test(n)) {
      throw new InvalidArgumentError(`Expected ${kind}, got \`${value}\`.`);
    }
    return n;
  };
}

export const positiveInt = parseNumber('a positive integer', (n) => n > 0, true);
export const nonNegativeInt = parseNumber('a non-negative integer', (n) => n >= 0, true);
export const positiveSeconds = parseNumber('a positive number of seconds', (n) => n > 0, false);
export const nonNegativeSeconds = parseNumber('a non-negative number of seconds', (n) => n >= 0, false);
export const nonNegativeNumber = parseNumber('a non-negative number', (n) => n >= 0, false);

/**
 * The sandbox Macie's detectors: a few of Macie's managed data identifiers, by their own ids,
 * categories and severity tables (Macie User Guide, "Detailed reference: managed data
 * identifiers" and "Severity scoring for sensitive data findings"), and custom data
 * identifiers from the world. They count occurrences and never keep the text they matched.
 *
 * Macie has no managed identifier for e-mail addresses or AWS access key ids (AKIA…): a world
 * that wants them found defines a custom data identifier, as an AWS account would.
 */
import type { AllowList, CustomDataIdentifier } from './macie-world.js';

/** Macie's sensitive data categories (SensitiveDataItemCategory). */
export type MacieCategory =
  | 'CREDENTIALS'
  | 'FINANCIAL_INFORMATION'
  | 'PERSONAL_INFORMATION'
  | 'CUSTOM_IDENTIFIER';
/** Macie's severity levels (SeverityDescription). */
export type MacieSeverity = 'Low' | 'Medium' | 'High';

/** Severity by score, as Macie maps them (1 Low, 2 Medium, 3 High). */
export const SEVERITY_SCORE: Readonly<Record<MacieSeverity, number>> = { Low: 1, Medium: 2, High: 3 };

/** One occurrence: where it is. The text itself is not kept. */
interface Match {
  readonly start: number;
  readonly end: number;
}

/** The text of one object, and whether it is a table whose header names its columns. */
export interface ScannedText {
  readonly text: string;
  readonly tabular: boolean;
}

interface ManagedIdentifier {
  readonly category: Exclude<MacieCategory, 'CUSTOM_IDENTIFIER'>;
  /** Severity for 1, 2–99 and 100 or more occurrences, from Macie's severity tables. */
  readonly severity: readonly [MacieSeverity, MacieSeverity, MacieSeverity];
  readonly find: (input: ScannedText) => Match[];
}

/** Macie's proximity rule for managed identifiers: a keyword within 30 characters. */
const KEYWORD_DISTANCE = 30;

function allMatches(text: string, pattern: RegExp): Array<Match & { readonly value: string }> {
  const flags = pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`;
  return [...text.matchAll(new RegExp(pattern.source, flags))]
    .filter((m) => m[0] !== '')
    .map((m) => ({ start: m.index, end: m.index + m[0].length, value: m[0] }));
}

function normalised(text: string): string {
  return text.toLowerCase().replace(/[_-]+/g, ' ');
}

/** The header cell above the match, for a comma- or tab-separated table. */
function columnName(input: ScannedText, at: number): string | null {
  if (!input.tabular) return null;
  const lineStart = input.text.lastIndexOf('\n', at - 1) + 1;
  if (lineStart === 0) return null;
  const separator = input.text.includes('\t') ? '\t' : ',';
  const column = input.text.slice(lineStart, at).split(separator).length - 1;
  const header = input.text.slice(0, input.text.indexOf('\n')).split(separator);
  return header[column] ?? null;
}

/**
 * Whether a keyword is in proximity: within 30 characters of the match, or, in a table, in the
 * name of its column (Macie's keyword requirements for structured columnar data).
 */
function keywordNear(input: ScannedText, match: Match, keywords: readonly string[]): boolean {
  const around = normalised(
    input.text.slice(Math.max(0, match.start - KEYWORD_DISTANCE), match.end + KEYWORD_DISTANCE),
  );
  const column = normalised(columnName(input, match.start) ?? '');
  return keywords.some((keyword) => around.includes(keyword) || column.includes(keyword));
}

/** The Luhn check that card numbers pass. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** 13 to 19 digits, optionally grouped by single spaces or dashes, passing the Luhn check. */
function cardNumbers(text: string): Match[] {
  return allMatches(text, /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/).filter((m) => {
    const digits = m.value.replace(/[ -]/g, '');
    return digits.length >= 13 && digits.length <= 19 && luhnValid(digits);
  });
}

const CARD_KEYWORDS = [
  'card',
  'credit',
  'debit',
  'cc#',
  'ccn',
  'visa',
  'mastercard',
  'american express',
  'amex',
  'discover',
  'diners club',
  'jcb',
];

/** 40 characters of a secret access key's alphabet, in mixed case. */
function secretKeys(text: string): Match[] {
  // AWS's documentation examples, which Macie does not report.
  const examples = new Set([
    'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY',
  ]);
  return allMatches(text, /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/).filter(
    (m) => /[a-z]/.test(m.value) && /[A-Z]/.test(m.value) && !examples.has(m.value),
  );
}

const SECRET_KEY_KEYWORDS = [
  'aws secret access key',
  'credentials',
  'secret access key',
  'secret key',
  'set awscredential',
];

/** AAA-GG-SSSS with the area, group and serial numbers the SSA never issues left out. */
function socialSecurityNumbers(text: string): Match[] {
  return allMatches(text, /(?<!\d)(\d{3})-(\d{2})-(\d{4})(?!\d)/).filter((m) => {
    const [area = '', group = '', serial = ''] = m.value.split('-');
    return area !== '000' && area !== '666' && !area.startsWith('9') && group !== '00' && serial !== '0000';
  });
}

const SSN_KEYWORDS = ['social security', 'ssn', 'ss#', 'ssa number'];

function withKeyword(find: (text: string) => Match[], keywords: readonly string[], wanted: boolean) {
  return (input: ScannedText) => find(input.text).filter((m) => keywordNear(input, m, keywords) === wanted);
}

const ALWAYS_HIGH = ['High', 'High', 'High'] as const;

/**
 * The managed data identifiers the sandbox models, by Macie's id. CREDIT_CARD_NUMBER is a card
 * number with a keyword in proximity; CREDIT_CARD_NUMBER_(NO_KEYWORD) one without.
 */
export const MANAGED_DATA_IDENTIFIERS: Readonly<Record<string, ManagedIdentifier>> = {
  AWS_CREDENTIALS: {
    category: 'CREDENTIALS',
    severity: ALWAYS_HIGH,
    find: withKeyword(secretKeys, SECRET_KEY_KEYWORDS, true),
  },
  OPENSSH_PRIVATE_KEY: {
    category: 'CREDENTIALS',
    severity: ALWAYS_HIGH,
    find: (input) => allMatches(input.text, /-----BEGIN OPENSSH PRIVATE KEY-----/),
  },
  CREDIT_CARD_NUMBER: {
    category: 'FINANCIAL_INFORMATION',
    severity: ALWAYS_HIGH,
    find: withKeyword(cardNumbers, CARD_KEYWORDS, true),
  },
  'CREDIT_CARD_NUMBER_(NO_KEYWORD)': {
    category: 'FINANCIAL_INFORMATION',
    severity: ALWAYS_HIGH,
    find: withKeyword(cardNumbers, CARD_KEYWORDS, false),
  },
  USA_SOCIAL_SECURITY_NUMBER: {
    category: 'PERSONAL_INFORMATION',
    severity: ALWAYS_HIGH,
    find: withKeyword(socialSecurityNumbers, SSN_KEYWORDS, true),
  },
};

/** Whether Macie has a managed data identifier of this id that the sandbox models. */
export function isManagedDataIdentifier(id: string): boolean {
  return Object.hasOwn(MANAGED_DATA_IDENTIFIERS, id);
}

/** One type of sensitive data found in an object, as a finding's detections report it. */
export interface ManagedDetection {
  readonly type: string;
  readonly category: Exclude<MacieCategory, 'CUSTOM_IDENTIFIER'>;
  readonly count: number;
  readonly severity: MacieSeverity;
}

/** Occurrences of one custom data identifier in an object. */
export interface CustomDetection {
  readonly id: string;
  readonly name: string;
  readonly count: number;
}

/** What one object holds. */
export interface Detections {
  readonly managed: readonly ManagedDetection[];
  readonly custom: readonly CustomDetection[];
}

/** What the detectors look for: the job's identifiers and allow lists. */
export interface DetectorSettings {
  readonly managedIds: readonly string[];
  readonly custom: ReadonlyArray<{ readonly id: string; readonly identifier: CustomDataIdentifier }>;
  readonly allowLists: readonly AllowList[];
}

function severityFor(identifier: ManagedIdentifier, count: number): MacieSeverity {
  const [one, some, many] = identifier.severity;
  return count >= 100 ? many : count >= 2 ? some : one;
}

/** Text an allow list names is not reported. */
function allowed(value: string, lists: readonly AllowList[]): boolean {
  return lists.some((list) =>
    list.regex !== undefined ? new RegExp(list.regex).test(value) : (list.entries ?? []).includes(value),
  );
}

function customMatches(
  input: ScannedText,
  identifier: CustomDataIdentifier,
): Array<Match & { value: string }> {
  const keywords = identifier.keywords.map((k) => k.toLowerCase());
  return allMatches(input.text, new RegExp(identifier.regex)).filter((m) => {
    if (identifier.ignoreWords.some((word) => m.value.includes(word))) return false;
    if (keywords.length === 0) return true;
    // The distance runs from the end of a keyword to the end of the match (CreateCustomDataIdentifier).
    const before = input.text
      .slice(Math.max(0, m.end - identifier.maximumMatchDistance), m.start)
      .toLowerCase();
    return keywords.some((keyword) => before.includes(keyword));
  });
}

/** What the detectors find in one object's text: counts per type, never the values. */
export function detectSensitiveData(input: ScannedText, settings: DetectorSettings): Detections {
  const managed: ManagedDetection[] = [];
  for (const type of settings.managedIds) {
    const identifier = MANAGED_DATA_IDENTIFIERS[type];
    if (identifier === undefined) continue;
    const count = identifier
      .find(input)
      .filter((m) => !allowed(input.text.slice(m.start, m.end), settings.allowLists)).length;
    if (count > 0) {
      managed.push({ type, category: identifier.category, count, severity: severityFor(identifier, count) });
    }
  }
  const custom: CustomDetection[] = [];
  for (const { id, identifier } of settings.custom) {
    const count = customMatches(input, identifier).filter(
      (m) => !allowed(m.value, settings.allowLists),
    ).length;
    if (count > 0) custom.push({ id, name: identifier.name, count });
  }
  return { managed, custom };
}

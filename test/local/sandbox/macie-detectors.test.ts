import { describe, expect, it } from 'vitest';
import {
  type DetectorSettings,
  detectSensitiveData,
  luhnValid,
  MANAGED_DATA_IDENTIFIERS,
} from '../../../local/sandbox/macie-detectors.js';
import { CustomDataIdentifierSchema } from '../../../local/sandbox/macie-world.js';

const ALL_MANAGED: DetectorSettings = {
  managedIds: Object.keys(MANAGED_DATA_IDENTIFIERS),
  custom: [],
  allowLists: [],
};

function found(text: string, settings: DetectorSettings = ALL_MANAGED, tabular = false) {
  return detectSensitiveData({ text, tabular }, settings);
}

function types(text: string, tabular = false): Record<string, number> {
  return Object.fromEntries(found(text, ALL_MANAGED, tabular).managed.map((d) => [d.type, d.count]));
}

/** Test card numbers the card networks publish; each passes the Luhn check. */
const VISA = '4111111111111111';
const MASTERCARD = '5555555555554444';
const AMEX = '378282246310005';

describe('the Luhn check', () => {
  it.each([
    [VISA, true],
    [MASTERCARD, true],
    [AMEX, true],
    ['79927398713', true],
    ['4111111111111112', false],
    ['5555555555554445', false],
    ['4111-1111', false],
  ])('%s passes: %s', (digits, valid) => {
    expect(luhnValid(digits)).toBe(valid);
  });
});

describe('card numbers (CREDIT_CARD_NUMBER and CREDIT_CARD_NUMBER_(NO_KEYWORD))', () => {
  it('reports a Luhn-valid number near a keyword as CREDIT_CARD_NUMBER', () => {
    expect(types(`Customer paid with credit card ${VISA} yesterday`)).toEqual({ CREDIT_CARD_NUMBER: 1 });
  });

  it('reports one without a keyword within 30 characters as CREDIT_CARD_NUMBER_(NO_KEYWORD)', () => {
    expect(types(`reference ${MASTERCARD}`)).toEqual({ 'CREDIT_CARD_NUMBER_(NO_KEYWORD)': 1 });
    expect(types(`card${' '.repeat(40)}${MASTERCARD}`)).toEqual({ 'CREDIT_CARD_NUMBER_(NO_KEYWORD)': 1 });
  });

  it('reads numbers grouped by spaces or dashes', () => {
    expect(types('visa 4111 1111 1111 1111 and amex 3782-822463-10005')).toEqual({ CREDIT_CARD_NUMBER: 2 });
  });

  it('ignores numbers that fail the Luhn check, and digit runs too short or too long', () => {
    expect(types('card 4111111111111112, card 411111111111, card 41111111111111111111')).toEqual({});
  });

  it('takes a keyword in the column name of a CSV table as in proximity of each value', () => {
    const csv = `name,card_number\nAda,${VISA}\nGrace,${MASTERCARD}\n`;
    expect(types(csv, true)).toEqual({ CREDIT_CARD_NUMBER: 2 });
    expect(types(csv.replace('card_number', 'reference'), true)).toEqual({
      'CREDIT_CARD_NUMBER_(NO_KEYWORD)': 2,
    });
  });

  it('is financial information of High severity, whatever the count', () => {
    const [detection] = found(`card ${VISA}`).managed;
    expect(detection).toEqual({
      type: 'CREDIT_CARD_NUMBER',
      category: 'FINANCIAL_INFORMATION',
      count: 1,
      severity: 'High',
    });
  });
});

describe('credentials', () => {
  const SECRET = 'Zk3nQ9pL2vR8sT1uW4xY6zA0bC5dE7fG9hJ2kL4m';

  it('reports a secret access key near a keyword as AWS_CREDENTIALS', () => {
    expect(types(`aws_secret_access_key = ${SECRET}`)).toEqual({ AWS_CREDENTIALS: 1 });
  });

  it('does not report the same 40 characters without a keyword', () => {
    expect(types(`token ${SECRET}`)).toEqual({});
  });

  it('does not report the example key of the AWS documentation', () => {
    expect(types('aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')).toEqual({});
  });

  it('does not report an access key id alone: Macie has no managed identifier for it', () => {
    expect(types('aws_access_key_id = AKIAIOSFODNN7EXAMPLE')).toEqual({});
  });

  it('reports an OpenSSH private key', () => {
    expect(
      types('-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----'),
    ).toEqual({
      OPENSSH_PRIVATE_KEY: 1,
    });
  });
});

describe('US Social Security numbers (USA_SOCIAL_SECURITY_NUMBER)', () => {
  it('reports an SSN near a keyword', () => {
    expect(types('SSN: 123-45-6789')).toEqual({ USA_SOCIAL_SECURITY_NUMBER: 1 });
  });

  it('needs the keyword', () => {
    expect(types('order 123-45-6789')).toEqual({});
  });

  it.each(['000-12-3456', '666-12-3456', '912-34-5678', '123-00-4567', '123-45-0000'])(
    'skips %s, a number never issued',
    (ssn) => {
      expect(types(`ssn ${ssn}`)).toEqual({});
    },
  );
});

describe('custom data identifiers and allow lists', () => {
  const email = CustomDataIdentifierSchema.parse({
    name: 'E-mail address',
    regex: '[\\w.+-]+@[\\w-]+\\.[\\w.]+',
  });
  const accessKeyId = CustomDataIdentifierSchema.parse({
    name: 'AWS access key id',
    regex: '(AKIA|ASIA)[A-Z0-9]{16}',
    keywords: ['aws_access_key_id'],
    maximumMatchDistance: 40,
  });
  const withCustom = (over: Partial<DetectorSettings> = {}): DetectorSettings => ({
    managedIds: [],
    custom: [
      { id: 'cdi-email', identifier: email },
      { id: 'cdi-akid', identifier: accessKeyId },
    ],
    allowLists: [],
    ...over,
  });

  it('counts the matches of a custom identifier, by id and name', () => {
    expect(found('ada@example.com, grace@example.org', withCustom()).custom).toEqual([
      { id: 'cdi-email', name: 'E-mail address', count: 2 },
    ]);
  });

  it('needs a keyword before the match, within the maximum match distance, when it has keywords', () => {
    expect(found('aws_access_key_id = AKIAIOSFODNN7EXAMPLE', withCustom()).custom).toEqual([
      { id: 'cdi-akid', name: 'AWS access key id', count: 1 },
    ]);
    expect(found(`aws_access_key_id${' '.repeat(40)}AKIAIOSFODNN7EXAMPLE`, withCustom()).custom).toEqual([]);
    expect(found('AKIAIOSFODNN7EXAMPLE aws_access_key_id', withCustom()).custom).toEqual([]);
  });

  it('skips text an allow list names, by regex or by entry', () => {
    const text = `ops@acme.example, ada@example.com, card ${VISA}`;
    const settings = withCustom({
      managedIds: ['CREDIT_CARD_NUMBER'],
      allowLists: [
        { name: 'our own addresses', regex: '@acme\\.example$' },
        { name: 'test cards', entries: [VISA] },
      ],
    });
    const result = found(text, settings);
    expect(result.custom).toEqual([{ id: 'cdi-email', name: 'E-mail address', count: 1 }]);
    expect(result.managed).toEqual([]);
  });

  it('uses only the managed identifiers it is given', () => {
    expect(
      found(`card ${VISA}, ssn 123-45-6789`, { ...ALL_MANAGED, managedIds: ['USA_SOCIAL_SECURITY_NUMBER'] })
        .managed,
    ).toEqual([
      { type: 'USA_SOCIAL_SECURITY_NUMBER', category: 'PERSONAL_INFORMATION', count: 1, severity: 'High' },
    ]);
  });
});

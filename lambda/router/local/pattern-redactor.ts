/**
 * LOCAL MODE ONLY: a pattern-based PII redactor behind the guardrail interface, so `cdk-ai-gateway
 * serve` redacts routes with a `redactionGuardrail` without AWS. It masks what regular
 * expressions can find reliably — e-mail addresses, payment card numbers (13 to 19 digits that
 * pass the Luhn check), IBANs (ISO 13616 mod-97 check), US social security numbers, IPv4
 * addresses and phone numbers — with the same `{TYPE}` tokens Bedrock guardrails use. It is no
 * substitute for the guardrail's sensitive-information policy (names, addresses, free-form
 * identifiers are not found): deployed gateways always use ApplyGuardrail.
 */
import { GuardrailApplier, GuardrailVerdict } from '../pipeline/guardrail-types';

/** Whether a string of digits passes the Luhn check. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Whether an IBAN (without spaces, upper case) passes the ISO 13616 mod-97 check. */
export function ibanValid(iban: string): boolean {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const value = /[0-9]/.test(ch) ? ch : String(ch.charCodeAt(0) - 55);
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
}

interface Rule {
  readonly token: string;
  readonly pattern: RegExp;
  readonly valid?: (match: string) => boolean;
}

/** Applied in order: the more specific patterns first, so a card number is not taken for a phone number. */
const RULES: readonly Rule[] = [
  { token: '{EMAIL}', pattern: /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g },
  {
    token: '{INTERNATIONAL_BANK_ACCOUNT_NUMBER}',
    pattern: /\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b/g,
    valid: (m) => ibanValid(m.replace(/ /g, '')),
  },
  {
    token: '{CREDIT_DEBIT_CARD_NUMBER}',
    pattern: /\b\d(?:[ -]?\d){12,18}\b/g,
    valid: (m) => luhnValid(m.replace(/[ -]/g, '')),
  },
  { token: '{US_SOCIAL_SECURITY_NUMBER}', pattern: /\b\d{3}-\d{2}-\d{4}\b/g },
  { token: '{IP_ADDRESS}', pattern: /\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b/g },
  { token: '{PHONE}', pattern: /(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){2,4}\b/g },
];

/** The text with every PII match the rules find replaced by its token, and how many were. */
export function redactPatterns(text: string): { text: string; matches: number } {
  let matches = 0;
  let out = text;
  for (const rule of RULES) {
    out = out.replace(rule.pattern, (match) => {
      if (rule.valid && !rule.valid(match)) return match;
      matches += 1;
      return rule.token;
    });
  }
  return { text: out, matches };
}

/**
 * The local redactor: masks, never blocks, never fails.
 *
 * @example
 * const gateway = createGateway(config, { redactor: new PatternRedactor() });
 */
export class PatternRedactor implements GuardrailApplier {
  async apply(_guardrail: unknown, _source: 'INPUT' | 'OUTPUT', text: string): Promise<GuardrailVerdict> {
    const { text: masked, matches } = redactPatterns(text);
    return matches === 0 ? { action: 'NONE', blocked: false } : { action: 'INTERVENED', text: masked, blocked: false, maskedEntities: matches };
  }
}

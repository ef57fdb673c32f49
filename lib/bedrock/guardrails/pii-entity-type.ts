import { AiGatewayValidationError } from '../../private/errors';

const ENTITY_PATTERN = /^[A-Z][A-Z0-9_]{1,63}$/;

/**
 * A type of personally identifiable information a Bedrock guardrail detects
 * (`PiiEntityConfig.Type`). The static members are the types Bedrock documents; `of()` names one
 * this version does not list yet.
 */
export class PiiEntityType {
  // General
  /** A physical address. */
  public static readonly ADDRESS = new PiiEntityType('ADDRESS');
  /** An age. */
  public static readonly AGE = new PiiEntityType('AGE');
  /** A driver's license number. */
  public static readonly DRIVER_ID = new PiiEntityType('DRIVER_ID');
  /** An email address. */
  public static readonly EMAIL = new PiiEntityType('EMAIL');
  /** A vehicle license plate. */
  public static readonly LICENSE_PLATE = new PiiEntityType('LICENSE_PLATE');
  /** A person's name. */
  public static readonly NAME = new PiiEntityType('NAME');
  /** A password. */
  public static readonly PASSWORD = new PiiEntityType('PASSWORD');
  /** A phone number. */
  public static readonly PHONE = new PiiEntityType('PHONE');
  /** A user name. */
  public static readonly USERNAME = new PiiEntityType('USERNAME');
  /** A vehicle identification number. */
  public static readonly VEHICLE_IDENTIFICATION_NUMBER = new PiiEntityType('VEHICLE_IDENTIFICATION_NUMBER');

  // Finance
  /** A payment card verification code. */
  public static readonly CREDIT_DEBIT_CARD_CVV = new PiiEntityType('CREDIT_DEBIT_CARD_CVV');
  /** A payment card expiry date. */
  public static readonly CREDIT_DEBIT_CARD_EXPIRY = new PiiEntityType('CREDIT_DEBIT_CARD_EXPIRY');
  /** A payment card number (PAN). */
  public static readonly CREDIT_DEBIT_CARD_NUMBER = new PiiEntityType('CREDIT_DEBIT_CARD_NUMBER');
  /** A personal identification number. */
  public static readonly PIN = new PiiEntityType('PIN');
  /** A SWIFT/BIC bank identifier code. */
  public static readonly SWIFT_CODE = new PiiEntityType('SWIFT_CODE');
  /** An international bank account number (IBAN). */
  public static readonly INTERNATIONAL_BANK_ACCOUNT_NUMBER = new PiiEntityType('INTERNATIONAL_BANK_ACCOUNT_NUMBER');

  // Information technology
  /** A URL. */
  public static readonly URL = new PiiEntityType('URL');
  /** An IP address. */
  public static readonly IP_ADDRESS = new PiiEntityType('IP_ADDRESS');
  /** A MAC address. */
  public static readonly MAC_ADDRESS = new PiiEntityType('MAC_ADDRESS');
  /** An AWS access key id. */
  public static readonly AWS_ACCESS_KEY = new PiiEntityType('AWS_ACCESS_KEY');
  /** An AWS secret access key. */
  public static readonly AWS_SECRET_KEY = new PiiEntityType('AWS_SECRET_KEY');

  // USA
  /** A US bank account number. */
  public static readonly US_BANK_ACCOUNT_NUMBER = new PiiEntityType('US_BANK_ACCOUNT_NUMBER');
  /** A US bank routing (ABA) number. */
  public static readonly US_BANK_ROUTING_NUMBER = new PiiEntityType('US_BANK_ROUTING_NUMBER');
  /** A US individual taxpayer identification number (ITIN). */
  public static readonly US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER = new PiiEntityType('US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER');
  /** A US passport number. */
  public static readonly US_PASSPORT_NUMBER = new PiiEntityType('US_PASSPORT_NUMBER');
  /** A US social security number. */
  public static readonly US_SOCIAL_SECURITY_NUMBER = new PiiEntityType('US_SOCIAL_SECURITY_NUMBER');

  // Canada
  /** A Canadian health number. */
  public static readonly CA_HEALTH_NUMBER = new PiiEntityType('CA_HEALTH_NUMBER');
  /** A Canadian social insurance number. */
  public static readonly CA_SOCIAL_INSURANCE_NUMBER = new PiiEntityType('CA_SOCIAL_INSURANCE_NUMBER');

  // United Kingdom
  /** A UK National Health Service number. */
  public static readonly UK_NATIONAL_HEALTH_SERVICE_NUMBER = new PiiEntityType('UK_NATIONAL_HEALTH_SERVICE_NUMBER');
  /** A UK National Insurance number. */
  public static readonly UK_NATIONAL_INSURANCE_NUMBER = new PiiEntityType('UK_NATIONAL_INSURANCE_NUMBER');
  /** A UK unique taxpayer reference number. */
  public static readonly UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER = new PiiEntityType('UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER');

  /**
   * A PII entity type by its Bedrock name, for a type this version does not list.
   * @param value the Bedrock name, upper-case letters, digits and `_`, e.g. `CA_HEALTH_NUMBER`
   */
  public static of(value: string): PiiEntityType {
    if (!ENTITY_PATTERN.test(value)) {
      throw new AiGatewayValidationError(
        `PiiEntityType.of: '${value}' is not a PII entity type name; expected upper-case letters, digits and '_' (for example 'CREDIT_DEBIT_CARD_NUMBER').`);
    }
    return new PiiEntityType(value);
  }

  /** The Bedrock name of the type, e.g. `CREDIT_DEBIT_CARD_NUMBER`. */
  public readonly value: string;

  private constructor(value: string) {
    this.value = value;
  }

  /** The Bedrock name of the type. */
  public toString(): string {
    return this.value;
  }
}

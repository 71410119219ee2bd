/**
 * @module Personal-data detection in property keys and string values. Values pass cheap guards
 * (length, first character, one `indexOf`) before any regular expression runs, so the common short
 * value ("rock", "pro", "s1") costs a few comparisons. Detection looks at whole values, except emails,
 * which are also found inside longer text.
 */

/** What kind of personal data a value or key holds; also the label of a redacted value. */
export type PiiKind = 'email' | 'phone' | 'card-number' | 'national-id' | 'ip-address'

/** The rule each kind reports under. */
export const PII_RULES = {
  email: 'pii-email',
  phone: 'pii-phone',
  'card-number': 'pii-card-number',
  'national-id': 'pii-national-id',
  'ip-address': 'pii-ip-address',
} as const satisfies Record<PiiKind, string>

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/
/** US Social Security number; area 000, 666 and 9xx are never issued. */
const SSN = /^(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}$/
/** UK National Insurance number. */
const NINO =
  /^(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]$/
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/
/**
 * Phone numbers as people write them: `+` and 7–15 digits, or groups separated by spaces, dots or
 * dashes (at least three groups, so `12.50` and `2024-01` are not phones).
 */
const PHONE_PLUS = /^\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{1,4}){1,5}$/
const PHONE_GROUPS = /^(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{2,4}[ .-]\d{3,4}$/
const ISO_DATE_START = /^\d{4}-\d{2}-\d{2}/

/** True when the digits pass the Luhn checksum (payment cards). */
export function luhnValid(digits: string): boolean {
  let sum = 0
  let double = false
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48
    if (d < 0 || d > 9) return false
    if (double) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
    double = !double
  }
  return sum % 10 === 0
}

function cardDigits(value: string): string | undefined {
  let digits = ''
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c >= 48 && c <= 57) digits += value[i]
    else if (c !== 32 && c !== 45) return undefined
  }
  return digits.length >= 13 && digits.length <= 19 ? digits : undefined
}

function digitCount(value: string): number {
  let n = 0
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c >= 48 && c <= 57) n++
  }
  return n
}

function isIpv6(value: string): boolean {
  if (value.length < 2 || value.length > 45) return false
  let groups = 0
  let groupLength = 0
  let colons = 0
  let doubleColon = false
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c === 58 /* : */) {
      colons++
      if (i > 0 && value.charCodeAt(i - 1) === 58) {
        if (doubleColon) return false
        doubleColon = true
      }
      if (groupLength > 0) groups++
      groupLength = 0
    } else if ((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)) {
      if (++groupLength > 4) return false
    } else return false
  }
  if (groupLength > 0) groups++
  return doubleColon ? colons >= 2 && groups <= 7 : colons === 7 && groups === 8
}

/**
 * The personal data a string value holds, or `undefined`. IP detection is skipped when
 * `ipAllowed` (keys such as `appVersion`, whose values look like `1.2.3.4`).
 */
export function detectPii(value: string, ipAllowed = false): PiiKind | undefined {
  const length = value.length
  if (length < 6) return undefined
  const first = value.charCodeAt(0)
  if (value.indexOf('@') > 0 && EMAIL.test(value)) return 'email'
  if (length > 45) return undefined
  const digitStart = first >= 48 && first <= 57
  if (digitStart || first === 43 /* + */ || first === 40 /* ( */) {
    if (digitStart) {
      if (length === 11 && value.charCodeAt(3) === 45 && SSN.test(value)) return 'national-id'
      if (!ipAllowed && length <= 15 && value.charCodeAt(1) !== 45 && IPV4.test(value))
        return 'ip-address'
      if (length >= 13 && length <= 23) {
        const digits = cardDigits(value)
        if (digits !== undefined && first >= 50 && first <= 54 && luhnValid(digits))
          return 'card-number'
      }
      if (ISO_DATE_START.test(value)) return undefined
      if (!ipAllowed && value.indexOf(':') >= 0) return isIpv6(value) ? 'ip-address' : undefined
    }
    if (length >= 8 && length <= 22) {
      const phone = first === 43 ? PHONE_PLUS.test(value) : PHONE_GROUPS.test(value)
      if (phone) {
        const digits = digitCount(value)
        if (digits >= 7 && digits <= 15) return 'phone'
      }
    }
    return undefined
  }
  if (length === 9 || length === 13) {
    if (first >= 65 && first <= 90 && NINO.test(value)) return 'national-id'
  }
  if (!ipAllowed && value.indexOf(':') >= 0 && isIpv6(value)) return 'ip-address'
  return undefined
}

/**
 * Key names (their last one to three words, lower case, joined) that say the value is personal data:
 * `email`, `userEmail`, `contact_phone_number`, but not `microphone` or `emailVerified`.
 */
const PII_KEY_NAMES: ReadonlyMap<string, PiiKind | 'personal'> = new Map([
  ['email', 'email'],
  ['emailaddress', 'email'],
  ['phone', 'phone'],
  ['phonenumber', 'phone'],
  ['mobilenumber', 'phone'],
  ['telephone', 'phone'],
  ['ssn', 'national-id'],
  ['socialsecuritynumber', 'national-id'],
  ['nationalid', 'national-id'],
  ['passportnumber', 'national-id'],
  ['taxid', 'national-id'],
  ['creditcard', 'card-number'],
  ['cardnumber', 'card-number'],
  ['creditcardnumber', 'card-number'],
  ['cvv', 'card-number'],
  ['iban', 'personal'],
  ['ip', 'ip-address'],
  ['ipaddress', 'ip-address'],
  ['password', 'personal'],
  ['firstname', 'personal'],
  ['lastname', 'personal'],
  ['fullname', 'personal'],
  ['surname', 'personal'],
  ['streetaddress', 'personal'],
  ['homeaddress', 'personal'],
  ['dateofbirth', 'personal'],
  ['birthdate', 'personal'],
])

/** The personal data a property key announces (`email`, `phoneNumber`, `password`), or `undefined`. */
export function piiKeyKind(key: string): PiiKind | 'personal' | undefined {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '')
  let suffix = ''
  for (let i = words.length - 1; i >= 0 && i >= words.length - 3; i--) {
    suffix = `${words[i]}${suffix}`
    const kind = PII_KEY_NAMES.get(suffix)
    if (kind !== undefined) return kind
  }
  return undefined
}

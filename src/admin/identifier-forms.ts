import { normalizeEmail } from '../auth/email/email-address';
import { normalizePhone } from '../common/phone-number';
import { normalizeUsername } from '../methods/username/username';

/** How logins spell the subject of a method: the same function the method itself applies. */
const SUBJECT_NORMALIZERS: Record<string, (raw: string, phoneRegion?: string) => string | undefined> = {
  phone: (raw, region) => normalizePhone(raw, region),
  email: (raw) => normalizeEmail(raw),
  username: (raw) => normalizeUsername(raw),
};

/**
 * The stored spellings an operator's input can stand for: what each login's normalisation makes
 * of it (a phone number, an email address, a username), and the input itself for identifiers kept
 * as given (OIDC subjects, SAML names). Each is then compared byte for byte, so a look-alike
 * (other digits or letters of Unicode, an accented domain) finds nothing, while `+1 800 555 1234`
 * finds the user whose address is `18005551234`. With a method, only that method's form counts.
 */
export function identifierForms(raw: string, method?: string, phoneRegion?: string): string[] {
  const normalizers = method === undefined ? Object.values(SUBJECT_NORMALIZERS) : [SUBJECT_NORMALIZERS[method]].filter((n) => n !== undefined);
  const forms = new Set<string>();
  for (const normalize of normalizers) {
    try {
      const form = normalize(raw, phoneRegion);
      if (form !== undefined) forms.add(form);
    } catch {
      // Not a spelling this kind of login accepts: no stored identifier has that form.
    }
  }
  // Methods without a normalisation of their own keep what the login proved, as it was proven.
  if (method === undefined || SUBJECT_NORMALIZERS[method] === undefined) forms.add(raw);
  return [...forms];
}

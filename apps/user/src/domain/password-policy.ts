/**
 * What a password must satisfy. Length is what matters (NIST SP 800-63B): at least 12
 * characters, at most 256 (the KDF's input stays bounded), no composition rules.
 */
export const PASSWORD_POLICY = { min_length: 12, max_length: 256 } as const;

export function passwordProblems(password: string): string[] {
  const length = [...password].length;
  const problems: string[] = [];
  if (length < PASSWORD_POLICY.min_length) problems.push(`must be at least ${PASSWORD_POLICY.min_length} characters`);
  if (length > PASSWORD_POLICY.max_length) problems.push(`must be at most ${PASSWORD_POLICY.max_length} characters`);
  return problems;
}

/**
 * The local SMTP server's mailbox (aiosmtpd, started by `npm run up`, every message a file in
 * .data/mail/new): what the e-mail tests read.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT, eventually } from './processes';

const MAILDIR = path.join(ROOT, '.data', 'mail', 'new');

export interface Message {
  to: string;
  subject: string;
  body: string;
}

/** Every message the SMTP server holds for `to` (headers parsed; quoted-printable soft breaks joined). */
export function mailsTo(to: string): Message[] {
  let files: string[] = [];
  try {
    files = readdirSync(MAILDIR);
  } catch {
    return [];
  }
  return files.flatMap((f) => {
    let raw: string;
    try {
      raw = readFileSync(path.join(MAILDIR, f), 'utf8');
    } catch {
      return []; // removed meanwhile
    }
    const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
    const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'im').exec(head)?.[1]?.trim() ?? '';
    const body = quotedPrintable(rest.join('\n\n'));
    return header('To').toLowerCase().includes(to.toLowerCase()) ? [{ to: header('To'), subject: header('Subject'), body }] : [];
  });
}

/** Decodes a quoted-printable UTF-8 body (soft line breaks joined, =XX bytes as UTF-8). */
function quotedPrintable(text: string): string {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined[i] === '=' ? /^[0-9A-F]{2}$/.exec(joined.slice(i + 1, i + 3)) : null;
    if (hex) {
      bytes.push(parseInt(hex[0], 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export function mailArrives(to: string, subject: RegExp, timeoutMs = 60_000): Promise<Message> {
  return eventually(async () => mailsTo(to).find((m) => subject.test(m.subject)), timeoutMs, `a mail "${subject}" to ${to}`);
}

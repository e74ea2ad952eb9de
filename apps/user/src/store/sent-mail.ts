/**
 * Every e-mail the user service sends, keyed before it is sent: the key (an order event's id,
 * a password reset's id) is claimed, the mail goes out, the row is marked sent. A redelivered
 * event finds its key sent and mails nothing. A claim left `sending` (the process died between
 * the claim and the mark, or the SMTP server refused) is sent again on the next delivery: SMTP
 * takes no idempotency key, so the one repeat possible is a mail whose send succeeded and
 * whose mark did not.
 */
import type pg from 'pg';

export interface MailClaim {
  key: string;
  kind: string;
  recipient: string;
  subject: string;
}

export class SentMailStore {
  constructor(private readonly pool: pg.Pool) {}

  /** True when the caller should send (a new key, or one never marked sent); false when it was sent. */
  async claim(mail: MailClaim): Promise<boolean> {
    // Every delivery of the key is counted (an operator sees redeliveries); only an unsent one sends.
    const { rows } = await this.pool.query<{ status: string }>(
      `INSERT INTO sent_mail (key, kind, recipient, subject, status) VALUES ($1, $2, $3, $4, 'sending')
       ON CONFLICT (key) DO UPDATE SET deliveries = sent_mail.deliveries + 1
       RETURNING status`,
      [mail.key, mail.kind, mail.recipient, mail.subject],
    );
    return rows[0]?.status === 'sending';
  }

  async markSent(key: string): Promise<void> {
    await this.pool.query(`UPDATE sent_mail SET status = 'sent', sent_at = now() WHERE key = $1`, [key]);
  }
}

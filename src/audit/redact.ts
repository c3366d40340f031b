// Last line of defence: whatever reaches a log or an audit file passes through
// here, so a secret that slipped into a field is still replaced.
export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined): void {
    // Very short values would redact ordinary words and say nothing secret.
    if (secret && secret.length >= 6) this.secrets.add(secret);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) {
      if (out.includes(s)) out = out.split(s).join('***');
    }
    return out;
  }
}

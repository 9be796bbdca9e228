// NATS KV keys must match ^[-/=.\w]+$ and may not start or end with '.'; every byte of a key
// outside [A-Za-z0-9_-] becomes '=XX' (its hex). '=' itself is escaped, so the mapping is
// reversible, and a key prefix maps to a prefix of the escaped key.
const PLAIN = /[A-Za-z0-9_-]/

/** A Plexus key as a NATS KV key. */
export function toNatsKey(key: string): string {
  let out = ''
  for (const char of key) {
    if (PLAIN.test(char)) out += char
    else
      for (const byte of Buffer.from(char, 'utf8')) out += `=${byte.toString(16).padStart(2, '0')}`
  }
  return out
}

/** A NATS KV key written by `toNatsKey`, back as the Plexus key. */
export function fromNatsKey(escaped: string): string {
  const bytes: number[] = []
  for (let i = 0; i < escaped.length; i++) {
    if (escaped[i] === '=') {
      bytes.push(parseInt(escaped.slice(i + 1, i + 3), 16))
      i += 2
    } else bytes.push(escaped.charCodeAt(i))
  }
  return Buffer.from(bytes).toString('utf8')
}

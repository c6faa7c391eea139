import type { LlmCostPrice } from './types.ts';

/**
 * Built-in LLM token prices. ILLUSTRATIVE ONLY: list prices of a few well-known models as
 * published by their providers (USD per million tokens, divided down to per-token decimals).
 * They are not kept current and are no substitute for the real service's price feed; namespaces
 * correct them with overrides.
 */
const SINCE = '2024-01-01T00:00:00.000Z';

// provider id|provider name|model id|model name|input|output|cache read|cache write   (USD per 1M tokens)
const TABLE = `
openai|OpenAI|gpt-4o|GPT-4o|2.50|10.00|1.25|
openai|OpenAI|gpt-4o-mini|GPT-4o mini|0.15|0.60|0.075|
openai|OpenAI|o1|o1|15.00|60.00|7.50|
anthropic|Anthropic|claude-3-5-sonnet-20241022|Claude 3.5 Sonnet|3.00|15.00|0.30|3.75
anthropic|Anthropic|claude-3-5-haiku-20241022|Claude 3.5 Haiku|0.80|4.00|0.08|1.00
anthropic|Anthropic|claude-3-opus-20240229|Claude 3 Opus|15.00|75.00|1.50|18.75
google|Google|gemini-1.5-pro|Gemini 1.5 Pro|1.25|5.00||
google|Google|gemini-1.5-flash|Gemini 1.5 Flash|0.075|0.30||
mistral|Mistral AI|mistral-large-latest|Mistral Large|2.00|6.00||
`;

/** per-million → per-token without floating point: shift the decimal point six places */
export function perToken(perMillion: string): string {
  const [int, frac = ''] = perMillion.split('.') as [string, string?];
  const digits = (int + frac).replace(/^0+/, '') || '0';
  const scale = frac.length + 6;
  if (digits === '0') return '0';
  const padded = digits.padStart(scale + 1, '0');
  const whole = padded.slice(0, padded.length - scale);
  const part = padded.slice(padded.length - scale).replace(/0+$/, '');
  return part ? `${whole}.${part}` : whole;
}

/** ids are fixed so they survive restarts and can be addressed by clients */
const idOf = (n: number): string => `01JBS000000000000000000${String(n).padStart(3, '0')}`;

export const BUILT_IN_LLM_PRICES: readonly LlmCostPrice[] = Object.freeze(
  TABLE.trim()
    .split('\n')
    .map((line, i): LlmCostPrice => {
      const [providerId, providerName, modelId, modelName, input, output, cacheRead, cacheWrite] = line.split('|') as string[];
      return Object.freeze({
        id: idOf(i + 1),
        providerId: providerId!,
        providerName: providerName!,
        modelId: modelId!,
        modelName: modelName!,
        pricing: {
          inputPerToken: perToken(input!),
          outputPerToken: perToken(output!),
          ...(cacheRead ? { cacheReadPerToken: perToken(cacheRead) } : {}),
          ...(cacheWrite ? { cacheWritePerToken: perToken(cacheWrite) } : {}),
        },
        currency: 'USD',
        source: 'system',
        effectiveFrom: SINCE,
        createdAt: SINCE,
        updatedAt: SINCE,
      });
    }),
);

import { describe, expect, it } from 'vitest';
import { decodeForm, encodeForm } from './form.ts';

describe('decodeForm (Stripe bracket encoding, as stripe-go and stripe-node send it)', () => {
  it.each([
    ['name=Ada+L&email=a%40b.c', { name: 'Ada L', email: 'a@b.c' }],
    ['enabled_events[0]=a&enabled_events[1]=b', { enabled_events: ['a', 'b'] }],
    ['expand[]=x&expand[]=y', { expand: ['x', 'y'] }],
    ['metadata[om_app_id]=1&metadata[om_namespace]=ns', { metadata: { om_app_id: '1', om_namespace: 'ns' } }],
    ['setup_intent_data[metadata][k]=v', { setup_intent_data: { metadata: { k: 'v' } } }],
    ['period[start]=1&period[end]=2&metadata=', { period: { start: '1', end: '2' }, metadata: '' }],
    ['', {}],
  ])('%s', (text, expected) => {
    expect(decodeForm(text)).toEqual(expected);
  });

  it('round-trips what encodeForm writes', () => {
    const v = { customer: 'cus_1', metadata: { a: 'b c' }, custom_text: { submit: { message: 'hi&bye' } } };
    expect(decodeForm(encodeForm(v))).toEqual(v);
  });
});

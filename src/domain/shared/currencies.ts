/**
 * ISO 4217 currencies in active use (List One, 2025 edition: XCG replaces ANG, ZWG replaces ZWL,
 * SLE replaces SLL, HRK and CUC are withdrawn). Entries without numeric minor units (precious
 * metals, XDR, XSU, XUA, bond units, XTS, XXX) are left out: nothing can be invoiced in them.
 *
 * This is the ONE table of minor units: `money.ts` beside it derives `currencyPrecision` from it,
 * so what we list and how we round can never disagree. It must not import anything (money.ts
 * imports it).
 *
 * Symbols are the customary local ones; decimal mark / thousands separator are the usual
 * convention for the currency's home market ('.' and ',' unless listed in SEPARATORS).
 */
export interface FiatCurrency {
  /** ISO 4217 alphabetic code */
  code: string;
  /** ISO 4217 English name */
  name: string;
  symbol: string;
  /** ISO 4217 minor units (digits after the decimal mark) */
  minorUnits: number;
  decimalMark: string;
  thousandSeparator: string;
  /**
   * ISO "fund" codes (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI, UYW): accounting units, kept for
   * rounding but not offered as billing currencies in listings.
   */
  fund: boolean;
}

// code|minor units|symbol|name
const TABLE = `
AED|2|د.إ|UAE Dirham
AFN|2|؋|Afghani
ALL|2|L|Lek
AMD|2|֏|Armenian Dram
AOA|2|Kz|Kwanza
ARS|2|$|Argentine Peso
AUD|2|A$|Australian Dollar
AWG|2|ƒ|Aruban Florin
AZN|2|₼|Azerbaijan Manat
BAM|2|KM|Convertible Mark
BBD|2|Bds$|Barbados Dollar
BDT|2|৳|Taka
BGN|2|лв|Bulgarian Lev
BHD|3|.د.ب|Bahraini Dinar
BIF|0|FBu|Burundi Franc
BMD|2|$|Bermudian Dollar
BND|2|B$|Brunei Dollar
BOB|2|Bs.|Boliviano
BOV|2|BOV|Mvdol
BRL|2|R$|Brazilian Real
BSD|2|B$|Bahamian Dollar
BTN|2|Nu.|Ngultrum
BWP|2|P|Pula
BYN|2|Br|Belarusian Ruble
BZD|2|BZ$|Belize Dollar
CAD|2|CA$|Canadian Dollar
CDF|2|FC|Congolese Franc
CHE|2|CHE|WIR Euro
CHF|2|CHF|Swiss Franc
CHW|2|CHW|WIR Franc
CLF|4|UF|Unidad de Fomento
CLP|0|$|Chilean Peso
CNY|2|¥|Yuan Renminbi
COP|2|$|Colombian Peso
COU|2|COU|Unidad de Valor Real
CRC|2|₡|Costa Rican Colon
CUP|2|$|Cuban Peso
CVE|2|Esc|Cabo Verde Escudo
CZK|2|Kč|Czech Koruna
DJF|0|Fdj|Djibouti Franc
DKK|2|kr.|Danish Krone
DOP|2|RD$|Dominican Peso
DZD|2|د.ج|Algerian Dinar
EGP|2|E£|Egyptian Pound
ERN|2|Nfk|Nakfa
ETB|2|Br|Ethiopian Birr
EUR|2|€|Euro
FJD|2|FJ$|Fiji Dollar
FKP|2|£|Falkland Islands Pound
GBP|2|£|Pound Sterling
GEL|2|₾|Lari
GHS|2|GH₵|Ghana Cedi
GIP|2|£|Gibraltar Pound
GMD|2|D|Dalasi
GNF|0|FG|Guinean Franc
GTQ|2|Q|Quetzal
GYD|2|G$|Guyana Dollar
HKD|2|HK$|Hong Kong Dollar
HNL|2|L|Lempira
HTG|2|G|Gourde
HUF|2|Ft|Forint
IDR|2|Rp|Rupiah
ILS|2|₪|New Israeli Sheqel
INR|2|₹|Indian Rupee
IQD|3|ع.د|Iraqi Dinar
IRR|2|﷼|Iranian Rial
ISK|0|kr|Iceland Krona
JMD|2|J$|Jamaican Dollar
JOD|3|JD|Jordanian Dinar
JPY|0|¥|Yen
KES|2|KSh|Kenyan Shilling
KGS|2|сом|Som
KHR|2|៛|Riel
KMF|0|CF|Comorian Franc
KPW|2|₩|North Korean Won
KRW|0|₩|Won
KWD|3|KD|Kuwaiti Dinar
KYD|2|CI$|Cayman Islands Dollar
KZT|2|₸|Tenge
LAK|2|₭|Lao Kip
LBP|2|ل.ل|Lebanese Pound
LKR|2|Rs|Sri Lanka Rupee
LRD|2|L$|Liberian Dollar
LSL|2|L|Loti
LYD|3|LD|Libyan Dinar
MAD|2|د.م.|Moroccan Dirham
MDL|2|L|Moldovan Leu
MGA|2|Ar|Malagasy Ariary
MKD|2|ден|Denar
MMK|2|K|Kyat
MNT|2|₮|Tugrik
MOP|2|MOP$|Pataca
MRU|2|UM|Ouguiya
MUR|2|₨|Mauritius Rupee
MVR|2|Rf|Rufiyaa
MWK|2|MK|Malawi Kwacha
MXN|2|MX$|Mexican Peso
MXV|2|MXV|Mexican Unidad de Inversion (UDI)
MYR|2|RM|Malaysian Ringgit
MZN|2|MT|Mozambique Metical
NAD|2|N$|Namibia Dollar
NGN|2|₦|Naira
NIO|2|C$|Cordoba Oro
NOK|2|kr|Norwegian Krone
NPR|2|Rs|Nepalese Rupee
NZD|2|NZ$|New Zealand Dollar
OMR|3|ر.ع.|Rial Omani
PAB|2|B/.|Balboa
PEN|2|S/|Sol
PGK|2|K|Kina
PHP|2|₱|Philippine Peso
PKR|2|Rs|Pakistan Rupee
PLN|2|zł|Zloty
PYG|0|₲|Guarani
QAR|2|ر.ق|Qatari Rial
RON|2|lei|Romanian Leu
RSD|2|дин.|Serbian Dinar
RUB|2|₽|Russian Ruble
RWF|0|FRw|Rwanda Franc
SAR|2|ر.س|Saudi Riyal
SBD|2|SI$|Solomon Islands Dollar
SCR|2|SR|Seychelles Rupee
SDG|2|ج.س.|Sudanese Pound
SEK|2|kr|Swedish Krona
SGD|2|S$|Singapore Dollar
SHP|2|£|Saint Helena Pound
SLE|2|Le|Leone
SOS|2|Sh|Somali Shilling
SRD|2|$|Surinam Dollar
SSP|2|£|South Sudanese Pound
STN|2|Db|Dobra
SVC|2|₡|El Salvador Colon
SYP|2|£S|Syrian Pound
SZL|2|E|Lilangeni
THB|2|฿|Baht
TJS|2|SM|Somoni
TMT|2|m|Turkmenistan New Manat
TND|3|DT|Tunisian Dinar
TOP|2|T$|Pa'anga
TRY|2|₺|Turkish Lira
TTD|2|TT$|Trinidad and Tobago Dollar
TWD|2|NT$|New Taiwan Dollar
TZS|2|TSh|Tanzanian Shilling
UAH|2|₴|Hryvnia
UGX|0|USh|Uganda Shilling
USD|2|$|US Dollar
USN|2|USN|US Dollar (Next day)
UYI|0|UYI|Uruguay Peso en Unidades Indexadas (UI)
UYU|2|$U|Peso Uruguayo
UYW|4|UYW|Unidad Previsional
UZS|2|soʻm|Uzbekistan Sum
VED|2|Bs.D|Bolívar Soberano (digital)
VES|2|Bs.S|Bolívar Soberano
VND|0|₫|Dong
VUV|0|VT|Vatu
WST|2|WS$|Tala
XAF|0|FCFA|CFA Franc BEAC
XCD|2|EC$|East Caribbean Dollar
XCG|2|Cg|Caribbean Guilder
XOF|0|CFA|CFA Franc BCEAO
XPF|0|₣|CFP Franc
YER|2|﷼|Yemeni Rial
ZAR|2|R|Rand
ZMW|2|ZK|Zambian Kwacha
ZWG|2|ZiG|Zimbabwe Gold
`;

const FUNDS = new Set(['BOV', 'CHE', 'CHW', 'CLF', 'COU', 'MXV', 'USN', 'UYI', 'UYW']);

/** decimal mark + thousands separator where the home market does not use '.' and ',' */
const SEPARATORS: Record<string, [string, string]> = {
  ARS: [',', '.'], BRL: [',', '.'], CLP: [',', '.'], COP: [',', '.'], DKK: [',', '.'], EUR: [',', '.'],
  IDR: [',', '.'], ISK: [',', '.'], PYG: [',', '.'], RSD: [',', '.'], TRY: [',', '.'], UYU: [',', '.'],
  VND: [',', '.'], CHF: ['.', "'"],
};

export const FIAT_CURRENCIES: readonly FiatCurrency[] = Object.freeze(
  TABLE.trim()
    .split('\n')
    .map((line) => {
      const [code, minor, symbol, name] = line.split('|') as [string, string, string, string];
      const [decimalMark, thousandSeparator] = SEPARATORS[code] ?? ['.', ','];
      return Object.freeze({ code, name, symbol, minorUnits: Number(minor), decimalMark, thousandSeparator, fund: FUNDS.has(code) });
    }),
);

const BY_CODE = new Map(FIAT_CURRENCIES.map((c) => [c.code, c]));

/** the ISO 4217 entry for `code` (exact, upper-case), if active */
export const fiatCurrency = (code: string): FiatCurrency | undefined => BY_CODE.get(code);

/** ISO 4217 minor units by code, for `shared/money.ts` */
export const FIAT_MINOR_UNITS: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries(FIAT_CURRENCIES.map((c) => [c.code, c.minorUnits])),
);
